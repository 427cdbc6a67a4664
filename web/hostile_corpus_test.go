package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// hostileValues are strings no id, SKU, code, status, currency, country, email or amount
// may be: injection, path tricks, unicode tricks, sizes, control characters.
var hostileValues = []string{
	`' OR 1=1 --`, `"; DROP TABLE orders; --`, `../../etc/passwd`, `..%2f..%2fetc%2fpasswd`,
	`<script>alert(1)</script>`, "\u202eevil", "zero\u200bwidth", "tab\there", "\x00", "\xff\xfe",
	strings.Repeat("A", 10_000), `{"$ne": null}`, `${jndi:ldap://x}`, `%00`, `1e309`, `-1`,
}

// A corpus of hostile requests across the API, the back-office forms and tracking: each
// gets a clean 4xx (never a 5xx, never a success) and writes nothing.
func TestHostileRequestCorpus(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	o := e.paidOrderOf("corpus@example.com", "TEE-M", 1)
	ctx := context.Background()
	tables := []string{"orders", "order_items", "payments", "refunds", "fulfillments", "returns", "products",
		"order_history", "inventory_adjustments", "request_replays"}
	count := func() map[string]int {
		out := map[string]int{}
		for _, table := range tables {
			var n int
			if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[table] = n
		}
		return out
	}
	before := count()

	type request struct {
		name, method, path string
		body               any
		headers            []string
	}
	var corpus []request
	for i, v := range hostileValues {
		esc := url.PathEscape(v)
		corpus = append(corpus,
			request{"order id", "GET", "/api/v1/orders/" + esc, nil, nil},
			request{"order id in a refund", "POST", "/api/v1/orders/" + esc + "/refunds", map[string]any{"amount": "1"}, nil},
			request{"amount", "POST", "/api/v1/orders/" + o.ID + "/refunds", map[string]any{"amount": v}, nil},
			request{"amount of a payment", "POST", "/api/v1/orders/" + o.ID + "/payments", map[string]any{"amount": v, "gateway": "manual"}, nil},
			request{"status", "POST", "/api/v1/orders/" + o.ID + "/transitions", map[string]any{"status": v}, nil},
			request{"sku of a new order", "POST", "/api/v1/orders", orderBody("x@example.com", v, 1), nil},
			request{"email of a new order", "POST", "/api/v1/orders", map[string]any{"customer": map[string]any{"email": v},
				"items": []any{map[string]any{"sku": "TEE-M", "quantity": 1}}}, nil},
			request{"country of a new order", "POST", "/api/v1/orders", withShippingCountry(orderBody("x@example.com", "TEE-M", 1), v), nil},
			request{"product sku", "PUT", "/api/v1/products/" + esc + "%20x", map[string]any{"name": "x", "price": "1.00", "currency": "USD"}, nil},
			request{"product currency", "PUT", "/api/v1/products/HOSTILE-" + fmt.Sprint(i), map[string]any{"name": "x", "price": "1.00", "currency": v}, nil},
			request{"line id of a fulfillment", "POST", "/api/v1/orders/" + o.ID + "/fulfillments",
				map[string]any{"items": []any{map[string]any{"order_item_id": v, "quantity": 1}}}, nil},
			request{"list filter", "GET", "/api/v1/orders?status=" + url.QueryEscape(v), nil, nil},
			request{"list cursor", "GET", "/api/v1/orders?cursor=" + url.QueryEscape(v), nil, nil},
			request{"tracking number", "GET", "/api/v1/track/" + esc + "?email=" + url.QueryEscape("corpus@example.com"), nil, []string{"Authorization", ""}},
			request{"customer return's line and reason", "POST", "/api/v1/track/" + o.OrderNumber + "/returns?email=" + url.QueryEscape("corpus@example.com"),
				map[string]any{"items": []any{map[string]any{"item_id": v, "quantity": 1, "reason": v}}, "reason": v}, []string{"Authorization", ""}},
		)
	}
	for _, body := range []string{`{`, `[]`, `null`, `"x"`, `{"amount": 1}`, `{"amount": "1", "extra": 1}`,
		strings.Repeat("[", 100_000), `{"amount": "1"}{"amount": "2"}`, "\xff\xfe{}"} {
		corpus = append(corpus, request{"malformed JSON", "POST", "/api/v1/orders/" + o.ID + "/refunds", body, nil})
	}
	corpus = append(corpus,
		request{"no token", "GET", "/api/v1/orders", nil, []string{"Authorization", ""}},
		request{"bad token", "GET", "/api/v1/orders", nil, []string{"Authorization", "Bearer oms_nope"}},
		request{"2 MB body", "POST", "/api/v1/orders", `{"notes":"` + strings.Repeat("a", 2<<20) + `"}`, nil},
		request{"wrong content type", "POST", "/api/v1/orders/" + o.ID + "/refunds", `amount=1`, []string{"Content-Type", "application/x-www-form-urlencoded"}},
		request{"method", "DELETE", "/api/v1/orders/" + o.ID, nil, nil},
		request{"page form without session", "POST", "/orders/" + o.OrderNumber + "/refund", `amount=1&confirmed=1`,
			[]string{"Authorization", "", "Content-Type", "application/x-www-form-urlencoded"}},
		request{"login with NUL", "POST", "/login", "email=a%00b&password=x",
			[]string{"Authorization", "", "Content-Type", "application/x-www-form-urlencoded"}},
		request{"Idempotency-Key not text", "POST", "/api/v1/orders/" + o.ID + "/refunds", map[string]any{"amount": "1"},
			[]string{"Idempotency-Key", "\xff\xfe"}},
		request{"Idempotency-Key not text on a new order", "POST", "/api/v1/orders", orderBody("x@example.com", "TEE-M", 1),
			[]string{"Idempotency-Key", "key-\xc3\x28"}},
	)
	for _, q := range []string{"total_min=1e-5", "total_max=1e309", "total_min=0.00001", "total_max=1234567890123456",
		"sort=total&cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"s":"total","v":"1e9999","i":"`+o.ID+`"}`))} {
		corpus = append(corpus, request{"amount in a list filter or cursor", "GET", "/api/v1/orders?" + q, nil, nil})
	}
	for _, price := range []string{"1e2", "0.00001", "1234567890123456", "\u22121"} {
		corpus = append(corpus, request{"product price", "PUT", "/api/v1/products/TEE-M", map[string]any{"name": "x", "price": price, "currency": "USD"}, nil})
	}
	for _, path := range []string{"/track", "/login"} {
		ct, body := multipartForm(t, "order_number", o.OrderNumber, "email", "a\x00@b.c", "password", "x")
		corpus = append(corpus, request{"multipart form with NUL", "POST", path, body, []string{"Authorization", "", "Content-Type", ct}})
	}
	if len(corpus) < 150 {
		t.Fatalf("the corpus has %d requests, want at least 150", len(corpus))
	}
	for _, r := range corpus {
		resp := e.do(r.method, r.path, r.body, r.headers...)
		if resp.Status < 400 || resp.Status >= 500 {
			t.Errorf("%s (%s %.60q): %d %.200s", r.name, r.method, r.path, resp.Status, resp.Body)
		}
	}
	after := count()
	for _, table := range tables {
		if after[table] != before[table] {
			t.Errorf("%s: %d rows before the corpus, %d after", table, before[table], after[table])
		}
	}
}

// withShippingCountry sets an order body's shipping country.
func withShippingCountry(body map[string]any, country string) map[string]any {
	addr, _ := body["shipping_address"].(map[string]any)
	if addr == nil {
		addr = map[string]any{}
		body["shipping_address"] = addr
	}
	addr["country"] = country
	return body
}
