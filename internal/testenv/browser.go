package testenv

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// SessionCookie is the name of the session cookie on a loopback address.
const SessionCookie = "oms_session"

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// Browser is a staff member's browser: it keeps the session cookie and the CSRF token,
// and can be pointed at any process (the session is the same for all of them). Try and
// TryPost report a request that got no answer; Get, Post and Login fail the test.
type Browser struct {
	t    testing.TB
	http *http.Client
	mu   sync.Mutex
	// Cookie is the session cookie, nil before the first answer that set one.
	cookie *http.Cookie
	csrf   string
}

// NewBrowser is a browser with no session yet; it does not follow redirects.
func NewBrowser(t testing.TB) *Browser {
	return &Browser{t: t, http: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Use makes the browser's failures fail t from now on (a subtest's).
func (b *Browser) Use(t testing.TB) { b.t = t }

// Cookie is the session cookie (nil before login).
func (b *Browser) Cookie() *http.Cookie {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cookie
}

// SetCookie replaces the session cookie (a test that steals or replays one).
func (b *Browser) SetCookie(c *http.Cookie) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cookie = c
}

// Try sends req with the session and returns the answer's status, headers and body,
// keeping any new session cookie and the last CSRF token seen.
func (b *Browser) Try(req *http.Request) (int, http.Header, string, error) {
	b.mu.Lock()
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	b.mu.Unlock()
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			b.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header, string(body), nil
}

// TryPost submits form (with the CSRF token last seen) in ctx.
func (b *Browser) TryPost(ctx context.Context, u string, form url.Values) (int, http.Header, string, error) {
	b.mu.Lock()
	form.Set("_csrf", b.csrf)
	b.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Try(req)
}

// Do is Try that fails the test when no answer came.
func (b *Browser) Do(req *http.Request) (int, http.Header, string) {
	b.t.Helper()
	st, h, body, err := b.Try(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return st, h, body
}

// Get is a GET that fails the test when no answer came.
func (b *Browser) Get(url string) (int, http.Header, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return b.Do(req)
}

// Post submits a form with the CSRF token last seen, on any process; no answer fails
// the test.
func (b *Browser) Post(u string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	st, h, body, err := b.TryPost(context.Background(), u, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", u, err)
	}
	return st, h, body
}

// Login logs in at base (GET /login for the CSRF token, then POST).
func (b *Browser) Login(base, email, password string) {
	b.t.Helper()
	if st, _, _ := b.Get(base + "/login"); st != http.StatusOK {
		b.t.Fatalf("GET /login: %d", st)
	}
	st, h, body := b.Post(base+"/login", url.Values{"email": {email}, "password": {password}})
	if st != http.StatusSeeOther {
		b.t.Fatalf("POST /login: %d, want 303\n%.1000s", st, body)
	}
	if loc := h.Get("Location"); strings.HasPrefix(loc, "/login") {
		b.t.Fatalf("POST /login sent back to %s", loc)
	}
}
