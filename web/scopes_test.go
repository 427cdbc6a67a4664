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

// Every API route needs one scope, named in apiScopes: a route added without one fails
// here (and is refused to every scoped token meanwhile).
func TestEveryAPIRouteHasAScope(t *testing.T) {
	e := newAPIEnv(t)
	s := New(Config{}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	routes := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.HasPrefix(r.Path, "/api/v1/track/") || r.Method == echo.RouteNotFound {
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
