package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

const testPassword = "correct horse battery staple"

// pageEnv is a running OMS with one staff user per role, for back-office tests.
type pageEnv struct {
	t     testing.TB
	srv   *httptest.Server
	svc   *service.Service
	pool  *pgxpool.Pool
	users map[domain.Role]domain.StaffUser
}

func newPageEnv(t testing.TB) *pageEnv {
	t.Helper()
	pool := testdb.New(t)
	return newPageEnvOn(t, pool, service.New(pool, service.Config{}))
}

// newPageEnvOn serves svc (on pool) with a staff user of each role.
func newPageEnvOn(t testing.TB, pool *pgxpool.Pool, svc *service.Service) *pageEnv {
	t.Helper()
	s := New(Config{ShopName: "Test Shop"}, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(t, s.Handler())
	e := &pageEnv{t: t, srv: srv, svc: svc, pool: pool, users: map[domain.Role]domain.StaffUser{}}
	for _, r := range domain.Roles {
		u, err := svc.CreateStaffUser(context.Background(), string(r)+"@example.com", "Test "+string(r), r, testPassword)
		if err != nil {
			t.Fatalf("create %s: %v", r, err)
		}
		e.users[r] = u
	}
	return e
}

// browser is a cookie-keeping client that does not follow redirects and sends the CSRF
// token of the last page it loaded, as a browser's form would.
type browser struct {
	e      *pageEnv
	client *http.Client
	csrf   string
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (e *pageEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// loggedIn returns a browser logged in as the user of role.
func (e *pageEnv) loggedIn(r domain.Role) *browser {
	b := e.browser()
	if p := b.login(string(r)+"@example.com", testPassword); p.Status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %d\n%s", r, p.Status, p.Body)
	}
	b.get("/") // the CSRF token is new after the login: pick it up
	return b
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfInput.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (b *browser) get(path string, headers ...string) page {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// post submits form with the CSRF token (unless form sets _csrf itself).
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		if b.csrf == "" {
			b.get("/login")
		}
		form.Set("_csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

func (b *browser) login(email, password string) page {
	b.e.t.Helper()
	b.get("/login")
	return b.post("/login", url.Values{"email": {email}, "password": {password}})
}

func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "oms_session" {
			return c.Value
		}
	}
	return ""
}

func expectStatus(t testing.TB, p page, want int) {
	t.Helper()
	if p.Status != want {
		body := p.Body
		if len(body) > 2000 {
			body = body[:2000]
		}
		t.Fatalf("status %d, want %d\n%s", p.Status, want, body)
	}
}

func expectBody(t testing.TB, p page, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if !strings.Contains(p.Body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestLoginLogsInAndRenewsTheSessionToken(t *testing.T) {
	e := newPageEnv(t)
	b := e.browser()

	t.Run("WrongPasswordKeepsTheEmail", func(t *testing.T) {
		p := b.login("Admin@Example.com", "wrong password!")
		expectStatus(t, p, http.StatusUnauthorized)
		expectBody(t, p, "Email or password is incorrect", `value="Admin@Example.com"`)
	})
	t.Run("UnknownEmailLooksTheSame", func(t *testing.T) {
		p := b.login("nobody@example.com", "wrong password!")
		expectStatus(t, p, http.StatusUnauthorized)
		expectBody(t, p, "Email or password is incorrect")
	})
	t.Run("EmptyFieldsAreNamed", func(t *testing.T) {
		p := b.login("", "")
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Enter your email", "Enter your password")
	})

	p := b.login("ADMIN@example.com", testPassword) // email is case-insensitive
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/" {
		t.Fatalf("redirect to %q, want /", loc)
	}
	first := b.sessionCookie()
	if first == "" {
		t.Fatal("no session cookie after login")
	}
	cookie := p.Header.Get("Set-Cookie")
	for _, flag := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(strings.Join(p.Header.Values("Set-Cookie"), ";"), flag) {
			t.Errorf("session cookie %q lacks %s", cookie, flag)
		}
	}
	dash := b.get("/")
	expectStatus(t, dash, http.StatusOK)
	expectBody(t, dash, "Test admin", "Dashboard", "Log out")

	var lastLogin *string
	if err := e.pool.QueryRow(context.Background(), `SELECT last_login_at::text FROM staff_users WHERE id = $1`, e.users[domain.RoleAdmin].ID).Scan(&lastLogin); err != nil || lastLogin == nil {
		t.Errorf("last_login_at not recorded: %v", err)
	}

	out := b.post("/logout", nil)
	expectStatus(t, out, http.StatusSeeOther)
	second := b.sessionCookie()
	if second == "" || second == first {
		t.Fatalf("session token not renewed on logout: %q -> %q", first, second)
	}
	expectBody(t, b.get("/login"), "You have been logged out.")
	expectStatus(t, b.get("/"), http.StatusSeeOther)

	// The pre-logout token is dead: replaying it does not log anyone in.
	replay := e.browser()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "oms_session", Value: first})
	expectStatus(t, replay.do(req), http.StatusSeeOther)

	expectStatus(t, b.login("admin@example.com", testPassword), http.StatusSeeOther)
	if third := b.sessionCookie(); third == second {
		t.Fatal("session token not renewed on login")
	}
}

func TestLoginHonoursOnlyLocalNext(t *testing.T) {
	e := newPageEnv(t)
	for next, want := range map[string]string{
		"/products?q=a":         "/products?q=a",
		"//evil.example":        "/",
		"https://evil.example/": "/",
		"/\\evil.example":       "/",
	} {
		b := e.browser()
		b.get("/login?next=" + url.QueryEscape(next))
		p := b.post("/login", url.Values{"email": {"admin@example.com"}, "password": {testPassword}, "next": {next}})
		expectStatus(t, p, http.StatusSeeOther)
		if loc := p.Header.Get("Location"); loc != want {
			t.Errorf("next %q redirected to %q, want %q", next, loc, want)
		}
	}
}

// Failed logins are throttled per address and per account from that address, with
// backoff: parallel guesses cannot outrun the count, nobody can lock an account out from
// elsewhere, and every failure reads alike (wrong password, unknown email, throttled).
func TestLoginThrottlingCannotLockAnyoneOut(t *testing.T) {
	e := newPageEnv(t)
	ctx := context.Background()
	const attacker, colleague = "198.51.100.7", "203.0.113.20"
	guess := func(email, password, from string) error {
		_, _, err := e.svc.Login(ctx, service.LoginAttempt{Email: email, Password: password, Client: from})
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() { errs <- guess("support@example.com", "guess number one", attacker) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != service.ErrLoginRefused {
			t.Fatalf("a guess answered %v, want the one refusal", err)
		}
	}
	var counted int
	e.pool.QueryRow(ctx, `SELECT failures FROM login_throttle WHERE key = $1`, "account:support@example.com|"+attacker).Scan(&counted)
	if counted != service.LoginFreeFailures+1 {
		t.Errorf("%d guesses compared, want %d (the rest refused unchecked)", counted, service.LoginFreeFailures+1)
	}
	// While the key is blocked (the first block is a second; a slow machine may outlast
	// it, so hold it here), even the right password is refused unchecked.
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET blocked_until = now() + interval '1 minute' WHERE key = $1`,
		"account:support@example.com|"+attacker); err != nil {
		t.Fatal(err)
	}
	if err := guess("support@example.com", testPassword, attacker); err != service.ErrLoginRefused {
		t.Errorf("the right password from the guessing address: %v, want refused while blocked", err)
	}
	if err := guess("support@example.com", testPassword, colleague); err != nil {
		t.Errorf("the account's owner elsewhere is locked out: %v", err)
	}
	if err := guess("nobody@example.com", "x", colleague); err != service.ErrLoginRefused {
		t.Errorf("an unknown email: %v, want the same refusal as a wrong password", err)
	}

	// One address guessing many accounts is stopped too.
	for i := range service.LoginFreeAddressFailures + 1 {
		_ = guess(fmt.Sprintf("spray%d@example.com", i), "password123", "192.0.2.50")
	}
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET blocked_until = greatest(blocked_until, now() + interval '1 minute') WHERE key = 'ip:192.0.2.50' AND blocked_until > '-infinity'`); err != nil {
		t.Fatal(err)
	}
	if err := guess("warehouse@example.com", testPassword, "192.0.2.50"); err != service.ErrLoginRefused {
		t.Errorf("a spraying address may still try: %v", err)
	}
	// The block ends by itself (backoff, not a lockout).
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET blocked_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if err := guess("support@example.com", testPassword, attacker); err != nil {
		t.Errorf("after the block: %v", err)
	}

	// Old keys are forgotten (the cleanup job), blocked ones kept until their block ends.
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET updated_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET blocked_until = now() + interval '1 minute' WHERE key = 'ip:192.0.2.50'`); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.DeleteOldLoginThrottle(ctx); err != nil || n == 0 {
		t.Errorf("forgot %d keys (%v)", n, err)
	}
	var stale, blocked int
	e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE blocked_until <= now()), count(*) FILTER (WHERE key = 'ip:192.0.2.50')
		FROM login_throttle`).Scan(&stale, &blocked)
	if stale != 0 || blocked != 1 {
		t.Errorf("after the cleanup: %d old keys left, blocked key kept: %v", stale, blocked == 1)
	}

	// The page says the one message, beside the password.
	p := e.browser().login("support@example.com", "wrong password")
	expectStatus(t, p, http.StatusUnauthorized)
	expectBody(t, p, "Email or password is incorrect, or there were too many attempts")
}

