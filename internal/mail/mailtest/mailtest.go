// Package mailtest is a real SMTP server for tests (github.com/emersion/go-smtp), in
// process on 127.0.0.1, that keeps and parses what it receives. It can require AUTH,
// offer STARTTLS or speak TLS from the start, refuse the next messages with a given
// code, and go away and come back on the same port.
//
//	srv := mailtest.Start(t)
//	sender, _ := mail.New(mail.Config{URL: srv.URL(), From: "shop@example.com"})
//	... sender.Send(ctx, m) ...
//	got := srv.WaitFor(t, 1, 5*time.Second)
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From      string      // the envelope sender (MAIL FROM)
	To        []string    // the envelope recipients (RCPT TO)
	Subject   string      // decoded (RFC 2047)
	MessageID string      // the Message-ID field, angle brackets included
	Text      string      // the first text/plain part, decoded, line breaks as "\n"
	HTML      string      // the first text/html part, decoded, line breaks as "\n"
	Headers   mail.Header // the top-level header fields, RFC 2047 words decoded
	Raw       []byte      // the message as it came, CRLF line breaks
	AuthUser  string      // who authenticated, "" without AUTH
	TLS       bool        // it came over TLS (STARTTLS or implicit)
	ParseErr  error       // not nil when the message could not be parsed (Raw has it)
}

// Option changes what Start makes.
type Option func(*options)

type options struct {
	user, pass  string
	mechs       []string
	startTLS    bool
	implicitTLS bool
}

// WithAuth makes the server offer AUTH with the given mechanisms (default PLAIN and
// LOGIN; those two are what it knows) and refuse MAIL FROM without it. URL() then
// carries user and password.
func WithAuth(user, pass string, mechanisms ...string) Option {
	return func(o *options) {
		o.user, o.pass = user, pass
		o.mechs = mechanisms
		if len(o.mechs) == 0 {
			o.mechs = []string{sasl.Plain, sasl.Login}
		}
	}
}

// WithSTARTTLS makes the server offer STARTTLS, with a certificate of its own for
// 127.0.0.1 (ClientTLSConfig trusts it). AUTH is then only offered after STARTTLS, as
// real servers do.
func WithSTARTTLS() Option { return func(o *options) { o.startTLS = true } }

// WithImplicitTLS makes the server speak TLS from the first byte (smtps://).
func WithImplicitTLS() Option { return func(o *options) { o.implicitTLS = true } }

// Server is a running (or stopped) test SMTP server.
type Server struct {
	t         testing.TB
	opts      options
	addr      string
	tlsConfig *tls.Config // the server's
	roots     *x509.CertPool

	mu       sync.Mutex
	smtp     *smtp.Server // nil while stopped
	ln       net.Listener
	served   chan struct{} // closed when Serve returns
	msgs     []Received
	changed  chan struct{} // closed (and replaced) when a message arrives
	failN    int
	failCode int
}

// Start starts a server on 127.0.0.1 (a free port), stopped when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, changed: make(chan struct{})}
	for _, o := range opts {
		o(&s.opts)
	}
	if s.opts.startTLS || s.opts.implicitTLS {
		var err error
		if s.tlsConfig, s.roots, err = selfSigned(); err != nil {
			t.Fatalf("mailtest: certificate: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's address as OMS_SMTP_URL: smtp://127.0.0.1:port (smtps:// with
// WithImplicitTLS; user:pass@ with WithAuth).
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.opts.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.opts.user != "" {
		u.User = url.UserPassword(s.opts.user, s.opts.pass)
	}
	return u.String()
}

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

// ClientTLSConfig is a client configuration that trusts the server's certificate (nil
// without WithSTARTTLS or WithImplicitTLS).
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.roots == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// Messages is what has been accepted so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// WaitFor waits until at least n messages have been accepted and returns them all; the
// test fails when that takes longer than timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, changed := len(s.msgs), s.changed
		if got >= n {
			msgs := append([]Received(nil), s.msgs...)
			s.mu.Unlock()
			return msgs
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("mailtest: %d message(s) after %s, want %d", got, timeout, n)
			return nil
		}
	}
}

