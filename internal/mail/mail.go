// Package mail sends the customer emails through SMTP (OMS_SMTP_URL, OMS_MAIL_FROM),
// with github.com/wneessen/go-mail.
//
// One connection per Send: connect, STARTTLS when the server offers it (smtp://) or TLS
// from the first byte (smtps://), AUTH when the URL has credentials, one message, QUIT.
// Send reports whether a failure is for good (Permanent: the server refused the sender,
// recipient or message with a 5xx, or the message is invalid) or worth retrying.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultTimeout bounds a whole Send (connect, TLS, AUTH, the message, QUIT) when
// Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config is how to reach the SMTP server and who the emails are from.
type Config struct {
	// URL is OMS_SMTP_URL:
	//   smtp://[user[:pass]@]host[:port]   port 587 by default; STARTTLS when the
	//                                      server offers it, plain SMTP otherwise
	//   smtps://[user[:pass]@]host[:port]  port 465 by default; TLS from the start
	// User and password (URL-escaped: %40 for @) enable SMTP AUTH (PLAIN, else LOGIN,
	// else the best the server offers).
	URL string
	// From is OMS_MAIL_FROM, e.g. "Demo Shop <shop@example.com>" or a bare address.
	From string
	// Timeout bounds one Send, on top of its context; zero: DefaultTimeout.
	Timeout time.Duration
	// AllowInsecureAuth lets the password go to a server other than localhost over a
	// connection without TLS (a relay on a private network that offers no STARTTLS).
	// Without it such a Send fails (not permanently) rather than leak the password.
	AllowInsecureAuth bool
	// TLSConfig verifies the server's certificate (STARTTLS and smtps); nil: the
	// system's roots and the URL's host name. Set RootCAs for a private CA.
	TLSConfig *tls.Config
}

// Sender sends emails through one SMTP server. It is safe for concurrent use.
type Sender struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	hasAuth     bool
	insecure    bool
	from        *netmail.Address
	timeout     time.Duration
	tlsConfig   *tls.Config
	redacted    string
}

// New checks the configuration; it connects to nothing.
func New(cfg Config) (*Sender, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, errors.New("mail: no SMTP URL (OMS_SMTP_URL)")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url's errors quote the whole URL, password included.
		return nil, errors.New("mail: the SMTP URL (OMS_SMTP_URL) is not a URL")
	}
	s := &Sender{redacted: u.Redacted(), insecure: cfg.AllowInsecureAuth}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("mail: SMTP URL %q: the scheme must be smtp:// or smtps://", s.redacted)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mail: SMTP URL %q: only scheme://[user:pass@]host[:port] is understood", s.redacted)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, fmt.Errorf("mail: SMTP URL %q has no host", s.redacted)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL %q: bad port %q", s.redacted, p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, fmt.Errorf("mail: SMTP URL %q: a password without a user", s.redacted)
		}
		s.hasAuth = true
	}

	if strings.TrimSpace(cfg.From) == "" {
		return nil, errors.New("mail: no sender address (OMS_MAIL_FROM)")
	}
	s.from, err = netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address (OMS_MAIL_FROM) %q: %v", cfg.From, err)
	}

	s.timeout = cfg.Timeout
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if cfg.TLSConfig != nil {
		s.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	if s.tlsConfig.MinVersion == 0 {
		s.tlsConfig.MinVersion = tls.VersionTLS12
	}
	return s, nil
}

// String is the server's URL without its password, for logs.
func (s *Sender) String() string { return s.redacted }

// From is the sender address every email carries.
func (s *Sender) From() string { return s.from.String() }