func TestStaffPagesNeedALogin(t *testing.T) {
	e := newPageEnv(t)
	b := e.browser()
	p := b.get("/products?q=x")
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/products?q=x") {
		t.Errorf("redirect to %q", loc)
	}
	h := b.get("/products", "HX-Request", "true", "HX-Current-URL", e.srv.URL+"/settings/tax")
	expectStatus(t, h, http.StatusUnauthorized)
	if got := h.Header.Get("HX-Redirect"); got != "/login?next="+url.QueryEscape("/settings/tax") {
		t.Errorf("HX-Redirect %q", got)
	}
}

func TestDisabledUsersAreLoggedOutAtTheirNextRequest(t *testing.T) {
	e := newPageEnv(t)
	support := e.loggedIn(domain.RoleSupport)
	expectStatus(t, support.get("/"), http.StatusOK)

	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/settings")
	p := admin.post("/settings/staff/"+e.users[domain.RoleSupport].ID+"/status", url.Values{"disabled": {"true"}})
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, admin.get("/settings"), "Test support is disabled and logged out.")

	expectStatus(t, support.get("/"), http.StatusSeeOther)
	login := e.browser().login("support@example.com", testPassword)
	expectStatus(t, login, http.StatusForbidden)
	expectBody(t, login, "This account is disabled")
}

