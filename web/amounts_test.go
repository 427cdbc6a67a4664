package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
)

// refusedNaming fails the test unless r is status with code, naming field.
func refusedNaming(t *testing.T, r apiResponse, status int, code, field string) {
	t.Helper()
	var b errorBody
	r.JSON(t, &b)
	if r.Status != status || b.Error.Code != code || b.Error.Fields[field] == "" {
		t.Errorf("%d %s, want %d %s naming %s", r.Status, r.Body, status, code, field)
	}
}

// An amount from outside follows one rule wherever it comes in (query, cursor, JSON,
// form, settings): a plain decimal, no exponent, no more digits than its column holds,
// refused naming the parameter.
func TestAmountsFromOutsideFollowOneRule(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	e.createOrder(orderBody("a@example.com", "TEE-M", 1))
	e.createOrder(orderBody("b@example.com", "TEE-M", 2))

	t.Run("ListFilter", func(t *testing.T) {
		for _, q := range []string{"total_min=1e-5", "total_max=1E2", "total_min=0.00001", "total_max=1234567890123456", "total_min=0x10"} {
			refusedNaming(t, e.do("GET", "/api/v1/orders?"+q, nil), http.StatusBadRequest, "bad_request", q[:9])
		}
		var page orderListJSON
		e.must(http.StatusOK, "GET", "/api/v1/orders?total_min=30.0000&total_max=100", nil).JSON(t, &page)
		if len(page.Orders) != 1 {
			t.Errorf("total_min=30.0000: %d orders, want 1", len(page.Orders))
		}
	})

	t.Run("Cursor", func(t *testing.T) {
		for _, v := range []string{"1e9999", "1E-3", "0.00001", "99999999999999999999", "x"} {
			b, _ := json.Marshal(map[string]any{"s": "total", "v": v, "i": uuid.NewString()})
			cur := base64.RawURLEncoding.EncodeToString(b)
			refusedNaming(t, e.do("GET", "/api/v1/orders?sort=total&cursor="+cur, nil), http.StatusBadRequest, "bad_request", "cursor")
		}
		var page orderListJSON
		e.must(http.StatusOK, "GET", "/api/v1/orders?sort=total&limit=1", nil).JSON(t, &page)
		e.must(http.StatusOK, "GET", "/api/v1/orders?sort=total&limit=1&cursor="+url.QueryEscape(*page.NextCursor), nil)
	})

	t.Run("JSON", func(t *testing.T) {
		product := func(price string) map[string]any {
			return map[string]any{"name": "Mug", "price": price, "currency": "USD", "active": true}
		}
		for _, price := range []string{"1e2", "1E2", "0x10", "1_000", " 1"} {
			refusedNaming(t, e.do("PUT", "/api/v1/products/MUG", product(price)), http.StatusBadRequest, "bad_request", "price")
		}
		for _, price := range []string{"12.34567", "1234567890123456"} {
			refusedNaming(t, e.do("PUT", "/api/v1/products/MUG", product(price)), http.StatusUnprocessableEntity, "validation_failed", "price")
		}
		if n := e.count("products"); n != 1 {
			t.Fatalf("%d products after refused ones, want 1", n)
		}
		for _, price := range []string{"19.99", "19.990000", "0019.99"} {
			e.must(http.StatusOK, "PUT", "/api/v1/products/TEE-M", product(price))
		}
	})
}

// A settings form's amounts and rates follow the same rule: a tax rate of 1e1 is not
// 10 %, a coupon of 1e1 not 10.
func TestSettingsAmountsRefuseExponents(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/settings/tax")
	for _, rate := range []string{"1e1", "7.25e0", "0.00001"} {
		bad := admin.post("/settings/tax", url.Values{"country": {"US"}, "rate": {rate}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		expectBody(t, bad, `id="err-rate"`)
	}
	admin.get("/settings/shipping")
	bad := admin.post("/settings/shipping", url.Values{"country": {"*"}, "currency": {"USD"}, "amount": {"1e1"}, "free_above": {"5E1"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectBody(t, bad, `id="err-amount"`, `id="err-free_above"`)
	admin.get("/settings/coupons")
	bad = admin.post("/settings/coupons", url.Values{"code": {"TEN"}, "kind": {"percent"}, "value": {"1e1"}, "min_subtotal": {"1e1"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectBody(t, bad, `id="err-value"`, `id="err-min_subtotal"`)
	for _, table := range []string{"tax_rates", "shipping_rates", "coupons"} {
		var n int
		if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows (%v) after refused forms", table, n, err)
		}
	}
	admin.get("/settings/tax")
	expectStatus(t, admin.post("/settings/tax", url.Values{"country": {"US"}, "rate": {"8.8750"}}), http.StatusSeeOther)
}
