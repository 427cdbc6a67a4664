package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestCreateOrderPricesFromCatalogWithCouponShippingAndTax(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	e.must(http.StatusOK, "PUT", "/api/v1/products/TEE-M", map[string]any{"name": "Tee M", "price": "20.00", "sale_price": "15.00", "currency": "USD", "active": true})
	e.product("MUG", "8.50", 10)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `INSERT INTO tax_rates (country, region, rate) VALUES ('US', '', 0.05), ('US', 'IL', 0.0625);
		INSERT INTO shipping_rates (country, currency, amount, free_above) VALUES ('US', 'USD', 5.99, 100), ('*', 'USD', 14.99, NULL);
		INSERT INTO coupons (code, kind, value) VALUES ('SAVE10', 'percent', 10)`); err != nil {
		t.Fatal(err)
	}
	body := orderBody("Ann@Example.com", "TEE-M", 2, "MUG", 1)
	body["coupon_code"] = "save10"
	o := e.createOrder(body)
	// subtotal 2*15.00 + 8.50 = 38.50; discount 3.85; discounted 34.65; IL tax 6.25% = 2.1656 -> 2.17;
	// shipping 5.99 (below 100); total 34.65 + 5.99 + 2.17 = 42.81
	want := map[string]string{"subtotal": "38.50", "discount": "3.85", "shipping": "5.99", "tax": "2.17", "total": "42.81"}
	got := map[string]string{"subtotal": o.Subtotal, "discount": o.Discount, "shipping": o.Shipping, "tax": o.Tax, "total": o.Total}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if o.Items[0].UnitPrice != "15.00" || o.Items[0].Total != "30.00" {
		t.Errorf("line priced %s x2 = %s, want the sale price 15.00 = 30.00", o.Items[0].UnitPrice, o.Items[0].Total)
	}
	if o.Status != "created" || o.PaymentStatus != "pending" || o.FulfillmentStatus != "unfulfilled" {
		t.Errorf("statuses %s/%s/%s", o.Status, o.PaymentStatus, o.FulfillmentStatus)
	}
	if o.CouponCode == nil || *o.CouponCode != "SAVE10" {
		t.Errorf("coupon_code = %v", o.CouponCode)
	}
	if o.BillingAddress != o.ShippingAddress {
		t.Errorf("billing address omitted should equal shipping")
	}
	if len(o.History) != 1 || o.History[0].Status != "created" || o.History[0].By != "test" {
		t.Errorf("history = %+v", o.History)
	}
	if inv := e.inventory("TEE-M"); inv.Reserved != 2 || inv.OnHand != 10 {
		t.Errorf("TEE-M inventory = %+v, want 2 reserved of 10", inv)
	}

	t.Run("free shipping above the threshold and fallback rate abroad", func(t *testing.T) {
		big := e.createOrder(orderBody("b@example.com", "TEE-M", 7)) // 105.00, region IL
		if big.Shipping != "0.00" {
			t.Errorf("shipping = %s, want free above 100", big.Shipping)
		}
		abroad := orderBody("c@example.com", "MUG", 1)
		abroad["shipping_address"].(map[string]any)["country"] = "FR"
		fr := e.createOrder(abroad)
		if fr.Shipping != "14.99" || fr.Tax != "0.00" {
			t.Errorf("FR shipping %s tax %s, want 14.99 and no tax rate", fr.Shipping, fr.Tax)
		}
	})
}

