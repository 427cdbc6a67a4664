package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// withActor records who is making the request, in its context: the services record it
// in the activity log for the changes that take no actor of their own.
func withActor(c echo.Context, a domain.Actor) {
	c.SetRequest(c.Request().WithContext(service.WithActor(c.Request().Context(), a)))
}

// actorOf returns who is making the request (set by requireToken or the staff session).
func actorOf(c echo.Context) domain.Actor {
	a, _ := service.ActorOf(c.Request().Context())
	return a
}

// requireToken admits API requests that carry a valid bearer token.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="oms"`)
			return domain.Errorf(domain.CodeUnauthorized, "missing API token: send Authorization: Bearer <token>")
		}
		actor, err := s.svc.AuthenticateToken(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="oms", error="invalid_token"`)
			return err
		}
		withActor(c, actor)
		return next(c)
	}
}

// apiScopes is the scope each API route needs, by method and route pattern. A route
// missing here is refused to every scoped token (and a test fails), so that a new route
// cannot slip out of the scopes.
var apiScopes = map[string]domain.Scope{
	"PUT /api/v1/products/:sku":               domain.ScopeCatalogWrite,
	"GET /api/v1/products/:sku":               domain.ScopeOrdersRead,
	"PUT /api/v1/inventory/:sku":              domain.ScopeCatalogWrite,
	"GET /api/v1/inventory/:sku":              domain.ScopeOrdersRead,
	"POST /api/v1/inventory/:sku/adjustments": domain.ScopeCatalogWrite,
	"POST /api/v1/orders":                     domain.ScopeOrdersWrite,
	"GET /api/v1/orders":                      domain.ScopeOrdersRead,
	"POST /api/v1/orders/bulk/status":         domain.ScopeOrdersWrite,
	"GET /api/v1/orders/export":               domain.ScopeExports,
	"GET /api/v1/orders/:id":                  domain.ScopeOrdersRead,
	"PATCH /api/v1/orders/:id":                domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/edits":           domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/transitions":     domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/payments":        domain.ScopePaymentsWrite,
	"POST /api/v1/orders/:id/payment_intents": domain.ScopePaymentsWrite,
	"POST /api/v1/orders/:id/refunds":         domain.ScopePaymentsWrite,
	"POST /api/v1/orders/:id/cancel":          domain.ScopeOrdersWrite,
	"PUT /api/v1/orders/:id/tags":             domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/hold":            domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/release":         domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/fulfillments":    domain.ScopeOrdersWrite,
	"GET /api/v1/orders/:id/tracking":         domain.ScopeOrdersRead,
	"POST /api/v1/fulfillments/:id/events":    domain.ScopeOrdersWrite,
	"POST /api/v1/orders/:id/returns":         domain.ScopeOrdersWrite,
	"GET /api/v1/returns":                     domain.ScopeOrdersRead,
	"GET /api/v1/returns/:id":                 domain.ScopeOrdersRead,
	"POST /api/v1/returns/:id/approve":        domain.ScopePaymentsWrite,
	"POST /api/v1/returns/:id/reject":         domain.ScopeOrdersWrite,
	"POST /api/v1/returns/:id/receive":        domain.ScopeOrdersWrite,
	"GET /api/v1/webhook_endpoints":           domain.ScopeWebhooks,
	"POST /api/v1/webhook_endpoints":          domain.ScopeWebhooks,
	"DELETE /api/v1/webhook_endpoints/:id":    domain.ScopeWebhooks,
	"GET /api/v1/views":                       domain.ScopeOrdersRead,
	"POST /api/v1/views":                      domain.ScopeOrdersRead,
	"GET /api/v1/views/:id":                   domain.ScopeOrdersRead,
	"PUT /api/v1/views/:id":                   domain.ScopeOrdersRead,
	"DELETE /api/v1/views/:id":                domain.ScopeOrdersRead,
	"GET /api/v1/settings/deadlines":          anyToken,
	"PUT /api/v1/settings/deadlines":          domain.ScopeSettingsWrite,
	"GET /api/v1/activity":                    domain.ScopeActivityRead,
	"GET /api/v1/activity/export":             domain.ScopeActivityRead,
}

// anyToken marks a route every valid token may call, whatever its scopes.
const anyToken domain.Scope = ""

// requireScope refuses (403, naming the scope) a token limited to scopes that do not
// include the route's.
func requireScope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		actor := actorOf(c)
		if actor.Scopes == nil {
			return next(c)
		}
		scope, ok := apiScopes[c.Request().Method+" "+c.Path()]
		if ok && scope == anyToken {
			return next(c)
		}
		if !ok || !actor.Allows(scope) {
			need := string(scope)
			if !ok {
				need = "a scope this route does not have"
			}
			return &domain.Error{Code: domain.CodeForbidden, Message: "this token may not do this: it needs the scope " + need,
				Fields: map[string]string{"scope": need}}
		}
		return next(c)
	}
}
