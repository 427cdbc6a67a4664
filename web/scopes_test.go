package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
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
// scope rule (apiScopes). Each staff route is tried without a session and by each role;
// each API route without a token, with a token that has every scope (never refused), with
// one lacking each scope it needs (refused, naming it), and, for a scope its body asks
// for, with one lacking that scope: refused when the body sets the field, not otherwise.
func TestAuthorizationMatrixFromTheRouteTable(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	params := strings.NewReplacer(":number", o.Number, ":id", "00000000-0000-0000-0000-000000000000", ":sku", "TEE-1", "*", "app.css")
	s := New(Config{}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	api := &apiEnv{t: t, srv: e.srv, svc: e.svc, pool: e.pool}
	full := api.tokenWith("every scope", domain.Scopes...)
	webhooksOnly := api.tokenWith("webhooks only", domain.ScopeWebhooks) // for the routes open to every token
	lacking := map[domain.Scope]*apiEnv{}                                // a token with every scope but one
	for _, sc := range domain.Scopes {
		lacking[sc] = api.tokenWith("all but "+string(sc), slices.DeleteFunc(slices.Clone(domain.Scopes), func(x domain.Scope) bool { return x == sc })...)
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
	refusedFor := func(r apiResponse, scope domain.Scope) bool {
		var b errorBody
		_ = json.Unmarshal(r.Body, &b)
		return r.Status == http.StatusForbidden && b.Error.Fields["scope"] == string(scope)
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
		if rule, ok := apiScopes[key]; ok {
			tried++
			if r := (&apiEnv{t: t, srv: e.srv, token: "none"}).do(route.Method, path, map[string]any{}); r.Status != http.StatusUnauthorized {
				t.Errorf("%s without a token: %d", key, r.Status)
			}
			body := map[string]any{}
			for _, b := range rule.when {
				body[b.field] = true
			}
			if r := full.do(route.Method, path, body); r.Status == http.StatusForbidden || r.Status == http.StatusInternalServerError {
				t.Errorf("%s with a token of every scope: %d %s", key, r.Status, r.Body)
			}
			if len(rule.all) == 0 && len(rule.when) == 0 { // open to every valid token
				if r := webhooksOnly.do(route.Method, path, map[string]any{}); r.Status == http.StatusForbidden {
					t.Errorf("%s, open to every token, refused a scoped one: %s", key, r.Body)
				}
			}
			for _, need := range rule.all {
				if r := lacking[need].do(route.Method, path, map[string]any{}); !refusedFor(r, need) {
					t.Errorf("%s with a token lacking %s: %d %s, want 403 naming it", key, need, r.Status, r.Body)
				}
			}
			for _, b := range rule.when {
				if r := lacking[b.scope].do(route.Method, path, map[string]any{b.field: true}); !refusedFor(r, b.scope) {
					t.Errorf("%s {%q: true} with a token lacking %s: %d %s, want 403 naming it", key, b.field, b.scope, r.Status, r.Body)
				}
				if r := lacking[b.scope].do(route.Method, path, map[string]any{b.field: false}); r.Status == http.StatusForbidden {
					t.Errorf("%s {%q: false} with a token lacking %s: 403 %s, want it allowed", key, b.field, b.scope, r.Body)
				}
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

// tokenWith makes a token limited to scopes and answers an env that calls with it.
func (e *apiEnv) tokenWith(name string, scopes ...domain.Scope) *apiEnv {
	e.t.Helper()
	_, token, err := e.svc.CreateToken(context.Background(), name, scopes...)
	if err != nil {
		e.t.Fatal(err)
	}
	return &apiEnv{t: e.t, srv: e.srv, svc: e.svc, pool: e.pool, token: token}
}

// mustBeRefusedFor expects a 403 forbidden that names the scope.
func mustBeRefusedFor(t *testing.T, r apiResponse, scope domain.Scope) {
	t.Helper()
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	if r.Status != http.StatusForbidden || b.Error.Code != domain.CodeForbidden || b.Error.Fields["scope"] != string(scope) ||
		!strings.Contains(b.Error.Message, string(scope)) {
		t.Fatalf("status %d %s, want 403 forbidden naming %s", r.Status, r.Body, scope)
	}
}

// Cancelling with a refund moves money: a token with orders:write alone may cancel, but
// not refund (however the body spells "refund"), and nothing changes when it is refused.
func TestCancelWithARefundNeedsPaymentsWrite(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	storefront := e.tokenWith("storefront", domain.ScopeOrdersRead, domain.ScopeOrdersWrite)
	o := e.paidOrderOf("refund@example.com", "TEE-M", 1)
	for _, body := range []string{`{"reason": "fraud", "refund": true}`, `{"REFUND": true}`, `{"refund": false, "Refund": true}`} {
		mustBeRefusedFor(t, storefront.do("POST", "/api/v1/orders/"+o.ID+"/cancel", body), domain.ScopePaymentsWrite)
	}
	if got := e.fetchOrder(o.ID); got.Status != "paid" || len(got.Refunds) != 0 || got.Refunded != "0.00" {
		t.Fatalf("a refused cancellation changed the order: %s, %d refunds, refunded %s", got.Status, len(got.Refunds), got.Refunded)
	}
	var cancelled orderJSON
	storefront.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"reason": "changed mind"}).JSON(t, &cancelled)
	if cancelled.Status != "cancelled" || len(cancelled.Refunds) != 0 {
		t.Fatalf("cancel without a refund: %s, %d refunds", cancelled.Status, len(cancelled.Refunds))
	}

	o = e.paidOrderOf("refund2@example.com", "TEE-M", 1)
	payments := e.tokenWith("payments only", domain.ScopePaymentsWrite)
	mustBeRefusedFor(t, payments.do("POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"refund": true}), domain.ScopeOrdersWrite)
	both := e.tokenWith("back office", domain.ScopeOrdersWrite, domain.ScopePaymentsWrite)
	both.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"refund": true}).JSON(t, &cancelled)
	if cancelled.Status != "cancelled" || cancelled.Refunded != "25.00" {
		t.Fatalf("cancel with a refund by a token with both scopes: %s, refunded %s", cancelled.Status, cancelled.Refunded)
	}
}

// Approving a return refunds it and changes the order: it needs both scopes.
func TestApprovingAReturnNeedsOrdersWriteAndPaymentsWrite(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	o := e.deliveredOrderOf("return@example.com", "TEE-M", 1)
	var ret struct {
		ID string `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/returns", map[string]any{
		"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 1}}}).JSON(t, &ret)
	payments := e.tokenWith("payments only", domain.ScopePaymentsWrite)
	mustBeRefusedFor(t, payments.do("POST", "/api/v1/returns/"+ret.ID+"/approve", map[string]any{}), domain.ScopeOrdersWrite)
	if got := e.fetchOrder(o.ID); got.Status != "delivered" || len(got.Refunds) != 0 {
		t.Fatalf("a refused approval changed the order: %s, %d refunds", got.Status, len(got.Refunds))
	}
	e.tokenWith("back office", domain.ScopeOrdersWrite, domain.ScopePaymentsWrite).
		must(http.StatusOK, "POST", "/api/v1/returns/"+ret.ID+"/approve", map[string]any{})
}

// A webhook endpoint receives whole orders in its events: creating one needs orders:read
// as well as webhooks.
func TestCreatingAWebhookEndpointNeedsOrdersRead(t *testing.T) {
	e := newNotifyEnv(t, nil).apiEnv
	hooks := e.tokenWith("hooks", domain.ScopeWebhooks)
	body := map[string]any{"url": "http://127.0.0.1:9/oms", "events": []string{"order.created"}}
	mustBeRefusedFor(t, hooks.do("POST", "/api/v1/webhook_endpoints", body), domain.ScopeOrdersRead)
	if n := e.count("webhook_endpoints"); n != 0 {
		t.Fatalf("%d endpoints after a refusal", n)
	}
	hooks.must(http.StatusOK, "GET", "/api/v1/webhook_endpoints", nil) // listing shows no order
	e.tokenWith("hooks and orders", domain.ScopeWebhooks, domain.ScopeOrdersRead).
		must(http.StatusCreated, "POST", "/api/v1/webhook_endpoints", body)
}
