package mail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/mail/mailtest"
)

const wait = 5 * time.Second

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Demo Shop <shop@example.com>"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func message(id string) Message {
	return Message{
		ID:      "<" + id + "@oms.local>",
		To:      "bob@example.com",
		ToName:  "Bob Smith",
		Subject: "Your order 1042 is confirmed",
		Text:    "Hello Bob,\nyour order is confirmed.\n",
		HTML:    "<p>Hello Bob,</p>\n<p>your order is confirmed.</p>\n",
		Headers: map[string]string{"X-OMS-Order": "1042"},
	}
}

func send(t *testing.T, s *Sender, m Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return s.Send(ctx, m)
}

func TestSend(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	if err := send(t, s, message("email-1")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, wait)[0]
	if got.ParseErr != nil {
		t.Fatalf("parse: %v\n%s", got.ParseErr, got.Raw)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("envelope from", got.From, "shop@example.com")
	check("envelope to", strings.Join(got.To, ","), "bob@example.com")
	check("Subject", got.Subject, "Your order 1042 is confirmed")
	check("Message-ID", got.MessageID, "<email-1@oms.local>")
	check("From", got.Headers.Get("From"), `"Demo Shop" <shop@example.com>`)
	check("To", got.Headers.Get("To"), `"Bob Smith" <bob@example.com>`)
	check("X-OMS-Order", got.Headers.Get("X-OMS-Order"), "1042")
	check("Text", got.Text, "Hello Bob,\nyour order is confirmed.\n")
	check("HTML", got.HTML, "<p>Hello Bob,</p>\n<p>your order is confirmed.</p>\n")
	if !strings.Contains(string(got.Raw), "\r\nX-OMS-Order: 1042\r\n") {
		t.Errorf("X-OMS-Order not written as spelt:\n%s", got.Raw)
	}
	if ct := got.Headers.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if got.Headers.Get("Date") == "" {
		t.Error("no Date")
	}
	for _, h := range []string{"User-Agent", "X-Mailer"} {
		if v := got.Headers.Get(h); v != "" {
			t.Errorf("%s: %q, want none", h, v)
		}
	}
	if got.TLS || got.AuthUser != "" {
		t.Errorf("TLS %v, AuthUser %q: want neither", got.TLS, got.AuthUser)
	}
}

// Text that needs encoding comes back as it went: UTF-8, long lines, '=' and dots at the
// start of lines (SMTP's own escape), in both parts.
func TestSendEncodings(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL(), From: "Boutique Zoë <zoe@example.com>"})
	long := strings.Repeat("Größe 42 = passt; ", 20)
	m := message("email-2")
	m.ToName = "Jürgen Groß"
	m.Subject = "Ihre Bestellung – Größe ✓ " + strings.Repeat("lang ", 20)
	m.Text = "Grüße,\n.\n..dot\n" + long + "\nfin=\n"
	m.HTML = "<p>Grüße ✓</p>\n<p>" + long + "</p>\n"
	if err := send(t, s, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, wait)[0]
	if got.ParseErr != nil {
		t.Fatalf("parse: %v", got.ParseErr)
	}
	if got.Subject != strings.TrimSpace(m.Subject) {
		t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
	}
	if got.Text != m.Text {
		t.Errorf("Text = %q, want %q", got.Text, m.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("HTML = %q, want %q", got.HTML, m.HTML)
	}
	if to := got.Headers.Get("To"); !strings.Contains(to, "Jürgen Groß") {
		t.Errorf("To = %q, want the name decoded", to)
	}
	if from := got.Headers.Get("From"); !strings.Contains(from, "Boutique Zoë") {
		t.Errorf("From = %q", from)
	}
	for _, line := range strings.Split(string(got.Raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("a line of %d bytes", len(line))
		}
	}
}

