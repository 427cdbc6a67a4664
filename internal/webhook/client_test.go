package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// receiver is an endpoint written as a customer would, checking the signature with
// crypto/hmac itself (not with Verify), so that Deliver is checked against the
// specification rather than against this package's reading of it.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []receivedMessage
}

type receivedMessage struct {
	header http.Header
	body   []byte
	valid  bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver: %v", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.secret, "whsec_"))
	if err != nil {
		rc.t.Errorf("receiver: secret: %v", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "."))
	m.Write(body)
	expected := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	valid := false
	for _, sig := range strings.Split(r.Header.Get("webhook-signature"), " ") {
		valid = valid || hmac.Equal([]byte(sig), []byte(expected))
	}
	ts, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	valid = valid && err == nil && time.Since(time.Unix(ts, 0)).Abs() < 5*time.Minute
	valid = valid && r.Method == http.MethodPost

	rc.mu.Lock()
	rc.got = append(rc.got, receivedMessage{header: r.Header.Clone(), body: body, valid: valid})
	rc.mu.Unlock()
	if !valid {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// connCounter counts the connections a test server accepts.
func connCounter(srv *httptest.Server) *atomic.Int32 {
	var n atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func TestDeliverSignedForAReceiver(t *testing.T) {
	secret, _ := NewSecret()
	rc := &receiver{t: t, secret: secret}
	srv := httptest.NewUnstartedServer(rc)
	conns := connCounter(srv)
	srv.Start()
	defer srv.Close()

	c := NewClient(true, 0)
	body := []byte(`{"id":"evt_1","type":"order.created","created_at":"2026-01-02T03:04:05Z","data":{"order":{}}}`)
	for i := range 3 {
		id, ts := NewMessageID(), time.Now()
		res, err := c.Deliver(context.Background(), srv.URL+"/hooks?x=1", secret, id, ts, body)
		if err != nil {
			t.Fatalf("delivery %d: %v (%+v)", i, err, res)
		}
		if res.StatusCode != http.StatusNoContent || res.Duration <= 0 {
			t.Fatalf("delivery %d: %+v", i, res)
		}
		got := rc.got[len(rc.got)-1]
		if !got.valid || string(got.body) != string(body) {
			t.Fatalf("delivery %d: the receiver refused it or got another body: %+v", i, got)
		}
		h := got.header
		for name, want := range map[string]string{
			"Content-Type":      "application/json",
			"User-Agent":        "OMS-Webhooks/1",
			"webhook-id":        id,
			"webhook-timestamp": strconv.FormatInt(ts.Unix(), 10),
		} {
			if h.Get(name) != want {
				t.Errorf("header %s = %q, want %q", name, h.Get(name), want)
			}
		}
		// And this package's own Verify agrees.
		if err := Verify(secret, h, got.body, time.Now(), 0); err != nil {
			t.Errorf("Verify of a delivered message: %v", err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("3 deliveries took %d connections, want 1 (kept open)", n)
	}

	// With another secret the receiver's own check fails: the signature is not a constant.
	other, _ := NewSecret()
	res, err := c.Deliver(context.Background(), srv.URL, other, NewMessageID(), time.Now(), body)
	var se *StatusError
	if !errors.As(err, &se) || res.StatusCode != http.StatusUnauthorized || se.Result.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(res.Body, "bad signature") {
		t.Fatalf("wrong secret: %v, %+v", err, res)
	}
}

// fail is a server that fails the test when reached.
func fail(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached the server: %s %s", r.Method, r.URL)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDeliverRefusesPrivateAddresses(t *testing.T) {
	srv := fail(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	secret, _ := NewSecret()

	var rebound atomic.Bool
	dns := startDNS(t, func(name string) []netip.Addr {
		switch name {
		case "private.example.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		case "rebind.example.test": // public when CheckURL looks, loopback when the Client does
			if rebound.Load() {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			}
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}
		}
		return nil
	})
	useResolver(t, dns.resolver())
	rebindURL := "http://rebind.example.test:" + strconv.Itoa(port) + "/hook"
	if err := CheckURL(rebindURL, false); err != nil {
		t.Fatalf("CheckURL before rebinding: %v", err)
	}
	rebound.Store(true)

	c := NewClient(false, 2*time.Second)
	c.dialer.Resolver = dns.resolver() // what the Client resolves with, besides /etc/hosts
	for _, u := range []string{
		srv.URL,
		"http://localhost:" + strconv.Itoa(port) + "/hook", // /etc/hosts
		"http://private.example.test:" + strconv.Itoa(port) + "/hook",
		rebindURL,
		"http://[::ffff:127.0.0.1]:" + strconv.Itoa(port) + "/",
	} {
		res, err := c.Deliver(context.Background(), u, secret, NewMessageID(), time.Now(), []byte(`{}`))
		if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "private address") {
			t.Errorf("%s: Deliver = %v, want a refusal of a private address", u, err)
			continue
		}
		if res.StatusCode != 0 {
			t.Errorf("%s: %+v", u, res)
		}
		t.Logf("%s: %v", u, err)
	}
}

func TestDeliverFailures(t *testing.T) {
	var elsewhere atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) })
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := NewClient(true, 0)
	secret, _ := NewSecret()

	for path, code := range map[string]int{"/moved": 302, "/boom": 500, "/gone": 410, "/nothing": 404} {
		res, err := c.Deliver(context.Background(), srv.URL+path, secret, NewMessageID(), time.Now(), []byte(`{}`))
		var se *StatusError
		if !errors.As(err, &se) || se.Result.StatusCode != code || res.StatusCode != code {
			t.Errorf("%s: %v, %+v; want a StatusError %d", path, err, res, code)
			continue
		}
		t.Logf("%s: %v", path, err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("a redirect was followed %d times", n)
	}
	_, err := c.Deliver(context.Background(), srv.URL+"/moved", secret, NewMessageID(), time.Now(), nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Location != srv.URL+"/elsewhere" || !strings.Contains(err.Error(), "redirects are not followed") {
		t.Errorf("redirect: %v", err)
	}
	if res, err := c.Deliver(context.Background(), srv.URL+"/boom", secret, NewMessageID(), time.Now(), nil); err == nil || res.Body != "boom\n" {
		t.Errorf("500: %v, body %q", err, res.Body)
	}

	// Nothing is sent for a URL or a secret that is not right.
	for _, c2 := range []struct{ url, secret, id string }{
		{"ftp://" + srv.Listener.Addr().String() + "/", secret, "msg_1"},
		{"http://user:pw@" + srv.Listener.Addr().String() + "/", secret, "msg_1"},
		{srv.URL, "not-a-secret", "msg_1"},
		{srv.URL, secret, "msg.1"},
	} {
		if _, err := c.Deliver(context.Background(), c2.url, c2.secret, c2.id, time.Now(), nil); err == nil {
			t.Errorf("Deliver(%q, %q, %q) sent", c2.url, c2.secret, c2.id)
		}
	}

	// A connection refused is an error with no status.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	if res, err := c.Deliver(context.Background(), closed, secret, NewMessageID(), time.Now(), nil); err == nil || res.StatusCode != 0 {
		t.Errorf("closed port: %v, %+v", err, res)
	} else {
		t.Logf("closed port: %v", err)
	}
}

func TestDeliverTimeout(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "accepted;")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)
	const timeout = 300 * time.Millisecond
	c := NewClient(true, timeout)
	secret, _ := NewSecret()

	start := time.Now()
	res, err := c.Deliver(context.Background(), srv.URL+"/slow", secret, NewMessageID(), time.Now(), []byte(`{}`))
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || res.StatusCode != 0 {
		t.Fatalf("slow server: %v, %+v; want a timeout", err, res)
	}
	if took < timeout || took > timeout+2*time.Second || res.Duration < timeout {
		t.Errorf("slow server: gave up after %v (Result %v), timeout %v", took, res.Duration, timeout)
	}
	t.Logf("slow server: %v", err)

	// The status came in time, the rest of the body not: the endpoint has answered.
	res, err = c.Deliver(context.Background(), srv.URL+"/slow-body", secret, NewMessageID(), time.Now(), []byte(`{}`))
	if err != nil || res.StatusCode != http.StatusOK || res.Body != "accepted;" || res.Duration > timeout+2*time.Second {
		t.Errorf("slow body: %v, %+v", err, res)
	}

	// The caller's own cancellation is not reported as the endpoint's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Deliver(ctx, srv.URL+"/slow", secret, NewMessageID(), time.Now(), []byte(`{}`))
	if err == nil || strings.Contains(err.Error(), "no answer within") {
		t.Errorf("cancelled by the caller: %v", err)
	}
}

