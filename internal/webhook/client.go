package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// DefaultTimeout is the time a delivery has when NewClient is given none: API.md §6
// counts a message delivered when a 2xx comes within 10 s.
const DefaultTimeout = 10 * time.Second

const (
	// UserAgent is sent with every delivery.
	UserAgent = "OMS-Webhooks/1"
	// MaxResultBody is how much of the response Result.Body keeps.
	MaxResultBody = 1 << 10
	// Past what Result keeps, up to this much more of a response is read and thrown
	// away, so that the connection can serve the next delivery; a longer response has
	// its connection closed instead.
	maxDiscard = 64 << 10
)

// Client delivers messages to webhook endpoints. It is safe for concurrent use, and
// keeps connections open between deliveries.
type Client struct {
	http    *http.Client
	dialer  *net.Dialer
	timeout time.Duration
}

// NewClient returns a Client whose every delivery, from connecting to reading the
// answer, takes at most timeout (DefaultTimeout when timeout <= 0).
//
// Unless allowPrivate, the Client connects only to public addresses (CheckURL's rule).
// The address is checked as the connection is made, on the address actually dialed,
// after every resolution: a host name whose DNS answer changed since CheckURL (DNS
// rebinding) cannot reach a private address, nor can a URL stored before private
// addresses were refused.
func NewClient(allowPrivate bool, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refuseNonPublic
	}
	transport := &http.Transport{
		// No proxy, and none from HTTP_PROXY, HTTPS_PROXY or NO_PROXY either
		// (http.ProxyFromEnvironment is not used). Through a proxy the Client would
		// connect to the proxy and never see the endpoint's address, so the check of
		// that address in refuseNonPublic would pass for any URL, and the proxy would
		// reach loopback or the private network from where it stands: whoever may add
		// an endpoint could reach internal services through it. The environment is
		// also the server's, set for its other outbound calls (payments, mail), not a
		// decision about where customers' URLs may go. An egress proxy that filters
		// private addresses itself is a deployment choice to make explicitly.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		// The body is logged as it came, and never grows past what was read.
		DisableCompression:  true,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{
		http: &http.Client{
			Transport: transport,
			// Redirects are not followed: a 3xx is a failed delivery (the Standard
			// Webhooks advice; the endpoint's URL is what should change), and a
			// redirect cannot take a signed message anywhere the URL did not say.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		dialer:  dialer,
		timeout: timeout,
	}
}

// Result is what one delivery attempt got, for the delivery log.
type Result struct {
	StatusCode int           // the response's status; 0 when there was none
	Duration   time.Duration // from sending the request to reading the answer, or failing
	Body       string        // the start of the response body: at most MaxResultBody bytes, valid UTF-8, no NUL
}

// StatusError is Deliver's error for a response outside 2xx.
type StatusError struct {
	Result   Result
	Location string // where a redirect (not followed) pointed, as an absolute URL
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("the endpoint answered %d %s", e.Result.StatusCode, http.StatusText(e.Result.StatusCode))
	if e.Result.StatusCode >= 300 && e.Result.StatusCode < 400 {
		msg += "; redirects are not followed: give the endpoint the URL it redirects to"
		if loc := e.Location; loc != "" {
			if len(loc) > 300 {
				loc = strings.ToValidUTF8(loc[:300], "") + "..."
			}
			msg += " (" + loc + ")"
		}
	}
	return msg
}

// Deliver POSTs body to rawURL as message msgID, signed for ts with secret (Sign), with
// the headers webhook-id, webhook-timestamp and webhook-signature, Content-Type
// application/json and User-Agent UserAgent. It returns an error unless the endpoint
// answers 2xx within the Client's timeout: a *StatusError (with the Result) for another
// status, redirects included; errors.Is(err, context.DeadlineExceeded) for a timeout;
// errors.Is(err, ErrPrivateAddress) for an address refused; else the error of
// connecting or of the request. The Result says what was had in every case.
//
// rawURL must pass CheckURL's checks of form; whether its host is public is checked
// as the Client connects.
func (c *Client) Deliver(ctx context.Context, rawURL, secret, msgID string, ts time.Time, body []byte) (Result, error) {
	if _, err := parseURL(rawURL); err != nil {
		return Result{}, fmt.Errorf("url %w", err)
	}
	sig, err := Sign(secret, msgID, ts, body)
	if err != nil {
		return Result{}, err
	}
	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start)}, c.transportError(ctx, reqCtx, err)
	}
	// An error reading the body (a timeout, a reset) after the status came changes
	// nothing: the endpoint has answered.
	kept := readBody(resp.Body)
	resp.Body.Close()
	res := Result{StatusCode: resp.StatusCode, Duration: time.Since(start), Body: kept}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Result: res}
		if loc, err := resp.Location(); err == nil {
			se.Location = loc.String()
		}
		return res, se
	}
	return res, nil
}

// transportError drops the URL from the error of a request that got no answer (the
// delivery log shows the endpoint's URL beside it), and says when the Client's timeout
// (reqCtx's, not the caller's ctx) ended it.
func (c *Client) transportError(ctx, reqCtx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() == nil && reqCtx.Err() == context.DeadlineExceeded {
		if !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
		}
		return fmt.Errorf("no answer within %v: %w", c.timeout, err)
	}
	return err
}

// readBody returns the start of a response body and reads up to maxDiscard more, so
// that a short response leaves its connection reusable; the caller closes the body,
// which closes the connection of a longer one.
func readBody(body io.Reader) string {
	buf := make([]byte, MaxResultBody)
	n, _ := io.ReadFull(body, buf)
	io.CopyN(io.Discard, body, maxDiscard)
	return loggable(buf[:n])
}

// loggable makes b fit for a text column: a rune cut at the end is dropped, invalid
// UTF-8 and NUL become U+FFFD.
func loggable(b []byte) string {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if r := b[len(b)-i]; utf8.RuneStart(r) {
			if !utf8.FullRune(b[len(b)-i:]) {
				b = b[:len(b)-i]
			}
			break
		}
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "\uFFFD")
}

// refuseNonPublic is the dialer's Control: it runs for every connection about to be
// made, with the address resolved, and refuses those that are not public.
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &urlError{msg: "refusing to connect to " + address + ": not an IP address and port", private: true}
	}
	if kind := nonPublic(ap.Addr()); kind != "" {
		return &urlError{msg: fmt.Sprintf("refusing to connect to %s: a private address (%s); webhooks go only to public addresses", ap.Addr(), kind), private: true}
	}
	return nil
}