func TestSendOnePart(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	text, html := message("email-text"), message("email-html")
	text.HTML, html.Text = "", ""
	for _, m := range []Message{text, html} {
		if err := send(t, s, m); err != nil {
			t.Fatalf("Send %s: %v", m.ID, err)
		}
	}
	got := srv.WaitFor(t, 2, wait)
	if ct := got[0].Headers.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || got[0].Text != text.Text || got[0].HTML != "" {
		t.Errorf("text only: Content-Type %q, Text %q, HTML %q", ct, got[0].Text, got[0].HTML)
	}
	if ct := got[1].Headers.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || got[1].HTML != html.HTML || got[1].Text != "" {
		t.Errorf("HTML only: Content-Type %q, Text %q, HTML %q", ct, got[1].Text, got[1].HTML)
	}
}

// The same Message-ID on every attempt: a retry after a 451 carries the one of the first.
func TestMessageIDKeptAcrossRetries(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	srv.FailNext(1, 451)
	m := message("email-7")
	m.ID = "email-7@oms.local" // brackets are optional
	if err := send(t, s, m); err == nil || Permanent(err) {
		t.Fatalf("first attempt: %v, want a temporary error", err)
	}
	if err := send(t, s, m); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := srv.WaitFor(t, 1, wait)[0].MessageID; got != "<email-7@oms.local>" {
		t.Errorf("Message-ID = %q", got)
	}
}

func TestAuth(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.WithAuth("shop@example.com", "pa:ss w@rd/%", mech))
			s := newSender(t, Config{URL: srv.URL()})
			if err := send(t, s, message("email-auth")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := srv.WaitFor(t, 1, wait)[0].AuthUser; got != "shop@example.com" {
				t.Errorf("AuthUser = %q", got)
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.WithAuth("shop", "right"))
		u, _ := url.Parse(srv.URL())
		u.User = url.UserPassword("shop", "wrong")
		s := newSender(t, Config{URL: u.String()})
		err := send(t, s, message("email-auth"))
		if err == nil || Permanent(err) || !strings.Contains(err.Error(), "535") {
			t.Fatalf("Send = %v, want a 535 that is not permanent (a configuration to fix)", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the password is in the error: %v", err)
		}
	})

	t.Run("required but not configured", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.WithAuth("shop", "secret"))
		u, _ := url.Parse(srv.URL())
		u.User = nil
		s := newSender(t, Config{URL: u.String()})
		err := send(t, s, message("email-auth"))
		if err == nil || Permanent(err) || !strings.Contains(err.Error(), "530") {
			t.Fatalf("Send = %v, want a 530 that is not permanent", err)
		}
	})

	// Credentials go in the clear only to localhost, or when allowed: the same server
	// reached as ::ffff:127.0.0.1 is not "localhost" to go-mail.
	t.Run("no TLS, not localhost", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.WithAuth("shop", "secret"))
		u, _ := url.Parse(srv.URL())
		u.Host = net.JoinHostPort("::ffff:127.0.0.1", u.Port())
		s := newSender(t, Config{URL: u.String()})
		err := send(t, s, message("email-auth"))
		if err == nil || Permanent(err) || !strings.Contains(err.Error(), "unencrypted") {
			t.Fatalf("Send = %v, want a refusal to authenticate without TLS", err)
		}
		s = newSender(t, Config{URL: u.String(), AllowInsecureAuth: true})
		if err := send(t, s, message("email-auth")); err != nil {
			t.Fatalf("Send with AllowInsecureAuth: %v", err)
		}
		srv.WaitFor(t, 1, wait)
	})
}

func TestSTARTTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithSTARTTLS(), mailtest.WithAuth("shop", "secret"))
	s := newSender(t, Config{URL: srv.URL(), TLSConfig: srv.ClientTLSConfig()})
	if err := send(t, s, message("email-tls")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, wait)[0]
	if !got.TLS || got.AuthUser != "shop" {
		t.Errorf("TLS %v, AuthUser %q: want STARTTLS then AUTH", got.TLS, got.AuthUser)
	}

	// A certificate that does not verify: no mail, and no silent fallback to plain text.
	s = newSender(t, Config{URL: srv.URL()})
	err := send(t, s, message("email-tls"))
	if err == nil || Permanent(err) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send with an unknown CA = %v, want a certificate error", err)
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithImplicitTLS(), mailtest.WithAuth("shop", "secret"))
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL %q", srv.URL())
	}
	s := newSender(t, Config{URL: srv.URL(), TLSConfig: srv.ClientTLSConfig()})
	if err := send(t, s, message("email-smtps")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, wait)[0]
	if !got.TLS || got.AuthUser != "shop" {
		t.Errorf("TLS %v, AuthUser %q", got.TLS, got.AuthUser)
	}
	// smtp:// to a TLS port: an error, soon (the server waits for a TLS hello).
	u, _ := url.Parse(srv.URL())
	u.Scheme = "smtp"
	s = newSender(t, Config{URL: u.String(), Timeout: time.Second})
	if err := send(t, s, message("email-smtps")); err == nil || Permanent(err) {
		t.Fatalf("smtp:// to an smtps port = %v, want a temporary error", err)
	}
}