// Message is one email to one recipient.
type Message struct {
	// ID is the Message-ID, e.g. "<email-123@oms.local>" (the angle brackets are
	// optional): made by the caller from its outbox row, so that every retry of one
	// email carries the same one and a receiver can tell a duplicate. Required.
	ID string
	To string // a bare address: bob@example.com
	// ToName (optional) and Subject are one line each: line breaks, tabs and other
	// control characters become spaces, and runs of spaces one.
	ToName  string
	Subject string
	Text    string // the text/plain part
	HTML    string // the text/html part; with Text: multipart/alternative
	// Headers are extra header fields, e.g. "X-OMS-Order": "1042". Not the ones this
	// package writes (From, To, Subject, Message-ID, Date, MIME-Version, Content-*) nor
	// address fields (Cc, Bcc, Sender, Reply-To...) that would add recipients.
	Headers map[string]string
}

// Send delivers m: it returns nil once the server has accepted the message. It gives up
// when ctx ends or after the Sender's Timeout, whichever comes first.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return &sendError{permanent: true, err: fmt.Errorf("mail: %w", err)}
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: send to %s: %w", m.To, err)
	}

	// go-mail bounds the dial by the context but the conversation only by its
	// per-command timeout: the connection is closed when ctx ends, so that a silent or
	// slow server cannot hold Send past it. It is closed in any case on return (go-mail
	// leaves it open when EHLO, STARTTLS or AUTH fail).
	var conn net.Conn
	var stopWatch func() bool
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		// Not go-mail's address: it writes host:port, wrong for an IPv6 literal.
		var d net.Dialer
		c, err := d.DialContext(dctx, network, net.JoinHostPort(s.host, strconv.Itoa(s.port)))
		if err != nil {
			return nil, err
		}
		conn = c
		stopWatch = context.AfterFunc(ctx, func() { c.Close() })
		if !s.implicitTLS {
			return c, nil
		}
		tc := tls.Client(c, s.tlsConfig)
		if err := tc.HandshakeContext(dctx); err != nil {
			return nil, err
		}
		return tc, nil
	}
	defer func() {
		if stopWatch != nil {
			stopWatch()
		}
		if conn != nil {
			conn.Close()
		}
	}()

	opts := []gomail.Option{
		gomail.WithPort(s.port),
		// Per command, a backstop: ctx bounds the whole Send to s.timeout.
		gomail.WithTimeout(s.timeout + time.Second),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(s.tlsConfig),
		// STARTTLS when offered (the default, TLSMandatory, refuses a server
		// without it, such as Mailpit or a relay on localhost). After an smtps
		// handshake no server offers it, and go-mail sees the connection is TLS.
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
	}
	if s.hasAuth {
		// PLAIN or LOGIN, the ones every server has; go-mail refuses to send either
		// over a connection without TLS unless the host is localhost (or the -NOENC
		// variants, with AllowInsecureAuth). A server offering neither: the best of
		// SCRAM and CRAM-MD5 it has.
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if s.insecure {
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(mechs...),
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return &sendError{permanent: true, err: fmt.Errorf("mail: %w", err)}
	}

	smtpClient, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// Greeting, EHLO, STARTTLS and AUTH: a refusal there is about the server or
		// this configuration, not this message; it is worth trying again.
		return s.failed(ctx, m, fmt.Errorf("connect to %s:%d: %w", s.host, s.port, err), false)
	}
	err = client.SendWithSMTPClient(smtpClient, msg)
	if msg.IsDelivered() {
		// Accepted: what fails after (the RSET go-mail sends, QUIT) must not make the
		// caller send it again.
		_ = client.CloseWithSMTPClient(smtpClient)
		return nil
	}
	if err != nil {
		return s.failed(ctx, m, err, refusedForGood(err))
	}
	return s.failed(ctx, m, errors.New("the server did not accept the message"), false)
}

func (s *Sender) failed(ctx context.Context, m Message, err error, permanent bool) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); cerr == nil && (errors.Is(err, os.ErrDeadlineExceeded) || ok && !time.Now().Before(dl)) {
		// A read deadline came before the context's timer: a timeout all the same.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		// The connection was closed under go-mail: say why.
		return &sendError{err: fmt.Errorf("mail: send %s to %s: %w (%v)", m.ID, m.To, cerr, err)}
	}
	return &sendError{permanent: permanent, err: fmt.Errorf("mail: send %s to %s: %w", m.ID, m.To, err)}
}

