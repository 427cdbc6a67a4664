package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// A SIGTERM (here: the serve context ending) must let a request that is already being
// received finish and commit before the process exits.
func TestServeFinishesInFlightRequestsOnShutdown(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	ctx := context.Background()
	svc := service.New(pool, service.Config{})
	_, token, err := svc.CreateToken(ctx, "shutdown-test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- serve(serveCtx, config{DatabaseURL: url, Addr: addr, Jobs: false, ReservationTTL: time.Hour}, nil)
	}()
	waitReady(t, "http://"+addr+"/healthz")

	// Send the headers and half the body, stop the server, then send the rest.
	body := `{"name":"Slow product","price":"1.00","currency":"USD","active":true}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", "http://"+addr+"/api/v1/products/SLOW", pr)
	req.Header.Set("Authorization", "Bearer "+token)
	req.ContentLength = int64(len(body))
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			answered <- nil
			return
		}
		answered <- resp
	}()
	if _, err := io.WriteString(pw, body[:20]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	stop()
	time.Sleep(200 * time.Millisecond)
	if _, err := io.WriteString(pw, body[20:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()

	resp := <-answered
	if resp == nil {
		t.FailNow()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request answered %d, want 201", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
	if _, err := svc.GetProduct(ctx, "SLOW"); err != nil {
		t.Errorf("the in-flight write was lost: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("server still answering after shutdown")
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	for range 100 {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s never came up", url)
}

func TestCommandsReportErrorsOnOneLine(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	var out strings.Builder
	cases := [][]string{
		{"bogus"},
		{"user", "add", "--email", "not-an-email", "--name", "X", "--role", "admin"},
		{"user", "add", "--email", "a@example.com", "--name", "X", "--role", "boss"},
		{"token", "add"},
		{"user", "add", "--nope"},
	}
	for _, args := range cases {
		err := run(context.Background(), args, strings.NewReader("a long enough password\n"), &out)
		if err == nil {
			t.Errorf("oms %v succeeded", args)
			continue
		}
		if msg := oneLine(err); msg == "" || strings.Contains(msg, "\n") {
			t.Errorf("oms %v: message %q is not one line", args, msg)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"token", "add", "--name", "shop"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "oms_") || strings.Contains(last, " ") {
		t.Errorf("token add's last line %q is not the token alone", last)
	}
	if err := run(context.Background(), []string{"user", "add", "--email", "Dup@example.com", "--name", "A", "--role", "support"}, strings.NewReader("a long enough password\n"), &out); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"user", "add", "--email", "dup@example.com", "--name", "B", "--role", "support"}, strings.NewReader("a long enough password\n"), &out)
	if err == nil || !strings.Contains(oneLine(err), "already") {
		t.Errorf("duplicate email: %v", err)
	}
}

func TestTrustedProxiesAreCIDRsOrAddresses(t *testing.T) {
	got, err := parseCIDRs(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, n := range got {
		s = append(s, n.String())
	}
	if strings.Join(s, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::/32" {
		t.Errorf("parsed %v", s)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "1.2.3"} {
		if _, err := parseCIDRs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if n, err := parseCIDRs(""); err != nil || len(n) != 0 {
		t.Errorf("empty: %v %v", n, err)
	}
}

// Only a loopback address is development: every other way of listening (":8080", the
// default and the Dockerfile's) gets Secure cookies and HSTS unless told otherwise.
func TestSecureCookiesUnlessLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		":8080": true, "0.0.0.0:8080": true, "[::]:8080": true, "10.0.0.5:8080": true, "shop.example.com:443": true,
		"127.0.0.1:8080": false, "127.0.0.2:80": false, "[::1]:8080": false, "localhost:8080": false, "garbage": true,
	} {
		if got := secureCookies(config{Addr: addr, SecureCookies: "auto"}); got != want {
			t.Errorf("auto on %q: secure %v, want %v", addr, got, want)
		}
	}
	if secureCookies(config{Addr: ":8080", SecureCookies: "off"}) || !secureCookies(config{Addr: "127.0.0.1:8080", SecureCookies: "on"}) {
		t.Error("on/off must override auto")
	}
}

// With OMS_DRAIN_DELAY, a SIGTERM first turns /readyz to 503 while requests are still
// served (a load balancer stops sending new ones), and only then closes the listener.
func TestServeDrainsBeforeClosing(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	serveCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(serveCtx, config{DatabaseURL: url, Addr: addr, ReservationTTL: time.Hour, DrainDelay: 2 * time.Second}, nil)
	}()
	base := "http://" + addr
	waitReady(t, base+"/healthz")
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := status("/readyz"); st != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d", st)
	}
	stop()
	deadline := time.Now().Add(time.Second)
	for status("/readyz") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not turn 503 on SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := status("/healthz"); st != http.StatusOK {
		t.Errorf("while draining, /healthz answered %d: requests must still be served", st)
	}
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
	if st := status("/healthz"); st != 0 {
		t.Errorf("still answering after the drain: %d", st)
	}
}