func TestStateChangingRequestsNeedTheCSRFToken(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/settings/tax")
	form := url.Values{"country": {"US"}, "rate": {"5"}}

	t.Run("MissingToken", func(t *testing.T) {
		f := url.Values{"_csrf": {""}, "country": {"US"}, "rate": {"5"}}
		f.Del("_csrf")
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/settings/tax", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		expectStatus(t, admin.do(req), http.StatusForbidden)
	})
	t.Run("WrongToken", func(t *testing.T) {
		f := url.Values{"_csrf": {"not-the-token"}, "country": {"US"}, "rate": {"5"}}
		expectStatus(t, admin.post("/settings/tax", f), http.StatusForbidden)
	})
	t.Run("CrossSiteBrowserRequest", func(t *testing.T) {
		expectStatus(t, admin.post("/settings/tax", url.Values{"country": {"US"}, "rate": {"5"}}, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	})
	t.Run("LoginForm", func(t *testing.T) {
		b := e.browser()
		f := url.Values{"_csrf": {"forged"}, "email": {"admin@example.com"}, "password": {testPassword}}
		expectStatus(t, b.post("/login", f), http.StatusForbidden)
	})
	t.Run("HtmxHeader", func(t *testing.T) {
		f := url.Values{"_csrf": {""}, "country": {"FR"}, "rate": {"20"}}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/settings/tax", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", admin.csrf)
		req.Header.Set("HX-Request", "true")
		expectStatus(t, admin.do(req), http.StatusSeeOther)
	})
	var n int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM tax_rates WHERE country = 'US'`).Scan(&n)
	if n != 0 {
		t.Fatalf("a refused request wrote %d tax rates", n)
	}
	expectStatus(t, admin.post("/settings/tax", form), http.StatusSeeOther)

	t.Run("APIIsNotSubjectToCSRF", func(t *testing.T) {
		_, token, _ := e.svc.CreateToken(context.Background(), "t")
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/api/v1/products/CSRF-1",
			strings.NewReader(`{"name":"x","price":"1.00","currency":"USD"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("API PUT: %d", resp.StatusCode)
		}
		if resp.Header.Get("Content-Security-Policy") != "" {
			t.Error("API responses got the pages' CSP")
		}
	})
}