func TestDeliverCapsResponseBody(t *testing.T) {
	const huge = 1 << 30
	written := make(chan int64, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("0123456789abcdef", 2048)) // 32 KiB
		var n int64
		for n < huge {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		written <- n
	}))
	conns := connCounter(srv)
	srv.Start()
	defer srv.Close()
	c := NewClient(true, 5*time.Second)
	secret, _ := NewSecret()

	res, err := c.Deliver(context.Background(), srv.URL, secret, NewMessageID(), time.Now(), []byte(`{}`))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%v, %+v", err, res)
	}
	if want := strings.Repeat("0123456789abcdef", 64); res.Body != want {
		t.Fatalf("Result.Body: %d bytes, want the first 1 KiB", len(res.Body))
	}
	select {
	case n := <-written:
		if n >= huge {
			t.Fatalf("the server wrote all %d bytes: the Client read them", n)
		}
		t.Logf("the server could write %d bytes before the Client closed the connection", n)
	case <-time.After(10 * time.Second):
		t.Fatal("the server is still writing: the connection was not closed")
	}
	// The closed connection is not reused: the next delivery opens another.
	if _, err := c.Deliver(context.Background(), srv.URL, secret, NewMessageID(), time.Now(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	<-written
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestLoggable(t *testing.T) {
	for in, want := range map[string]string{
		"ok":                     "ok",
		"a\x00b":                 "a\uFFFDb",
		"bad \xff\xfe bytes":     "bad \uFFFD bytes",
		"cut é"[:len("cut é")-1]: "cut ",
		"euro €":                 "euro €",
		"cut €"[:len("cut €")-2]: "cut ",
	} {
		if got := loggable([]byte(in)); got != want {
			t.Errorf("loggable(%q) = %q, want %q", in, got, want)
		}
	}
}