func TestPermanent(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{550, true}, {554, true}, {552, true}, {451, false}, {421, false}, {452, false}} {
		srv.FailNext(1, tc.code)
		err := send(t, s, message("email-fail"))
		if err == nil {
			t.Fatalf("%d: no error", tc.code)
		}
		if Permanent(err) != tc.permanent {
			t.Errorf("%d: Permanent = %v, want %v (%v)", tc.code, !tc.permanent, tc.permanent, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages kept, want none", n)
	}
	if Permanent(nil) || Permanent(errors.New("550 not from Send")) {
		t.Error("Permanent of an error that is not from Send")
	}
	// An invalid message is permanent too: it would never go.
	m := message("email-bad")
	m.To = "not an address"
	if err := send(t, s, m); !Permanent(err) {
		t.Errorf("bad recipient: %v, want permanent", err)
	}
}

// SMTP down for a while: refused (not permanent), then back on the same port.
func TestServerDown(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	srv.Stop()
	err := send(t, s, message("email-down"))
	if err == nil || Permanent(err) {
		t.Fatalf("Send while down = %v, want a temporary error", err)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
	srv.Restart()
	if err := send(t, s, message("email-down")); err != nil {
		t.Fatalf("Send after Restart: %v", err)
	}
	srv.WaitFor(t, 1, wait)
}

// silent accepts connections and never says a word.
func silent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "smtp://" + ln.Addr().String()
}

func TestContextAndTimeout(t *testing.T) {
	url := silent(t)
	elapsed := func(f func() error) (time.Duration, error) {
		start := time.Now()
		err := f()
		return time.Since(start), err
	}

	t.Run("context deadline", func(t *testing.T) {
		s := newSender(t, Config{URL: url})
		took, err := elapsed(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			return s.Send(ctx, message("email-silent"))
		})
		if !errors.Is(err, context.DeadlineExceeded) || Permanent(err) || took > 3*time.Second {
			t.Fatalf("Send = %v after %s, want the deadline, soon", err, took)
		}
	})

	t.Run("Config.Timeout", func(t *testing.T) {
		s := newSender(t, Config{URL: url, Timeout: 200 * time.Millisecond})
		took, err := elapsed(func() error { return s.Send(context.Background(), message("email-silent")) })
		if !errors.Is(err, context.DeadlineExceeded) || Permanent(err) || took > 3*time.Second {
			t.Fatalf("Send = %v after %s, want the timeout, soon", err, took)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		s := newSender(t, Config{URL: url})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		took, err := elapsed(func() error { return s.Send(ctx, message("email-silent")) })
		if !errors.Is(err, context.Canceled) || Permanent(err) || took > 3*time.Second {
			t.Fatalf("Send = %v after %s, want cancelled, soon", err, took)
		}
	})

	t.Run("already cancelled", func(t *testing.T) {
		s := newSender(t, Config{URL: url})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Send(ctx, message("email-silent")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v, want cancelled", err)
		}
	})

	t.Run("cancelled: nothing sent", func(t *testing.T) {
		srv := mailtest.Start(t)
		s := newSender(t, Config{URL: srv.URL()})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Send(ctx, message("email-x")); err == nil {
			t.Fatal("sent with a cancelled context")
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("%d messages", n)
		}
	})
}

// A subject, a name or a header value cannot add header fields or recipients.
func TestHeaderInjection(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	m := message("email-inject")
	m.Subject = "Hello\r\nBcc: evil@example.com\r\n\r\nbody"
	m.ToName = "Bob\r\nBcc: evil2@example.com\nX-Evil: 1"
	if err := send(t, s, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, wait)[0]
	if len(got.To) != 1 || got.To[0] != "bob@example.com" {
		t.Errorf("envelope recipients %q", got.To)
	}
	for _, h := range []string{"Bcc", "X-Evil", "Cc"} {
		if v := got.Headers[h]; v != nil {
			t.Errorf("injected %s: %q", h, v)
		}
	}
	if got.Subject != "Hello Bcc: evil@example.com body" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if got.Text != m.Text {
		t.Errorf("Text = %q: the body moved", got.Text)
	}
	if strings.Contains(string(got.Raw), "\r\nBcc:") || strings.Contains(string(got.Raw), "\nX-Evil") {
		t.Errorf("raw message has an injected line:\n%s", got.Raw)
	}

	for name, headers := range map[string]map[string]string{
		"line break in a value": {"X-OMS-Order": "1\r\nBcc: evil@example.com"},
		"bare LF in a value":    {"X-OMS-Order": "1\nBcc: evil@example.com"},
		"Bcc":                   {"bcc": "evil@example.com"},
		"Content-Type":          {"Content-Type": "text/plain"},
		"Message-ID":            {"message-id": "<other@x>"},
		"space in the name":     {"X OMS": "1"},
		"colon in the name":     {"X-OMS:": "1"},
		"line break in name":    {"X-A\r\nBcc": "evil@example.com"},
		"twice":                 {"X-OMS-Order": "1", "x-oms-order": "2"},
	} {
		m := message("email-inject")
		m.Headers = headers
		if err := send(t, s, m); err == nil || !Permanent(err) {
			t.Errorf("%s: Send = %v, want a permanent error", name, err)
		}
	}
	for name, to := range map[string]string{
		"two addresses": "bob@example.com, evil@example.com",
		"line break":    "bob@example.com\r\nBcc: evil@example.com",
		"with a name":   "Bob <bob@example.com>",
		"empty":         "",
	} {
		m := message("email-inject")
		m.To = to
		if err := send(t, s, m); err == nil || !Permanent(err) {
			t.Errorf("To %s: Send = %v, want a permanent error", name, err)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages, want only the first", n)
	}
}

func TestMessageValidation(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	for _, id := range []string{"", "<>", "no-at", "<a@b> x", "a@b\r\nBcc: x@y", "<a@b@c>", "<a b@c>", "<@b>", "<a@>", "<ü@b>"} {
		m := message("x")
		m.ID = id
		if err := send(t, s, m); err == nil || !Permanent(err) {
			t.Errorf("ID %q: Send = %v, want a permanent error", id, err)
		}
	}
	m := message("x")
	m.Text, m.HTML = "", ""
	if err := send(t, s, m); err == nil || !Permanent(err) {
		t.Errorf("no body: Send = %v, want a permanent error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url         string
		host        string
		port        int
		implicitTLS bool
		user, pass  string
	}{
		{"smtp://mail.example.com", "mail.example.com", 587, false, "", ""},
		{"smtp://127.0.0.1:1025", "127.0.0.1", 1025, false, "", ""},
		{"smtp://user:pass@host:587", "host", 587, false, "user", "pass"},
		{"smtp://user%40example.com:p%40ss%3Aword@host/", "host", 587, false, "user@example.com", "p@ss:word"},
		{"SMTPS://smtp.example.com", "smtp.example.com", 465, true, "", ""},
		{"smtps://apikey:secret@smtp.example.com:2465", "smtp.example.com", 2465, true, "apikey", "secret"},
		{"smtp://[::1]:25", "::1", 25, false, "", ""},
		{"smtp://user@host", "host", 587, false, "user", ""},
	} {
		s, err := New(Config{URL: tc.url, From: "shop@example.com"})
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if s.host != tc.host || s.port != tc.port || s.implicitTLS != tc.implicitTLS || s.user != tc.user || s.pass != tc.pass {
			t.Errorf("%s: host %q port %d tls %v user %q pass %q", tc.url, s.host, s.port, s.implicitTLS, s.user, s.pass)
		}
		if s.timeout != DefaultTimeout {
			t.Errorf("%s: timeout %s", tc.url, s.timeout)
		}
		if tc.pass != "" && strings.Contains(s.String(), tc.pass) {
			t.Errorf("String() %q shows the password", s.String())
		}
	}

	for _, tc := range []struct{ url, from string }{
		{"", "shop@example.com"},
		{"mail.example.com:587", "shop@example.com"},
		{"http://mail.example.com", "shop@example.com"},
		{"smtp://", "shop@example.com"},
		{"smtp://:secret@host", "shop@example.com"},
		{"smtp://host:0", "shop@example.com"},
		{"smtp://host:70000", "shop@example.com"},
		{"smtp://host:x", "shop@example.com"},
		{"smtp://host/path", "shop@example.com"},
		{"smtp://host?tls=required", "shop@example.com"},
		{"smtp://user:s3cret@host:587 x", "shop@example.com"},
		{"smtp://user:s3cret@host", ""},
		{"smtp://user:s3cret@host", "not an address"},
		{"smtp://user:s3cret@host", "a@b.c, d@e.f"},
		{"smtp://user:s3cret@host", "shop@example.com\r\nBcc: evil@example.com"},
	} {
		_, err := New(Config{URL: tc.url, From: tc.from})
		if err == nil {
			t.Errorf("New(%q, %q): no error", tc.url, tc.from)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("New(%q): the password is in the error: %v", tc.url, err)
		}
	}
}

// scripted speaks just enough SMTP to take a message, then never answers its end: the
// worst case, where the message may or may not have been delivered.
func scripted(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		fmt.Fprint(c, "220 scripted ESMTP\r\n")
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case inData && cmd == ".":
				// silence: the answer never comes
			case inData:
			case strings.HasPrefix(cmd, "EHLO"):
				fmt.Fprint(c, "250-scripted\r\n250 8BITMIME\r\n")
			case cmd == "DATA":
				inData = true
				fmt.Fprint(c, "354 go ahead\r\n")
			default:
				fmt.Fprint(c, "250 ok\r\n")
			}
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "smtp://" + ln.Addr().String()
}

func TestTimeoutAfterData(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		ctx     time.Duration
	}{{"Config.Timeout", 300 * time.Millisecond, wait}, {"context", wait, 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSender(t, Config{URL: scripted(t), Timeout: tc.timeout})
			ctx, cancel := context.WithTimeout(context.Background(), tc.ctx)
			defer cancel()
			start := time.Now()
			err := s.Send(ctx, message("email-stalled"))
			if !errors.Is(err, context.DeadlineExceeded) || Permanent(err) || time.Since(start) > 3*time.Second {
				t.Fatalf("Send = %v after %s, want a timeout, soon", err, time.Since(start))
			}
		})
	}
}

func TestConcurrentSends(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, Config{URL: srv.URL()})
	errs := make(chan error, 10)
	for i := range 10 {
		go func() { errs <- send(t, s, message(fmt.Sprintf("email-c%d", i))) }()
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	ids := map[string]bool{}
	for _, m := range srv.WaitFor(t, 10, wait) {
		ids[m.MessageID] = true
	}
	if len(ids) != 10 {
		t.Errorf("%d distinct Message-IDs, want 10", len(ids))
	}
}