// refusedForGood: the server answered MAIL FROM, RCPT TO or the message with a 5xx.
// Not 530 and 534-538 (RFC 4954: authentication required, too weak, failed...): those
// are about the configuration, and every email would fail the same until it is fixed.
func refusedForGood(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	if code < 500 || code > 599 {
		return false
	}
	if code == 530 || (code >= 534 && code <= 538) {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

// sendError is what Send returns.
type sendError struct {
	permanent bool
	err       error
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// Permanent reports whether err, from Send, means this email will never go: the server
// refused its sender, recipient or content with a 5xx (550 no such user, 552 too big,
// 554 rejected...), or the message itself is invalid (a bad address, no body). Don't
// retry it. Connection errors, timeouts, cancellations, 4xx answers and refusals of the
// connection or of the AUTH (a configuration to fix) are not permanent.
func Permanent(err error) bool {
	var se *sendError
	return errors.As(err, &se) && se.permanent
}

// reserved are the header fields Message.Headers may not set.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Sender": true, "Reply-To": true,
	"Subject": true, "Message-Id": true, "Date": true, "Mime-Version": true,
	"Return-Path": true, "Received": true, "Disposition-Notification-To": true,
	"Resent-From": true, "Resent-To": true, "Resent-Cc": true, "Resent-Bcc": true,
	"Resent-Sender": true, "Resent-Date": true, "Resent-Message-Id": true,
}

func (s *Sender) message(m Message) (*gomail.Msg, error) {
	id, err := messageID(m.ID)
	if err != nil {
		return nil, err
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil || to.Name != "" || strings.ContainsAny(m.To, "<>\r\n") {
		return nil, fmt.Errorf("message %s: bad recipient address %q", m.ID, m.To)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, fmt.Errorf("message %s: no text and no HTML", m.ID)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&netmail.Address{Name: s.from.Name, Address: s.from.Address})
	msg.ToMailAddress(&netmail.Address{Name: oneLine(m.ToName), Address: to.Address})
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(id)
	seen := map[string]bool{}
	for name, value := range m.Headers {
		if !fieldName(name) {
			return nil, fmt.Errorf("message %s: bad header name %q", m.ID, name)
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if reserved[canon] || strings.HasPrefix(canon, "Content-") {
			return nil, fmt.Errorf("message %s: header %s is not for Message.Headers", m.ID, name)
		}
		if seen[canon] {
			return nil, fmt.Errorf("message %s: header %s twice", m.ID, name)
		}
		seen[canon] = true
		if strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("message %s: header %s: a line break in its value", m.ID, name)
		}
		msg.SetGenHeader(gomail.Header(name), value) // as the caller spells it
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageID checks an id-left@id-right Message-ID, with or without its angle brackets,
// and returns it without them (go-mail adds them).
func messageID(id string) (string, error) {
	bare := strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	left, right, ok := strings.Cut(bare, "@")
	if !ok || left == "" || right == "" || len(bare) > 250 {
		return "", fmt.Errorf("bad Message-ID %q: want <left@right>", id)
	}
	for _, r := range bare {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`<>()[]\,;:"`, r) {
			return "", fmt.Errorf("bad Message-ID %q: want <left@right> of printable ASCII", id)
		}
	}
	if strings.Count(bare, "@") != 1 {
		return "", fmt.Errorf("bad Message-ID %q: want <left@right>", id)
	}
	return bare, nil
}

// oneLine turns the line breaks and other control characters of a subject or name
// (customer data) into spaces: a header is one line whatever it holds.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == ' '
	}), " ")
}

// fieldName: RFC 5322 ftext, printable ASCII but the colon.
func fieldName(name string) bool {
	if name == "" || len(name) > 76 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
