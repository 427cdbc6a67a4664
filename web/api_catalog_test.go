package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestProductsAreCreatedThenUpdated(t *testing.T) {
	e := newAPIEnv(t)
	var p productJSON
	e.must(http.StatusCreated, "PUT", "/api/v1/products/TEE-M", map[string]any{"name": "Tee", "price": "19.9", "currency": "usd", "active": true}).JSON(t, &p)
	if p.Price != "19.90" || p.Currency != "USD" || p.SalePrice != nil {
		t.Errorf("created %+v", p)
	}
	e.must(http.StatusOK, "PUT", "/api/v1/products/TEE-M", map[string]any{"name": "Tee v2", "price": "21.00", "sale_price": "18.00", "currency": "USD", "active": false}).JSON(t, &p)
	if p.Name != "Tee v2" || p.SalePrice == nil || *p.SalePrice != "18.00" || p.Active {
		t.Errorf("updated %+v", p)
	}
	e.must(http.StatusOK, "GET", "/api/v1/products/TEE-M", nil).JSON(t, &p)
	if p.Name != "Tee v2" {
		t.Errorf("read back %+v", p)
	}
	var jpy productJSON
	e.must(http.StatusCreated, "PUT", "/api/v1/products/SENCHA", map[string]any{"name": "Tea", "price": "1200", "currency": "JPY", "active": true}).JSON(t, &jpy)
	if jpy.Price != "1200" {
		t.Errorf("JPY price %s, want 1200", jpy.Price)
	}
	if r := e.do("GET", "/api/v1/products/NOPE", nil); r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
		t.Errorf("unknown product: %d %s", r.Status, r.Body)
	}

	bad := []struct {
		name, sku string
		body      any
		status    int
		field     string
	}{
		{"price as number", "X", map[string]any{"name": "X", "price": 19.99, "currency": "USD"}, 400, "price"},
		{"negative price", "X", map[string]any{"name": "X", "price": "-1.00", "currency": "USD"}, 422, "price"},
		{"too many decimals", "X", map[string]any{"name": "X", "price": "1.999", "currency": "USD"}, 422, "price"},
		{"JPY decimals", "X", map[string]any{"name": "X", "price": "1.5", "currency": "JPY"}, 422, "price"},
		{"unknown currency", "X", map[string]any{"name": "X", "price": "1.00", "currency": "XYZ"}, 422, "currency"},
		{"missing name", "X", map[string]any{"price": "1.00", "currency": "USD"}, 422, "name"},
		{"bad sku", "bad%20sku", map[string]any{"name": "X", "price": "1.00", "currency": "USD"}, 422, "sku"},
		{"unknown field", "X", map[string]any{"name": "X", "price": "1.00", "currency": "USD", "colour": "red"}, 400, "colour"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", "/api/v1/products/"+tc.sku, tc.body)
			var b errorBody
			r.JSON(t, &b)
			if r.Status != tc.status || b.Error.Fields[tc.field] == "" {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
		})
	}
	if n := e.count("products"); n != 2 {
		t.Errorf("%d products, want 2", n)
	}
}

func TestInventoryNeverGoesBelowReserved(t *testing.T) {
	e := newAPIEnv(t)
	e.product("S", "5.00", 10)
	e.createOrder(orderBody("a@example.com", "S", 4))
	var inv inventoryJSON
	e.must(http.StatusOK, "GET", "/api/v1/inventory/S", nil).JSON(t, &inv)
	if inv != (inventoryJSON{SKU: "S", OnHand: 10, Reserved: 4, Available: 6}) {
		t.Errorf("inventory %+v", inv)
	}
	e.must(http.StatusOK, "POST", "/api/v1/inventory/S/adjustments", map[string]any{"delta": -6, "reason": "damaged"}).JSON(t, &inv)
	if inv.OnHand != 4 || inv.Available != 0 {
		t.Errorf("after -6: %+v", inv)
	}
	if r := e.do("POST", "/api/v1/inventory/S/adjustments", map[string]any{"delta": -1, "reason": "lost"}); r.Status != http.StatusConflict || r.ErrorCode() != "inventory_below_reserved" {
		t.Errorf("below reserved: %d %s", r.Status, r.Body)
	}
	if r := e.do("PUT", "/api/v1/inventory/S", map[string]any{"on_hand": 3}); r.Status != http.StatusConflict {
		t.Errorf("set below reserved: %d %s", r.Status, r.Body)
	}
	e.must(http.StatusUnprocessableEntity, "PUT", "/api/v1/inventory/S", map[string]any{"on_hand": -1})
	e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/inventory/S/adjustments", map[string]any{"delta": 0})
	e.must(http.StatusBadRequest, "POST", "/api/v1/inventory/S/adjustments", map[string]any{"delta": "many"})
	e.must(http.StatusNotFound, "GET", "/api/v1/inventory/NOPE", nil)
	e.must(http.StatusNotFound, "POST", "/api/v1/inventory/NOPE/adjustments", map[string]any{"delta": 1})
	var adjustments int
	if err := e.pool.QueryRow(t.Context(), "SELECT count(*) FROM inventory_adjustments WHERE sku = 'S'").Scan(&adjustments); err != nil || adjustments != 2 {
		t.Errorf("%d adjustments recorded (%v), want 2 (the initial count and -6)", adjustments, err)
	}
}

func TestOperationsEndpoints(t *testing.T) {
	e := newAPIEnv(t)
	e.product("M", "1.00", 5)
	e.createOrder(orderBody("m@example.com", "M", 1))
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := e.do("GET", path, nil, "Authorization", ""); r.Status != http.StatusOK {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
	r := e.do("GET", "/metrics", nil, "Authorization", "")
	for _, want := range []string{"oms_orders_created_total", "oms_http_requests_total", "oms_http_request_duration_seconds_bucket", `route="/api/v1/orders"`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if r := e.do("GET", "/api/v1/nothing-here", nil); r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
		t.Errorf("unknown API path: %d %s", r.Status, r.Body)
	}
	e.pool.Close()
	if r := e.do("GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database gone: %d", r.Status)
	}
}