func TestCreateOrderIsAllOrNothingWhenStockIsShort(t *testing.T) {
	e := newAPIEnv(t)
	e.product("A", "1.00", 5)
	e.product("B", "1.00", 1)
	e.product("C", "1.00", 0)
	r := e.must(http.StatusConflict, "POST", "/api/v1/orders", orderBody("a@example.com", "A", 2, "B", 2, "C", 1))
	var body errorBody
	r.JSON(t, &body)
	if body.Error.Code != "out_of_stock" {
		t.Fatalf("code = %s", body.Error.Code)
	}
	if _, ok := body.Error.Fields["B"]; !ok || len(body.Error.Fields) != 2 {
		t.Errorf("fields = %v, want B and C named", body.Error.Fields)
	}
	if _, ok := body.Error.Fields["C"]; !ok {
		t.Errorf("fields = %v, want C named", body.Error.Fields)
	}
	for _, sku := range []string{"A", "B", "C"} {
		if inv := e.inventory(sku); inv.Reserved != 0 {
			t.Errorf("%s reserved %d after a refused order", sku, inv.Reserved)
		}
	}
	if n := e.count("orders"); n != 0 {
		t.Errorf("%d orders written", n)
	}
}

func TestConcurrentOrdersNeverOversellStock(t *testing.T) {
	e := newAPIEnv(t)
	e.product("HOT", "9.99", 50)
	const clients = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/api/v1/orders", orderBody(fmt.Sprintf("c%d@example.com", i), "HOT", 1))
			code := strconv.Itoa(r.Status)
			if r.Status != http.StatusCreated {
				code += " " + r.ErrorCode()
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["201"] != 50 || codes["409 out_of_stock"] != 150 || len(codes) != 2 {
		t.Fatalf("answers = %v, want 50 created and 150 out_of_stock", codes)
	}
	if inv := e.inventory("HOT"); inv.Reserved != 50 || inv.OnHand != 50 {
		t.Errorf("inventory = %+v, want 50 reserved of 50", inv)
	}
	if n := e.count("orders"); n != 50 {
		t.Errorf("%d orders, want 50", n)
	}
	var open int
	if err := e.pool.QueryRow(context.Background(), `SELECT coalesce(sum(quantity), 0) FROM inventory_reservations WHERE sku = 'HOT' AND status = 'reserved'`).Scan(&open); err != nil || open != 50 {
		t.Errorf("open reservations = %d (%v), want 50", open, err)
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswerUnderConcurrency(t *testing.T) {
	e := newAPIEnv(t)
	e.product("SKU-1", "10.00", 1000)
	body := orderBody("idem@example.com", "SKU-1", 3)
	const n = 50
	answers := make([]apiResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.do("POST", "/api/v1/orders", body, "Idempotency-Key", "order-42")
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	replays := 0
	for _, a := range answers {
		if a.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", a.Status, a.Body)
		}
		var o orderJSON
		a.JSON(t, &o)
		ids[o.ID] = true
		if a.Header.Get("Idempotent-Replayed") == "true" {
			replays++
		}
	}
	if len(ids) != 1 || replays != n-1 {
		t.Errorf("%d distinct orders, %d replays; want 1 and %d", len(ids), replays, n-1)
	}
	if c := e.count("orders"); c != 1 {
		t.Errorf("%d orders in the database, want 1", c)
	}
	if inv := e.inventory("SKU-1"); inv.Reserved != 3 {
		t.Errorf("reserved %d, want 3 (one order)", inv.Reserved)
	}

	t.Run("same key with another body is refused", func(t *testing.T) {
		r := e.must(http.StatusConflict, "POST", "/api/v1/orders", orderBody("idem@example.com", "SKU-1", 4), "Idempotency-Key", "order-42")
		if r.ErrorCode() != "idempotency_key_reused" {
			t.Errorf("code = %s", r.ErrorCode())
		}
	})
	t.Run("same body reformatted still replays", func(t *testing.T) {
		raw := `{"items":[{"quantity":3,"sku":"SKU-1"}],"customer":{"name":"Ann Lee","email":"idem@example.com","phone":"+15550100"},
			"shipping_address":{"country":"US","postal_code":"62701","region":"IL","city":"Springfield","address1":"1 Main St","last_name":"Lee","first_name":"Ann"}}`
		r := e.must(http.StatusCreated, "POST", "/api/v1/orders", raw, "Idempotency-Key", "order-42")
		if r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("not replayed")
		}
	})
	t.Run("a repeat is replayed even after the first took the last units", func(t *testing.T) {
		e.product("LAST", "5.00", 2)
		first := e.must(http.StatusCreated, "POST", "/api/v1/orders", orderBody("l@example.com", "LAST", 2), "Idempotency-Key", "last-units")
		again := e.must(http.StatusCreated, "POST", "/api/v1/orders", orderBody("l@example.com", "LAST", 2), "Idempotency-Key", "last-units")
		var a, b orderJSON
		first.JSON(t, &a)
		again.JSON(t, &b)
		if again.Header.Get("Idempotent-Replayed") != "true" || a.ID != b.ID {
			t.Errorf("repeat answered order %s (replayed %q), want %s replayed", b.ID, again.Header.Get("Idempotent-Replayed"), a.ID)
		}
	})
	t.Run("a failed request does not burn the key", func(t *testing.T) {
		e.product("RARE", "1.00", 0)
		e.must(http.StatusConflict, "POST", "/api/v1/orders", orderBody("x@example.com", "RARE", 1), "Idempotency-Key", "retry-me")
		e.must(http.StatusOK, "PUT", "/api/v1/inventory/RARE", map[string]any{"on_hand": 1})
		r := e.must(http.StatusCreated, "POST", "/api/v1/orders", orderBody("x@example.com", "RARE", 1), "Idempotency-Key", "retry-me")
		if r.Header.Get("Idempotent-Replayed") == "true" {
			t.Errorf("first success reported as a replay")
		}
	})
}

func TestOrderNumbersAreUniqueAndIncreasingUnderLoad(t *testing.T) {
	e := newAPIEnv(t)
	e.product("N", "1.00", 100000)
	const workers, perWorker = 20, 50
	numbers := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				r := e.do("POST", "/api/v1/orders", orderBody(fmt.Sprintf("w%d-%d@example.com", w, i), "N", 1))
				if r.Status != http.StatusCreated {
					t.Errorf("status %d: %s", r.Status, r.Body)
					return
				}
				var o orderJSON
				r.JSON(t, &o)
				numbers[w] = append(numbers[w], o.OrderNumber)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ns := range numbers {
		for i, n := range ns {
			if seen[n] {
				t.Fatalf("duplicate order number %s", n)
			}
			seen[n] = true
			if !strings.HasPrefix(n, "ORD-") || len(n) != len("ORD-261125-000042") {
				t.Errorf("order number %q does not look like ORD-YYMMDD-NNNNNN", n)
			}
			if i > 0 && n <= ns[i-1] {
				t.Errorf("order numbers of one client not increasing: %s after %s", n, ns[i-1])
			}
		}
	}
	if len(seen) != workers*perWorker {
		t.Errorf("%d order numbers, want %d", len(seen), workers*perWorker)
	}
}

func TestCouponUsageLimitIsCountedAtomically(t *testing.T) {
	e := newAPIEnv(t)
	e.product("C1", "50.00", 1000)
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO coupons (code, kind, value, currency, usage_limit) VALUES ('FIVE', 'fixed', 5, 'USD', 5)`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := orderBody(fmt.Sprintf("k%d@example.com", i), "C1", 1)
			b["coupon_code"] = "FIVE"
			r := e.do("POST", "/api/v1/orders", b)
			mu.Lock()
			codes[strconv.Itoa(r.Status)+r.ErrorCode()]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["201"] != 5 || codes["422coupon_invalid"] != 15 {
		t.Errorf("answers = %v, want 5 created and 15 coupon_invalid", codes)
	}
	var used int
	_ = e.pool.QueryRow(context.Background(), `SELECT used_count FROM coupons WHERE code = 'FIVE'`).Scan(&used)
	if used != 5 {
		t.Errorf("used_count = %d, want 5", used)
	}
}

func TestBadOrderRequestsAreRefusedAndWriteNothing(t *testing.T) {
	e := newAPIEnv(t)
	e.product("OK-1", "10.00", 100)
	e.must(http.StatusCreated, "PUT", "/api/v1/products/OFF", map[string]any{"name": "Old", "price": "1.00", "currency": "USD", "active": false})
	e.must(http.StatusCreated, "PUT", "/api/v1/products/EUR-1", map[string]any{"name": "Euro", "price": "1.00", "currency": "EUR", "active": true})
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO coupons (code, kind, value, ends_at, min_subtotal) VALUES ('OLD', 'percent', 10, now() - interval '1 day', NULL), ('BIG', 'percent', 10, NULL, 1000)`); err != nil {
		t.Fatal(err)
	}
	valid := func(mut func(b map[string]any)) map[string]any {
		b := orderBody("ann@example.com", "OK-1", 1)
		mut(b)
		return b
	}
	addr := func(b map[string]any) map[string]any { return b["shipping_address"].(map[string]any) }
	item := func(b map[string]any) map[string]any { return b["items"].([]map[string]any)[0] }
	long := strings.Repeat("x", 256)
	cases := []struct {
		name   string
		body   any
		hdr    []string
		status int
		code   string
		field  string
	}{
		{"malformed JSON", `{"customer":`, nil, 400, "bad_request", ""},
		{"not an object", `[1,2]`, nil, 400, "bad_request", ""},
		{"empty body", ``, nil, 400, "bad_request", ""},
		{"two objects", `{} {}`, nil, 400, "bad_request", ""},
		{"unknown top-level field", valid(func(b map[string]any) { b["total"] = "1.00" }), nil, 400, "bad_request", "total"},
		{"client-sent price", valid(func(b map[string]any) { item(b)["price"] = "0.01" }), nil, 400, "bad_request", ""},
		{"client-sent unit_price", valid(func(b map[string]any) { item(b)["unit_price"] = "0.01" }), nil, 400, "bad_request", ""},
		{"quantity as string", valid(func(b map[string]any) { item(b)["quantity"] = "2" }), nil, 400, "bad_request", "items[0].quantity"},
		{"quantity fractional", valid(func(b map[string]any) { item(b)["quantity"] = 1.5 }), nil, 400, "bad_request", "items[0].quantity"},
		{"items not an array", valid(func(b map[string]any) { b["items"] = "OK-1" }), nil, 400, "bad_request", "items"},
		{"zero quantity", valid(func(b map[string]any) { item(b)["quantity"] = 0 }), nil, 422, "validation_failed", "items[0].quantity"},
		{"negative quantity", valid(func(b map[string]any) { item(b)["quantity"] = -3 }), nil, 422, "validation_failed", "items[0].quantity"},
		{"quantity over 1000", valid(func(b map[string]any) { item(b)["quantity"] = 1001 }), nil, 422, "validation_failed", "items[0].quantity"},
		{"no items", valid(func(b map[string]any) { b["items"] = []any{} }), nil, 422, "validation_failed", "items"},
		{"101 lines", valid(func(b map[string]any) {
			items := []map[string]any{}
			for range 101 {
				items = append(items, map[string]any{"sku": "OK-1", "quantity": 1})
			}
			b["items"] = items
		}), nil, 422, "validation_failed", "items"},
		{"unknown SKU", valid(func(b map[string]any) { item(b)["sku"] = "NOPE" }), nil, 422, "product_unavailable", "items[0].sku"},
		{"inactive product", valid(func(b map[string]any) { item(b)["sku"] = "OFF" }), nil, 422, "product_unavailable", "items[0].sku"},
		{"mixed currencies", valid(func(b map[string]any) {
			b["items"] = []map[string]any{{"sku": "OK-1", "quantity": 1}, {"sku": "EUR-1", "quantity": 1}}
		}), nil, 422, "product_unavailable", "items[1].sku"},
		{"hostile SKU", valid(func(b map[string]any) { item(b)["sku"] = "'; DROP TABLE orders;--" }), nil, 422, "validation_failed", "items[0].sku"},
		{"bad email", valid(func(b map[string]any) { b["customer"].(map[string]any)["email"] = "not-an-email" }), nil, 422, "validation_failed", "customer.email"},
		{"email with display name", valid(func(b map[string]any) { b["customer"].(map[string]any)["email"] = "Ann <ann@example.com>" }), nil, 422, "validation_failed", "customer.email"},
		{"missing customer", valid(func(b map[string]any) { delete(b, "customer") }), nil, 422, "validation_failed", "customer.email"},
		{"missing address1", valid(func(b map[string]any) { delete(addr(b), "address1") }), nil, 422, "validation_failed", "shipping_address.address1"},
		{"missing city", valid(func(b map[string]any) { addr(b)["city"] = "  " }), nil, 422, "validation_failed", "shipping_address.city"},
		{"missing first name", valid(func(b map[string]any) { delete(addr(b), "first_name") }), nil, 422, "validation_failed", "shipping_address.first_name"},
		{"country not ISO", valid(func(b map[string]any) { addr(b)["country"] = "USA" }), nil, 422, "validation_failed", "shipping_address.country"},
		{"country unknown code", valid(func(b map[string]any) { addr(b)["country"] = "XX" }), nil, 422, "validation_failed", "shipping_address.country"},
		{"name over 255", valid(func(b map[string]any) { addr(b)["last_name"] = long }), nil, 422, "validation_failed", "shipping_address.last_name"},
		{"notes over 5000", valid(func(b map[string]any) { b["notes"] = strings.Repeat("n", 5001) }), nil, 422, "validation_failed", "notes"},
		{"control characters", valid(func(b map[string]any) { addr(b)["city"] = "Spring\x00field" }), nil, 422, "validation_failed", "shipping_address.city"},
		{"bad billing address", valid(func(b map[string]any) { b["billing_address"] = map[string]any{"first_name": "A"} }), nil, 422, "validation_failed", "billing_address.last_name"},
		{"bad phone", valid(func(b map[string]any) { b["customer"].(map[string]any)["phone"] = "call me maybe" }), nil, 422, "validation_failed", "customer.phone"},
		{"unknown coupon", valid(func(b map[string]any) { b["coupon_code"] = "NOPE" }), nil, 422, "coupon_invalid", "coupon_code"},
		{"expired coupon", valid(func(b map[string]any) { b["coupon_code"] = "OLD" }), nil, 422, "coupon_invalid", "coupon_code"},
		{"coupon minimum not met", valid(func(b map[string]any) { b["coupon_code"] = "BIG" }), nil, 422, "coupon_invalid", "coupon_code"},
		{"body over 1 MiB", `{"notes":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 413, "too_large", ""},
		{"idempotency key too long", orderBody("a@example.com", "OK-1", 1), []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "bad_request", ""},
		{"missing token", orderBody("a@example.com", "OK-1", 1), []string{"Authorization", ""}, 401, "unauthorized", ""},
		{"wrong token", orderBody("a@example.com", "OK-1", 1), []string{"Authorization", "Bearer oms_wrong"}, 401, "unauthorized", ""},
		{"basic auth instead of bearer", orderBody("a@example.com", "OK-1", 1), []string{"Authorization", "Basic YTpi"}, 401, "unauthorized", ""},
	}
	before := tableCounts(e)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/orders", tc.body, tc.hdr...)
			var body errorBody
			r.JSON(t, &body)
			if r.Status != tc.status || body.Error.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", r.Status, body.Error.Code, tc.status, tc.code, r.Body)
			}
			if body.Error.Message == "" {
				t.Errorf("no message")
			}
			if tc.field != "" {
				if _, ok := body.Error.Fields[tc.field]; !ok {
					t.Errorf("fields %v do not name %s", body.Error.Fields, tc.field)
				}
			}
			if strings.Contains(string(r.Body), "SQLSTATE") || strings.Contains(string(r.Body), "goroutine") {
				t.Errorf("internal detail leaked: %s", r.Body)
			}
		})
	}
	if after := tableCounts(e); !slices.Equal(before, after) {
		t.Errorf("rows changed by refused requests: before %v, after %v", before, after)
	}
	if inv := e.inventory("OK-1"); inv.Reserved != 0 {
		t.Errorf("reserved %d after refused requests", inv.Reserved)
	}
}

// tableCounts counts the rows an order creation writes.
func tableCounts(e *apiEnv) []int {
	var out []int
	for _, table := range []string{"orders", "order_items", "inventory_reservations", "order_history", "idempotency_keys"} {
		out = append(out, e.count(table))
	}
	var used int
	_ = e.pool.QueryRow(context.Background(), "SELECT coalesce(sum(used_count), 0) FROM coupons").Scan(&used)
	return append(out, used)
}

func TestTransitionsFollowTheTableAndCancelReleasesStock(t *testing.T) {
	e := newAPIEnv(t)
	e.product("T", "10.00", 5)
	o := e.createOrder(orderBody("t@example.com", "T", 2))

	r := e.must(http.StatusConflict, "POST", "/api/v1/orders/"+o.ID+"/transitions", map[string]any{"status": "shipped"})
	if r.ErrorCode() != "invalid_transition" || !strings.Contains(string(r.Body), "pending, cancelled") {
		t.Errorf("refusal does not name the allowed states: %s", r.Body)
	}
	r = e.must(http.StatusConflict, "POST", "/api/v1/orders/"+o.OrderNumber+"/transitions", map[string]any{"status": "paid"})
	if r.ErrorCode() != "invalid_transition" {
		t.Errorf("created -> paid: %s", r.Body)
	}
	var moved orderJSON
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.OrderNumber+"/transitions", map[string]any{"status": "pending", "note": "awaiting transfer"}).JSON(t, &moved)
	if moved.Status != "pending" || len(moved.History) != 2 || moved.History[1].Note != "awaiting transfer" || moved.History[1].By != "test" {
		t.Errorf("after pending: %s %+v", moved.Status, moved.History)
	}
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/transitions", map[string]any{"status": "cancelled"}).JSON(t, &moved)
	if moved.Status != "cancelled" || moved.CancelledAt == nil {
		t.Errorf("cancel: %s cancelled_at %v", moved.Status, moved.CancelledAt)
	}
	if inv := e.inventory("T"); inv.Reserved != 0 {
		t.Errorf("reserved %d after cancel, want 0", inv.Reserved)
	}
	r = e.must(http.StatusConflict, "POST", "/api/v1/orders/"+o.ID+"/transitions", map[string]any{"status": "pending"})
	if !strings.Contains(r.ErrorCode(), "invalid_transition") {
		t.Errorf("from cancelled: %s", r.Body)
	}
	e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/orders/"+o.ID+"/transitions", map[string]any{"status": "teleported"})
	e.must(http.StatusNotFound, "POST", "/api/v1/orders/00000000-0000-0000-0000-000000000000/transitions", map[string]any{"status": "pending"})
	e.must(http.StatusNotFound, "GET", "/api/v1/orders/ORD-000000-000000", nil)
}

func TestConcurrentRepeatsReplayWhenStockIsExactlyEnough(t *testing.T) {
	e := newAPIEnv(t)
	e.product("EXACT", "3.00", 3)
	const n = 30
	answers := make([]apiResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.do("POST", "/api/v1/orders", orderBody("x@example.com", "EXACT", 3), "Idempotency-Key", "exact")
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, a := range answers {
		if a.Status != http.StatusCreated {
			t.Fatalf("status %d %s: every repeat must get the first answer", a.Status, a.ErrorCode())
		}
		var o orderJSON
		a.JSON(t, &o)
		ids[o.ID] = true
	}
	if len(ids) != 1 || e.count("orders") != 1 || e.inventory("EXACT").Reserved != 3 {
		t.Errorf("%d distinct orders, %d in the database, reserved %d; want 1, 1, 3", len(ids), e.count("orders"), e.inventory("EXACT").Reserved)
	}
}

func TestMalformedURLsAreRefusedNotFailed(t *testing.T) {
	e := newAPIEnv(t)
	for _, path := range []string{"/api/v1/orders/ORD%00X", "/api/v1/products/A%00B", "/api/v1/orders?q=a%00b",
		"/api/v1/track/ORD-1?email=a%00b", "/api/v1/orders?email=%ff"} {
		if r := e.do("GET", path, nil); r.Status != http.StatusBadRequest || r.ErrorCode() != "bad_request" {
			t.Errorf("GET %s: %d %s, want 400 bad_request", path, r.Status, r.Body)
		}
	}
}

func TestConcurrentTransitionsOfOneOrderApplyOnce(t *testing.T) {
	e := newAPIEnv(t)
	e.product("T", "10.00", 5)
	o := e.createOrder(orderBody("t@example.com", "T", 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.do("POST", "/api/v1/orders/"+o.ID+"/transitions", map[string]any{"status": "pending"}); r.Status == http.StatusOK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var got orderJSON
	e.must(http.StatusOK, "GET", "/api/v1/orders/"+o.ID, nil).JSON(t, &got)
	if ok != 1 || len(got.History) != 2 {
		t.Errorf("%d transitions succeeded, history %d rows; want 1 and 2", ok, len(got.History))
	}
}

func TestOrderListFiltersSortsAndPagesWithoutGapsOrDuplicates(t *testing.T) {
	e := newAPIEnv(t)
	e.product("L", "1.00", 1_000_000)
	ctx := context.Background()
	const total = 1000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range total {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b := orderBody(fmt.Sprintf("user%d@example.com", i%100), "L", 1+i%7)
			b["customer"].(map[string]any)["name"] = fmt.Sprintf("Customer %d", i)
			e.createOrder(b)
		}()
	}
	wg.Wait()
	// Spread creation over 10 days in groups of 4 orders sharing one timestamp, so that
	// ties on the sort key must be broken by id.
	if _, err := e.pool.Exec(ctx, `UPDATE orders o SET created_at = now() - (n.rn / 4) * interval '15 minutes'
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM orders) n WHERE n.id = o.id`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE orders SET status = 'pending' WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 300)`); err != nil {
		t.Fatal(err)
	}

	for _, sort := range []string{"created_at", "-created_at", "total", "-total"} {
		t.Run("cursor over all orders sorted by "+sort, func(t *testing.T) {
			seen := map[string]bool{}
			var prev *orderJSON
			cursor := ""
			pages := 0
			for {
				q := url.Values{"sort": {sort}, "limit": {"70"}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				var page orderListJSON
				e.must(http.StatusOK, "GET", "/api/v1/orders?"+q.Encode(), nil).JSON(t, &page)
				pages++
				if page.Total != total || !page.TotalExact {
					t.Fatalf("total %d exact %v, want %d", page.Total, page.TotalExact, total)
				}
				for _, o := range page.Orders {
					o := o
					if seen[o.ID] {
						t.Fatalf("order %s on two pages", o.OrderNumber)
					}
					seen[o.ID] = true
					if prev != nil && !inOrder(*prev, o, sort) {
						t.Fatalf("%s then %s not sorted by %s", prev.OrderNumber, o.OrderNumber, sort)
					}
					prev = &o
				}
				if page.NextCursor == nil {
					break
				}
				cursor = *page.NextCursor
			}
			if len(seen) != total || pages != 15 {
				t.Errorf("%d orders over %d pages, want %d over 15", len(seen), pages, total)
			}
		})
	}

	filters := []struct {
		query string
		sql   string
	}{
		{"status=pending", "status = 'pending'"},
		{"status=pending,created", "status IN ('pending','created')"},
		{"payment_status=pending", "payment_status = 'pending'"},
		{"fulfillment_status=unfulfilled", "fulfillment_status = 'unfulfilled'"},
		{"email=USER7@example.com", "lower(customer_email) = 'user7@example.com'"},
		{"q=user13%40", "customer_email LIKE 'user13@%'"},
		{"q=customer+99", "lower(customer_name) LIKE '%customer 99%'"},
		{"q=15550100", "customer_phone LIKE '%15550100%'"},
		{"total_min=3&total_max=5", "total BETWEEN 3 AND 5"},
		{"created_from=" + url.QueryEscape(time0(e, 48)) + "&created_to=" + url.QueryEscape(time0(e, 24)), "created_at >= '" + time0(e, 48) + "' AND created_at < '" + time0(e, 24) + "'"},
		{"status=pending&total_min=6&sort=total", "status = 'pending' AND total >= 6"},
	}
	for _, f := range filters {
		t.Run("filter "+f.query, func(t *testing.T) {
			var want int
			if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM orders WHERE "+f.sql).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if want == 0 {
				t.Fatalf("filter matches nothing; the test data is wrong")
			}
			got := 0
			cursor := ""
			for {
				path := "/api/v1/orders?limit=200&" + f.query
				if cursor != "" {
					path += "&cursor=" + url.QueryEscape(cursor)
				}
				var page orderListJSON
				e.must(http.StatusOK, "GET", path, nil).JSON(t, &page)
				if page.Total != int64(want) {
					t.Errorf("total %d, want %d", page.Total, want)
				}
				got += len(page.Orders)
				if page.NextCursor == nil {
					break
				}
				cursor = *page.NextCursor
			}
			if got != want {
				t.Errorf("listed %d orders, want %d", got, want)
			}
		})
	}

	bad := []string{"sort=name", "limit=0", "limit=201", "limit=abc", "status=lost", "cursor=garbage", "created_from=yesterday", "total_min=lots"}
	for _, q := range bad {
		t.Run("refuses "+q, func(t *testing.T) {
			r := e.do("GET", "/api/v1/orders?"+q, nil)
			if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
				t.Errorf("status %d: %.300s", r.Status, r.Body)
			}
		})
	}
	t.Run("a cursor of another sort is refused", func(t *testing.T) {
		var page orderListJSON
		e.must(http.StatusOK, "GET", "/api/v1/orders?limit=5&sort=total", nil).JSON(t, &page)
		e.must(http.StatusUnprocessableEntity, "GET", "/api/v1/orders?limit=5&sort=-created_at&cursor="+url.QueryEscape(*page.NextCursor), nil)
	})
}

// time0 returns now minus h hours from the database clock, as RFC 3339.
func time0(e *apiEnv, h int) string {
	var s string
	_ = e.pool.QueryRow(context.Background(), `SELECT to_char((now() - make_interval(hours => $1)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`, h).Scan(&s)
	return s
}

func inOrder(a, b orderJSON, sort string) bool {
	switch sort {
	case "created_at":
		return time.Time(a.CreatedAt).Before(time.Time(b.CreatedAt)) || time.Time(a.CreatedAt).Equal(time.Time(b.CreatedAt)) && a.ID < b.ID
	case "-created_at":
		return time.Time(a.CreatedAt).After(time.Time(b.CreatedAt)) || time.Time(a.CreatedAt).Equal(time.Time(b.CreatedAt)) && a.ID > b.ID
	}
	ta, tb := decimal.RequireFromString(a.Total), decimal.RequireFromString(b.Total)
	if sort == "total" {
		return ta.LessThan(tb) || ta.Equal(tb) && a.ID < b.ID
	}
	return ta.GreaterThan(tb) || ta.Equal(tb) && a.ID > b.ID
}