func TestPagesSendSecurityHeadersAndCacheableAssets(t *testing.T) {
	e := newPageEnv(t)
	p := e.browser().get("/login")
	for h, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'; style-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if !strings.Contains(p.Header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, p.Header.Get(h), want)
		}
	}
	if !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP allows framing")
	}
	if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, "style=") {
		t.Error("page has inline script or style, which the CSP blocks")
	}
	m := regexp.MustCompile(`/static/app\.css\?v=[0-9a-f]+`).FindString(p.Body)
	if m == "" {
		t.Fatal("no versioned stylesheet link")
	}
	css := e.browser().get(m)
	expectStatus(t, css, http.StatusOK)
	if !strings.Contains(css.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet headers %v", css.Header)
	}
	expectStatus(t, e.browser().get("/static/nope.js"), http.StatusNotFound)
	expectStatus(t, e.browser().get("/static/static.go"), http.StatusNotFound)
}

// pageRoutes lists each staff page and form with the permission it needs.
var pageRoutes = []struct {
	method, path string
	perm         domain.Permission
}{
	{"GET", "/", domain.PermViewDashboard},
	{"GET", "/products", domain.PermViewProducts},
	{"GET", "/products/new", domain.PermEditProducts},
	{"POST", "/products", domain.PermEditProducts},
	{"GET", "/products/P-1/edit", domain.PermEditProducts},
	{"POST", "/products/P-1", domain.PermEditProducts},
	{"POST", "/products/P-1/stock", domain.PermAdjustStock},
	{"GET", "/settings", domain.PermManageStaff},
	{"POST", "/settings/staff", domain.PermManageStaff},
	{"POST", "/settings/staff/00000000-0000-0000-0000-000000000000/role", domain.PermManageStaff},
	{"POST", "/settings/staff/00000000-0000-0000-0000-000000000000/status", domain.PermManageStaff},
	{"POST", "/settings/staff/00000000-0000-0000-0000-000000000000/password", domain.PermManageStaff},
	{"GET", "/settings/tokens", domain.PermManageTokens},
	{"POST", "/settings/tokens", domain.PermManageTokens},
	{"POST", "/settings/tokens/00000000-0000-0000-0000-000000000000/revoke", domain.PermManageTokens},
	{"GET", "/settings/tax", domain.PermManageSettings},
	{"POST", "/settings/tax", domain.PermManageSettings},
	{"POST", "/settings/tax/00000000-0000-0000-0000-000000000000/delete", domain.PermManageSettings},
	{"GET", "/settings/shipping", domain.PermManageSettings},
	{"POST", "/settings/shipping", domain.PermManageSettings},
	{"GET", "/settings/coupons", domain.PermManageSettings},
	{"POST", "/settings/coupons", domain.PermManageSettings},
	{"POST", "/settings/coupons/00000000-0000-0000-0000-000000000000/delete", domain.PermManageSettings},
	{"GET", "/settings/deadlines", domain.PermManageSettings},
	{"POST", "/settings/deadlines", domain.PermManageSettings},
	{"GET", "/orders/views", domain.PermSaveViews},
	{"POST", "/orders/views/defaults", domain.PermDefaultViews},
	{"GET", "/activity", domain.PermViewActivity},
	{"GET", "/activity/export", domain.PermViewActivity},
}

