package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

// publicRoutes are the routes anyone may call, without a session or a token: a short
// list, so that a route cannot become public by mistake.
var publicRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /static/*": true,
	"GET /login": true, "POST /login": true, "POST /logout": true, "POST /logout/everywhere": true, "GET /track": true,
	"POST /track": true, "GET /api/v1/track/:order_number": true,
	"POST /api/v1/track/:order_number/returns": true, "POST /track/returns": true, "GET /api/v1/openapi.json": true, "POST /webhooks/stripe": true}

// Every API route needs one scope, named in apiScopes: a route added without one fails
// here (and is refused to every scoped token meanwhile).
func TestEveryAPIRouteHasAScope(t *testing.T) {
	e := newAPIEnv(t)
	s := New(Config{}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	routes := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || publicRoutes[r.Method+" "+r.Path] || r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + r.Path
		routes[key] = true
		if _, ok := apiScopes[key]; !ok {
			t.Errorf("%s has no scope in apiScopes", key)
		}
	}
	for key := range apiScopes {
		if !routes[key] {
			t.Errorf("apiScopes names %s, which is no route", key)
		}
	}
}

// A token limited to scopes may do what they allow and is refused the rest, naming the
// scope it would need; a token made without scopes keeps the whole API.
func TestTokenScopesLimitWhatATokenMayDo(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	o := e.paidOrderOf("scope@example.com", "TEE-M", 1)
	_, reader, err := e.svc.CreateToken(context.Background(), "storefront", domain.ScopeOrdersRead, domain.ScopeOrdersWrite)
	if err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + reader
	e.must(http.StatusOK, "GET", "/api/v1/orders/"+o.ID, nil, "Authorization", auth)
	e.must(http.StatusCreated, "POST", "/api/v1/orders", orderBody("new@example.com", "TEE-M", 1), "Authorization", auth)
	for _, call := range []struct{ method, path, scope string }{
		{"POST", "/api/v1/orders/" + o.ID + "/refunds", "payments:write"},
		{"POST", "/api/v1/orders/" + o.ID + "/payments", "payments:write"},
		{"PUT", "/api/v1/products/TEE-M", "catalog:write"},
		{"GET", "/api/v1/orders/export", "exports"},
	} {
		r := e.mustCode(http.StatusForbidden, "forbidden", call.method, call.path, map[string]any{"amount": "1"}, "Authorization", auth)
		if !strings.Contains(string(r.Body), call.scope) {
			t.Errorf("%s %s: %s does not name the scope %s", call.method, call.path, r.Body, call.scope)
		}
	}
	if got := e.fetchOrder(o.ID); len(got.Refunds) != 0 {
		t.Fatal("a refused token refunded")
	}
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "1"}) // the full token
}

// Settings makes scoped tokens and says what each may do.
func TestSettingsMakesScopedTokens(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/settings/tokens")
	p := admin.post("/settings/tokens", url.Values{"name": {"ERP"}, "scopes": {"orders:read", "exports"}})
	expectStatus(t, p, http.StatusCreated)
	expectBody(t, p, "orders:read, exports")
	p = admin.post("/settings/tokens", url.Values{"name": {"Bad"}, "scopes": {"root"}})
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, "unknown scope")
	tokens, err := e.svc.ListTokens(context.Background())
	if err != nil || len(tokens) != 1 || len(tokens[0].Scopes) != 2 {
		t.Fatalf("tokens %+v, %v", tokens, err)
	}
}

// The authorization matrix, generated from the route table: every route is public (a
// short list), a staff route with its permission (staffRoute), or an API route with its
// scope (apiScopes). Each staff route is tried without a session and by each role; each API
// route without a token and with a token that lacks its scope.
func TestAuthorizationMatrixFromTheRouteTable(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	params := strings.NewReplacer(":number", o.Number, ":id", "00000000-0000-0000-0000-000000000000", ":sku", "TEE-1", "*", "app.css")
	s := New(Config{}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Two tokens of one scope each: every route lacks the scope of one of them.
	_, scoped, err := e.svc.CreateToken(context.Background(), "scoped", domain.ScopeWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	_, exportsOnly, err := e.svc.CreateToken(context.Background(), "exports only", domain.ScopeExports)
	if err != nil {
		t.Fatal(err)
	}
	browsers := map[domain.Role]*browser{}
	for _, r := range domain.Roles {
		browsers[r] = e.loggedIn(r)
	}
	anon := e.browser()
	anon.get("/login")
	// statusOf answers a request's status without reading the body (the live stream never ends).
	statusOf := func(b *browser, req *http.Request) int {
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tried := 0
	for _, route := range s.echo.Routes() {
		key := route.Method + " " + route.Path
		if route.Method == echo.RouteNotFound || publicRoutes[key] {
			continue
		}
		path := params.Replace(route.Path)
		if perm, ok := s.permissions[key]; ok {
			tried++
			if st := statusOf(anon, pageRequest(t, e, route.Method, path, anon.csrf)); st != http.StatusSeeOther && st != http.StatusForbidden {
				t.Errorf("%s without a session: %d", key, st)
			}
			for role, b := range browsers {
				st := statusOf(b, pageRequest(t, e, route.Method, path, b.csrf))
				switch {
				case !role.Can(perm) && st != http.StatusForbidden:
					t.Errorf("%s as %s (lacks %s): %d, want 403", key, role, perm, st)
				case role.Can(perm) && (st == http.StatusForbidden || st >= 500):
					t.Errorf("%s as %s: %d, want it allowed", key, role, st)
				}
			}
			continue
		}
		if scope, ok := apiScopes[key]; ok {
			tried++
			lacking := scoped
			if scope == domain.ScopeWebhooks {
				lacking = exportsOnly
			}
			if r := (&apiEnv{t: t, srv: e.srv, token: "none"}).do(route.Method, path, map[string]any{}); r.Status != http.StatusUnauthorized {
				t.Errorf("%s without a token: %d", key, r.Status)
			}
			r := (&apiEnv{t: t, srv: e.srv, token: lacking}).do(route.Method, path, map[string]any{})
			switch {
			case scope == anyToken && r.Status == http.StatusForbidden:
				t.Errorf("%s, open to every token, refused a scoped one", key)
			case scope != anyToken && r.Status != http.StatusForbidden:
				t.Errorf("%s with a token lacking its scope: %d", key, r.Status)
			}
			continue
		}
		t.Errorf("%s is neither public, nor a staff route with a permission, nor an API route with a scope", key)
	}
	if tried < 50 {
		t.Errorf("only %d routes tried", tried)
	}
}

// pageRequest is a request of the matrix: a form post carries the CSRF token.
func pageRequest(t *testing.T, e *pageEnv, method, path, csrf string) *http.Request {
	t.Helper()
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(url.Values{"_csrf": {csrf}}.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}