// FailNext makes the server answer the next n messages (at the end of DATA) with code,
// e.g. 451 (try again later) or 550 (refused): they are not kept.
func (s *Server) FailNext(n int, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// Stop closes the listener and every connection: connections are refused until
// Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, served := s.smtp, s.ln, s.served
	s.smtp, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	// Serve may not have registered the listener yet: Close would not have closed it.
	ln.Close()
	<-served
}

// Restart listens again on the same port, keeping the messages received. Call it from
// the test's goroutine: the test fails when the port cannot be had back.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.smtp != nil
	s.mu.Unlock()
	if running {
		return
	}
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		if ln, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("mailtest: listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *Server) serve(ln net.Listener) {
	if s.opts.implicitTLS {
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		base := &session{srv: s, conn: c}
		if s.opts.user != "" {
			return &authSession{base}, nil
		}
		return base, nil
	}))
	srv.Domain = "mailtest.local"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 32 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.opts.startTLS {
		srv.TLSConfig = s.tlsConfig
	}
	// Over TLS AUTH is always allowed; without it, only when no STARTTLS is offered.
	srv.AllowInsecureAuth = !s.opts.startTLS
	served := make(chan struct{})
	s.mu.Lock()
	s.smtp, s.ln, s.served = srv, ln, served
	s.mu.Unlock()
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
}

func (s *Server) receive(r Received) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		code := s.failCode
		return &smtp.SMTPError{
			Code:         code,
			EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0},
			Message:      fmt.Sprintf("mailtest: refused as asked (FailNext %d)", code),
		}
	}
	s.msgs = append(s.msgs, r)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// session is one connection.
type session struct {
	srv      *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.srv.opts.user != "" && x.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	got := parse(raw)
	got.From, got.To, got.AuthUser = x.from, append([]string(nil), x.to...), x.authUser
	_, got.TLS = x.conn.TLSConnectionState()
	return x.srv.receive(got)
}

// authSession is a session of a server WithAuth.
type authSession struct{ *session }

func (x *authSession) AuthMechanisms() []string { return x.srv.opts.mechs }

func (x *authSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != x.srv.opts.user || pass != x.srv.opts.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed"}
		}
		x.authUser = user
		return nil
	}
	offered := false
	for _, m := range x.srv.opts.mechs {
		offered = offered || strings.EqualFold(m, mech)
	}
	switch {
	case offered && strings.EqualFold(mech, sasl.Plain):
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return errors.New("mailtest: PLAIN identity other than the user")
			}
			return check(user, pass)
		}), nil
	case offered && strings.EqualFold(mech, sasl.Login):
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN (go-sasl has only the client's):
// "Username:", "Password:", then the check.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) > 0 { // an initial response: the user name
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.step++
		l.user = string(response)
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("mailtest: unexpected LOGIN response")
}

// parse reads a message: its header, and its text and HTML parts however encoded.
func parse(raw []byte) Received {
	got := Received{Raw: raw, Headers: mail.Header{}}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		got.ParseErr = err
		return got
	}
	var dec mime.WordDecoder
	for k, vs := range msg.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			got.Headers[k] = append(got.Headers[k], v)
		}
	}
	got.Subject = got.Headers.Get("Subject")
	got.MessageID = msg.Header.Get("Message-Id")
	got.ParseErr = walk(textproto.MIMEHeader(msg.Header), msg.Body, &got, 0)
	return got
}

func walk(h textproto.MIMEHeader, body io.Reader, got *Received, depth int) error {
	if depth > 10 {
		return errors.New("multipart nested too deep")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %v", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// Raw: NextPart would decode quoted-printable itself but not base64.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %v", mt, err)
			}
			if err := walk(p.Header, p, got, depth+1); err != nil {
				return err
			}
		}
	}
	if d, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); d == "attachment" {
		return nil
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s part: %v", mt, err)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if mt == "text/plain" && got.Text == "" {
		got.Text = text
	}
	if mt == "text/html" && got.HTML == "" {
		got.HTML = text
	}
	return nil
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost, and a pool that
// trusts it.
func selfSigned() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	return cfg, roots, nil
}