func TestEachRoleIsRefusedWhatTheMatrixForbids(t *testing.T) {
	e := newPageEnv(t)
	if _, err := e.svc.CreateProduct(context.Background(), domain.Product{SKU: "P-1", Name: "P", Price: mustDec("1"), Currency: "USD", Active: true}); err != nil {
		t.Fatal(err)
	}
	for _, role := range domain.Roles {
		b := e.loggedIn(role)
		b.get("/")
		for _, r := range pageRoutes {
			var p page
			if r.method == "GET" {
				p = b.get(r.path)
			} else {
				p = b.post(r.path, nil)
			}
			allowed := role.Can(r.perm)
			if !allowed && p.Status != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", role, r.method, r.path, p.Status)
			}
			if !allowed && !strings.Contains(p.Body, "Not allowed") {
				t.Errorf("%s %s %s: 403 without the error page", role, r.method, r.path)
			}
			if allowed && (p.Status == http.StatusForbidden || p.Status >= 500 || (r.method == "GET" && p.Status != http.StatusOK)) {
				t.Errorf("%s %s %s: %d, want it allowed", role, r.method, r.path, p.Status)
			}
		}
		// The navigation shows only what the role may open.
		dash := b.get("/")
		if got := strings.Contains(dash.Body, `href="/settings"`); got != role.Can(domain.PermManageSettings) {
			t.Errorf("%s: settings link shown = %v", role, got)
		}
		if got := strings.Contains(dash.Body, `href="/fulfillment"`); got != role.Can(domain.PermFulfill) {
			t.Errorf("%s: fulfillment link shown = %v", role, got)
		}
		if got := strings.Contains(dash.Body, `href="/activity"`); got != role.Can(domain.PermViewActivity) {
			t.Errorf("%s: activity link shown = %v", role, got)
		}
	}
}

// A password reset, a role change and "log out everywhere" end the user's sessions (a
// stolen session dies with them); other users' sessions go on.
func TestSessionsEndWhenTheirUserChanges(t *testing.T) {
	e := newPageEnv(t)
	ctx := context.Background()
	support := e.users[domain.RoleSupport]
	for name, change := range map[string]func() error{
		"PasswordReset": func() error { _, err := e.svc.ResetStaffPassword(ctx, support.ID, testPassword); return err },
		"RoleChange": func() error {
			_, err := e.svc.SetStaffRole(ctx, e.users[domain.RoleAdmin].Actor(), support.ID, domain.RoleSupport)
			return err
		},
		"LogoutEverywhere": func() error { return e.svc.EndSessions(ctx, support.ID) },
	} {
		t.Run(name, func(t *testing.T) {
			laptop, phone, other := e.loggedIn(domain.RoleSupport), e.loggedIn(domain.RoleSupport), e.loggedIn(domain.RoleWarehouse)
			expectStatus(t, laptop.get("/"), http.StatusOK)
			if err := change(); err != nil {
				t.Fatal(err)
			}
			for _, b := range []*browser{laptop, phone} {
				expectStatus(t, b.get("/orders"), http.StatusSeeOther)
			}
			expectStatus(t, other.get("/"), http.StatusOK)
		})
	}

	// From the user menu: this session ends too, and says so.
	laptop, phone := e.loggedIn(domain.RoleSupport), e.loggedIn(domain.RoleSupport)
	expectBody(t, laptop.get("/"), "Log out everywhere")
	p := laptop.post("/logout/everywhere", nil)
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, laptop.get("/login"), "You have been logged out on every device.")
	expectStatus(t, phone.get("/"), http.StatusSeeOther)
	expectStatus(t, laptop.get("/"), http.StatusSeeOther)
}

// The CSRF token belongs to the session: another session's token is refused, the token
// changes at login, and a request a browser says comes from a sibling site is refused.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	e := newPageEnv(t)
	admin, other := e.loggedIn(domain.RoleAdmin), e.loggedIn(domain.RoleSupport)
	admin.get("/settings/tax")
	other.get("/")
	form := func(token string) url.Values {
		return url.Values{"_csrf": {token}, "country": {"US"}, "rate": {"5"}}
	}
	expectStatus(t, admin.post("/settings/tax", form(other.csrf)), http.StatusForbidden)
	expectStatus(t, admin.post("/settings/tax", url.Values{"country": {"US"}, "rate": {"5"}}, "Sec-Fetch-Site", "same-site"), http.StatusForbidden)

	b := e.browser()
	b.get("/login")
	before := b.csrf
	if p := b.login("admin@example.com", testPassword); p.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", p.Status)
	}
	b.get("/settings/tax")
	if b.csrf == "" || b.csrf == before {
		t.Fatalf("the CSRF token did not change at login")
	}
	expectStatus(t, b.post("/settings/tax", form(before)), http.StatusForbidden)
	expectStatus(t, b.post("/settings/tax", url.Values{"country": {"US"}, "rate": {"5"}}, "Sec-Fetch-Site", "same-origin"), http.StatusSeeOther)
}
