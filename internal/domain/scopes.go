package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is a part of the API a token may be limited to. A token made without scopes may
// do everything (the API's first contract); one made with some may do only those.
type Scope string

// Which routes need which scopes is web/api_auth.go's table (apiScopes). Whatever moves
// money needs payments:write, also where another scope is needed too: cancelling with a
// refund and approving a return (which refunds it) need orders:write and payments:write.
// A webhook endpoint is sent whole orders, so creating one needs webhooks and orders:read.
const (
	ScopeOrdersRead    Scope = "orders:read"    // read orders, returns, products, stock and tracking
	ScopeOrdersWrite   Scope = "orders:write"   // create and edit orders, transitions, cancel, holds, fulfillments, returns
	ScopePaymentsWrite Scope = "payments:write" // payments, payment intents, refunds, and the refunds of a cancellation or return
	ScopeCatalogWrite  Scope = "catalog:write"  // products and stock
	ScopeExports       Scope = "exports"        // export every order (customers' data in bulk)
	ScopeWebhooks      Scope = "webhooks"       // webhook endpoints (creating one: with orders:read)
	ScopeSettingsWrite Scope = "settings:write" // change the shop's settings (shipping deadlines)
	ScopeActivityRead  Scope = "activity:read"  // the store-wide activity log (who changed what)
)

// Scopes are all scopes, in the order Settings lists them.
var Scopes = []Scope{ScopeOrdersRead, ScopeOrdersWrite, ScopePaymentsWrite, ScopeCatalogWrite, ScopeExports, ScopeWebhooks,
	ScopeSettingsWrite, ScopeActivityRead}

// ParseScopes reads a comma-separated list of scopes ("" is none: full access), each
// once, in Scopes' order.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, part := range strings.Split(s, ",") {
		sc := Scope(strings.TrimSpace(part))
		switch {
		case sc == "":
		case !slices.Contains(Scopes, sc):
			return nil, FieldErrors{"scopes": fmt.Sprintf("unknown scope %q; scopes are %s", sc, joinScopes(Scopes))}.Err()
		case !slices.Contains(out, sc):
			out = append(out, sc)
		}
	}
	slices.SortFunc(out, func(a, b Scope) int { return slices.Index(Scopes, a) - slices.Index(Scopes, b) })
	return out, nil
}

func joinScopes(ss []Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// Allows reports whether an actor may use scope: staff, the system and tokens made
// without scopes may use every one.
func (a Actor) Allows(scope Scope) bool {
	return a.Scopes == nil || slices.Contains(a.Scopes, scope)
}

// Lacks names the first of scopes the actor may not use; false when it may use them all.
func (a Actor) Lacks(scopes ...Scope) (Scope, bool) {
	for _, s := range scopes {
		if !a.Allows(s) {
			return s, true
		}
	}
	return "", false
}
