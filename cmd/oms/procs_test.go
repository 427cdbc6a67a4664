package main

// Helpers for the tests that run the real binary: build it, give it an empty database,
// start `oms serve` processes and talk to them as an integration (API token) and as a
// staff member in a browser (session cookie, CSRF token).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/dburl"
	"github.com/oms/oms/internal/testdb"
)

// buildOMS builds ./cmd/oms (this package) into the test's temporary directory. `go
// test` puts its own go command first on PATH, so this is the toolchain testing it.
func buildOMS(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oms")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/oms: %v\n%s", err, out)
	}
	return bin
}

// emptyDatabase creates a database with nothing in it (not even the schema: `oms
// migrate` is part of what the tests run) on the test server, dropped at the end.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	admin := testdb.AdminURL()
	if admin == "" {
		t.Fatal("no database server: set OMS_TEST_DATABASE_URL (see README, Testing)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "oms_t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := dburl.WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// omsEnv is the environment for the binary: this process's, less every OMS setting and
// DATABASE_URL, plus extra ("KEY=value").
func omsEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OMS_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "STRIPE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// runOMS runs a command of the binary to its end and returns its standard output.
func runOMS(t *testing.T, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := runOMSExit(t, bin, env, stdin, args...)
	if code != 0 {
		t.Fatalf("oms %s: exit status %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// omsProc is a running `oms serve`.
type omsProc struct {
	t    *testing.T
	name string
	URL  string
	cmd  *exec.Cmd
	log  string // its stderr, in a file
	done chan struct{}
	err  error // how it ended, once done is closed
}

// startServe starts `oms serve` on a free loopback port with env (DATABASE_URL and the
// rest) and waits until it answers /readyz. It is stopped (SIGTERM) at the end of the
// test unless it was killed before.
func startServe(t *testing.T, bin, name string, env []string) *omsProc {
	t.Helper()
	addr := freeAddr(t)
	p := &omsProc{t: t, name: name, URL: "http://" + addr, done: make(chan struct{}),
		log: filepath.Join(t.TempDir(), name+".log")}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(slices.Clone(env), "OMS_ADDR="+addr)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.stop(40*time.Second) != nil || t.Failed() {
			t.Logf("%s's log (%s):\n%s", p.name, p.log, p.tail(60))
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("%s ended before it was ready: %v\n%s", name, p.err, p.tail(40))
		default:
		}
		if resp, err := client.Get(p.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 90s\n%s", name, p.tail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits up to wait for the process to end (then kills it); it
// returns how the process ended when that was not a clean exit.
func (p *omsProc) stop(wait time.Duration) error {
	select {
	case <-p.done:
		return nil // killed or ended earlier: reported there
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(wait):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM", p.name, wait)
	}
}

// kill ends the process at once (SIGKILL): no shutdown, no goodbye to the database.
func (p *omsProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// tail is the last n lines of the process's log.
func (p *omsProc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// apiClient calls /api/v1 with a bearer token.
type apiClient struct {
	t     *testing.T
	token string
	http  *http.Client
}

func newAPIClient(t *testing.T, token string) *apiClient {
	return &apiClient{t: t, token: token, http: &http.Client{Timeout: 60 * time.Second}}
}

// call sends body (JSON) and decodes the answer into out (unless nil); it returns the
// status, or 0 with the error when no answer came.
func (c *apiClient) call(method, url string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w: %.300s", method, url, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %.300s", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// must is call that fails the test unless the answer has status want.
func (c *apiClient) must(want int, method, url string, body, out any) {
	c.t.Helper()
	if st, err := c.call(method, url, body, out); st != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, url, st, want, err)
	}
}

// apiOrder is what the tests read of an order.
type apiOrder struct {
	ID      string `json:"id"`
	Number  string `json:"order_number"`
	Status  string `json:"status"`
	Total   string `json:"total"`
	History []struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	} `json:"history"`
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decodeJSON(t *testing.T, resp *http.Response, out any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("decode %s: %v", resp.Request.URL, err)
	}
}

// newOrderBody is an order of quantity of sku for email.
func newOrderBody(email, sku string, quantity int) map[string]any {
	return map[string]any{
		"customer": map[string]any{"email": email, "name": "Ann Lee"},
		"shipping_address": map[string]any{"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St",
			"city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
		"items": []map[string]any{{"sku": sku, "quantity": quantity}},
	}
}

// staffBrowser is a staff member's browser: it keeps the session cookie and the CSRF
// token, and can be pointed at any process (the cookie is the same for all of them).
type staffBrowser struct {
	t      *testing.T
	http   *http.Client
	mu     sync.Mutex
	cookie *http.Cookie
	csrf   string
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func newStaffBrowser(t *testing.T) *staffBrowser {
	return &staffBrowser{t: t, http: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// sessionCookie is the name of the session cookie on a loopback address.
const sessionCookie = "oms_session"

func (b *staffBrowser) do(req *http.Request) (int, http.Header, string) {
	b.t.Helper()
	b.mu.Lock()
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	b.mu.Unlock()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			b.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header, string(body)
}

func (b *staffBrowser) get(url string) (int, http.Header, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return b.do(req)
}

// post submits a form with the CSRF token last seen, on any process.
func (b *staffBrowser) post(u string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	form.Set("_csrf", b.csrf)
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in at base (GET /login for the CSRF token, then POST).
func (b *staffBrowser) login(base, email, password string) {
	b.t.Helper()
	if st, _, _ := b.get(base + "/login"); st != http.StatusOK {
		b.t.Fatalf("GET /login: %d", st)
	}
	st, h, body := b.post(base+"/login", url.Values{"email": {email}, "password": {password}})
	if st != http.StatusSeeOther {
		b.t.Fatalf("POST /login: %d, want 303\n%.1000s", st, body)
	}
	if loc := h.Get("Location"); strings.HasPrefix(loc, "/login") {
		b.t.Fatalf("POST /login sent back to %s", loc)
	}
}

// eventStream is an open GET /orders/{number}/events.
type eventStream struct {
	events chan string // "ready", "changed", ...
	cancel context.CancelFunc
}

// openEvents opens an order's live event stream at base and waits for its "ready".
func (b *staffBrowser) openEvents(base, number string) *eventStream {
	b.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/orders/"+number+"/events", nil)
	b.mu.Lock()
	req.AddCookie(b.cookie)
	b.mu.Unlock()
	resp, err := (&http.Client{}).Do(req) // no timeout: the stream stays open
	if err != nil {
		cancel()
		b.t.Fatalf("open event stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		b.t.Fatalf("event stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &eventStream{events: make(chan string, 16), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				s.events <- ev
			}
		}
	}()
	b.t.Cleanup(cancel)
	s.expect(b.t, "ready", 30*time.Second)
	return s
}

// expect waits up to wait for the next event and fails unless it is want.
func (s *eventStream) expect(t *testing.T, want string, wait time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatalf("event stream ended while waiting for %q", want)
		}
		if ev != want {
			t.Fatalf("event %q, want %q", ev, want)
		}
	case <-time.After(wait):
		t.Fatalf("no %q event within %s", want, wait)
	}
}
