package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

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

// scopeRule is what a route asks of a scoped token: every scope of all, and the scope
// of each bodyScope whose field the request's JSON body sets to true. A scope that
// depends on the body is written here, in the table, so that the authorization matrix
// and openapi.json's check read it like any other (web/scopes_test.go, openapi_test.go).
type scopeRule struct {
	all  []domain.Scope
	when []bodyScope
}

// bodyScope: a request whose body sets the boolean field to true needs scope as well.
type bodyScope struct {
	field string
	scope domain.Scope
}

// needs is the rule of a route that needs scopes, whatever its body says.
func needs(scopes ...domain.Scope) scopeRule { return scopeRule{all: scopes} }

// whenTrue adds scope for the requests whose body sets field to true.
func (r scopeRule) whenTrue(field string, scope domain.Scope) scopeRule {
	r.when = append(slices.Clip(r.when), bodyScope{field: field, scope: scope})
	return r
}

// apiScopes is what each API route needs, by method and route pattern. A route missing
// here is refused to every scoped token (and a test fails), so that a new route cannot
// slip out of the scopes. A route that moves money needs payments:write besides its own
// scope: approving a return refunds it, and a cancellation refunds when asked to (one
// without a refund moves no money: cancelling an unpaid card payment takes none). Edits,
// transitions and bulk status changes move none either: what an edit leaves owing or owed
// back is collected or refunded by the payment and refund routes. A webhook endpoint is
// sent whole orders, so making one needs orders:read. A saved view is a list query a
// token may run anyway, so saving one needs orders:read only; needs() with no scope is a
// route every valid token may call.
var apiScopes = map[string]scopeRule{
	"PUT /api/v1/products/:sku":               needs(domain.ScopeCatalogWrite),
	"GET /api/v1/products/:sku":               needs(domain.ScopeOrdersRead),
	"PUT /api/v1/inventory/:sku":              needs(domain.ScopeCatalogWrite),
	"GET /api/v1/inventory/:sku":              needs(domain.ScopeOrdersRead),
	"POST /api/v1/inventory/:sku/adjustments": needs(domain.ScopeCatalogWrite),
	"POST /api/v1/orders":                     needs(domain.ScopeOrdersWrite),
	"GET /api/v1/orders":                      needs(domain.ScopeOrdersRead),
	"POST /api/v1/orders/bulk/status":         needs(domain.ScopeOrdersWrite),
	"GET /api/v1/orders/export":               needs(domain.ScopeExports),
	"GET /api/v1/orders/:id":                  needs(domain.ScopeOrdersRead),
	"PATCH /api/v1/orders/:id":                needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/edits":           needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/transitions":     needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/payments":        needs(domain.ScopePaymentsWrite),
	"POST /api/v1/orders/:id/payment_intents": needs(domain.ScopePaymentsWrite),
	"POST /api/v1/orders/:id/refunds":         needs(domain.ScopePaymentsWrite),
	"POST /api/v1/orders/:id/cancel":          needs(domain.ScopeOrdersWrite).whenTrue("refund", domain.ScopePaymentsWrite),
	"PUT /api/v1/orders/:id/tags":             needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/hold":            needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/release":         needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/fulfillments":    needs(domain.ScopeOrdersWrite),
	"GET /api/v1/orders/:id/tracking":         needs(domain.ScopeOrdersRead),
	"POST /api/v1/fulfillments/:id/events":    needs(domain.ScopeOrdersWrite),
	"POST /api/v1/orders/:id/returns":         needs(domain.ScopeOrdersWrite),
	"GET /api/v1/returns":                     needs(domain.ScopeOrdersRead),
	"GET /api/v1/returns/:id":                 needs(domain.ScopeOrdersRead),
	"POST /api/v1/returns/:id/approve":        needs(domain.ScopeOrdersWrite, domain.ScopePaymentsWrite),
	"POST /api/v1/returns/:id/reject":         needs(domain.ScopeOrdersWrite),
	"POST /api/v1/returns/:id/receive":        needs(domain.ScopeOrdersWrite),
	"GET /api/v1/webhook_endpoints":           needs(domain.ScopeWebhooks),
	"POST /api/v1/webhook_endpoints":          needs(domain.ScopeWebhooks, domain.ScopeOrdersRead),
	"DELETE /api/v1/webhook_endpoints/:id":    needs(domain.ScopeWebhooks),
	"GET /api/v1/views":                       needs(domain.ScopeOrdersRead),
	"POST /api/v1/views":                      needs(domain.ScopeOrdersRead),
	"GET /api/v1/views/:id":                   needs(domain.ScopeOrdersRead),
	"PUT /api/v1/views/:id":                   needs(domain.ScopeOrdersRead),
	"DELETE /api/v1/views/:id":                needs(domain.ScopeOrdersRead),
	"GET /api/v1/settings/deadlines":          needs(), // any valid token (the contract)
	"PUT /api/v1/settings/deadlines":          needs(domain.ScopeSettingsWrite),
	"GET /api/v1/activity":                    needs(domain.ScopeActivityRead),
	"GET /api/v1/activity/export":             needs(domain.ScopeActivityRead),
}

// requireScope refuses (403, naming the scope) a token limited to scopes that do not
// include all those the route's rule asks of this request.
func requireScope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		actor := actorOf(c)
		if actor.Scopes == nil {
			return next(c)
		}
		rule, ok := apiScopes[c.Request().Method+" "+c.Path()]
		if !ok {
			return scopeRefusal("a scope this route does not have", "")
		}
		if missing, lacks := actor.Lacks(rule.all...); lacks {
			return scopeRefusal(string(missing), "")
		}
		for _, b := range rule.when {
			if !actor.Allows(b.scope) {
				set, err := bodySetsTrue(c, b.field)
				if err != nil {
					return err
				}
				if set {
					return scopeRefusal(string(b.scope), fmt.Sprintf(" when %q is true", b.field))
				}
			}
		}
		return next(c)
	}
}

func scopeRefusal(scope, when string) error {
	return &domain.Error{Code: domain.CodeForbidden, Message: "this token may not do this: it needs the scope " + scope + when,
		Fields: map[string]string{"scope": scope}}
}

// bodySetsTrue reads the request's JSON body (and puts it back for the handler) and
// tells whether it sets field to true, decoded as the handler's bind decodes it (field
// names matched regardless of case, the last of repeated keys counts). A body that does
// not decode counts as setting it: the request is refused rather than guessed at.
func bodySetsTrue(c echo.Context, field string) (bool, error) {
	body, err := readBody(c)
	if err != nil {
		return false, err
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	probe := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "V", Type: reflect.TypeFor[bool](),
		Tag: reflect.StructTag(`json:"` + field + `"`)}}))
	if err := json.Unmarshal(body, probe.Interface()); err != nil {
		return true, nil
	}
	return probe.Elem().Field(0).Bool(), nil
}
