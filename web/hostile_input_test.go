package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// rawPost sends body as is, with a content type, and no session or token.
func rawPost(t *testing.T, base, path, contentType string, body []byte) *http.Response {
	t.Helper()
	resp, err := http.Post(base+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Text PostgreSQL cannot store (NUL, invalid UTF-8) and oversized bodies are refused with
// a 4xx wherever they come in, before any authentication, and change nothing.
func TestHostileBytesAreRefusedCleanly(t *testing.T) {
	e := newPageEnv(t)
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name, path, body string
		want             int
	}{
		{"LoginEmailWithNUL", "/login", "email=a%00b%40example.com&password=x", http.StatusBadRequest},
		{"LoginEmailInvalidUTF8", "/login", "email=%ff%fe%40example.com&password=x", http.StatusBadRequest},
		{"LoginMalformedEncoding", "/login", "email=%zz&password=x", http.StatusBadRequest},
		{"TrackingWithNUL", "/track", "order_number=ORD-1%00&email=a%40example.com", http.StatusBadRequest},
		{"TrackingFieldNameInvalidUTF8", "/track", "%c3%28=1", http.StatusBadRequest},
		{"LoginBodyOf2MB", "/login", "email=" + strings.Repeat("a", 2<<20), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if resp := rawPost(t, e.srv.URL, tc.path, form, []byte(tc.body)); resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	// Every encoding a form may come in is read by the handlers, so each is checked:
	// multipart (curl -F) and a media type in other letter cases.
	multi := []struct{ name, path string }{
		{"MultipartTrackingEmailWithNUL", "/track"},
		{"MultipartLoginEmailWithNUL", "/login"},
	}
	for _, tc := range multi {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := multipartForm(t, "order_number", "ORD-1", "email", "a\x00@b.c", "password", "x")
			resp := rawPost(t, e.srv.URL, tc.path, ct, body)
			if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("status %d (%s), want an HTML 400", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		})
	}
	for _, tc := range []struct{ name, contentType, body string }{
		{"MultipartFieldNameInvalidUTF8", "", ""},
		{"FormMediaTypeInCapitals", "Application/X-WWW-Form-Urlencoded", "email=a%00b%40example.com&password=x"},
		{"FormMediaTypeWithCharset", "application/x-www-form-urlencoded; charset=utf-8", "email=%ff%40example.com&password=x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := tc.contentType, []byte(tc.body)
			if ct == "" {
				ct, body = multipartForm(t, "email\xff", "a@b.c", "password", "x")
			}
			if resp := rawPost(t, e.srv.URL, "/login", ct, body); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
	t.Run("MultipartBodyOf2MB", func(t *testing.T) {
		ct, body := multipartForm(t, "email", strings.Repeat("a", 2<<20))
		if resp := rawPost(t, e.srv.URL, "/login", ct, body); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("MultipartWithoutBoundary", func(t *testing.T) {
		if resp := rawPost(t, e.srv.URL, "/login", "multipart/form-data", []byte("email=a")); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	var sessions int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM sessions").Scan(&sessions); err != nil || sessions != 0 {
		t.Errorf("%d sessions (%v) after refused logins", sessions, err)
	}
	// A page form of a logged-in user: refused the same way, in either encoding.
	b := e.loggedIn("support")
	o := e.newOrder("paid")
	o, _ = e.svc.GetOrder(context.Background(), o.Number)
	p := b.post("/orders/"+o.Number+"/comments", url.Values{"comment": {"hi\x00there"}})
	expectStatus(t, p, http.StatusBadRequest)
	b.get("/orders/" + o.Number)
	ct, body := multipartForm(t, "_csrf", b.csrf, "comment", "hi\x00there")
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/orders/"+o.Number+"/comments", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	expectStatus(t, b.do(req), http.StatusBadRequest)
	if got, err := e.svc.GetOrder(context.Background(), o.Number); err != nil || len(got.History) != len(o.History) {
		t.Errorf("history %d entries (%v), want %d: a refused comment was written", len(got.History), err, len(o.History))
	}
}

// multipartForm encodes fields (name, value, name, value ...) as curl -F does.
func multipartForm(t *testing.T, fields ...string) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// JSON may carry a NUL character (\u0000), which PostgreSQL cannot store: a validation
// error names the field, nothing is written.
func TestAPIRefusesNULInText(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 5)
	o := e.createOrder(orderBody("nul@example.com", "TEE-M", 1))
	r := e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/orders/"+o.ID+"/payments",
		`{"amount": "1.00", "gateway": "manual", "reference": "bank\u0000"}`)
	if !strings.Contains(string(r.Body), `"reference"`) {
		t.Errorf("the error does not name the field: %s", r.Body)
	}
	body := orderBody("nul@example.com", "TEE-M", 1)
	body["notes"] = "leave\x00here"
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/orders", body)
	if got := e.fetchOrder(o.ID); len(got.Payments) != 0 {
		t.Errorf("a payment was written: %+v", got.Payments)
	}
}

// One line named twice in a fulfillment, spelt two ways (upper and lower case), is the
// client's mistake, not the server's.
func TestFulfillmentNamingALineTwiceIsRefused(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 5)
	o := e.paidOrderOf("twice@example.com", "TEE-M", 2)
	id := o.Items[0].ID
	r := e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/orders/"+o.ID+"/fulfillments",
		map[string]any{"items": []map[string]any{{"order_item_id": id, "quantity": 1}, {"order_item_id": strings.ToUpper(id), "quantity": 1}}})
	if !strings.Contains(string(r.Body), "appears more than once") {
		t.Errorf("body %s", r.Body)
	}
	if got := e.fetchOrder(o.ID); len(got.Fulfillments) != 0 {
		t.Errorf("a fulfillment was written")
	}
}

// /metrics is for this machine only (or its own address), and a made-up method does not
// become a label of its own.
func TestMetricsAreLocalAndBounded(t *testing.T) {
	e := newAPIEnv(t)
	for i := range 20 {
		req, _ := http.NewRequest("M"+strings.Repeat("X", i), e.srv.URL+"/api/v1/orders", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	r := e.do("GET", "/metrics", nil, "Authorization", "")
	if r.Status != http.StatusOK || strings.Contains(string(r.Body), `method="MX`) || !strings.Contains(string(r.Body), `method="OTHER"`) {
		t.Errorf("/metrics: %d; made-up methods must be counted as OTHER", r.Status)
	}
	if r := e.do("GET", "/metrics", nil, "Authorization", "", "X-Forwarded-For", "203.0.113.9"); r.Status != http.StatusNotFound {
		t.Errorf("/metrics through a local proxy: %d, want 404", r.Status)
	}
	s := New(Config{}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "203.0.113.9:4000"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Errorf("/metrics from another machine: %d, want 404", rec.Code)
	}
	own := New(Config{MetricsElsewhere: true}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	req = httptest.NewRequest("GET", "/metrics", nil)
	rec = httptest.NewRecorder()
	own.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Errorf("/metrics with OMS_METRICS_ADDR set: %d on the main address, want 404", rec.Code)
	}
}

// The tracking limit counts an IPv6 client by its /64 (a customer line has a whole /64
// to walk through); IPv4 by address.
func TestRateLimitKeysIPv6ByItsSlash64(t *testing.T) {
	for addr, want := range map[string]string{
		"203.0.113.9":                 "203.0.113.9",
		"2001:db8:1:2:aaaa::1":        "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::abc": "2001:db8:1:2::/64",
		"::ffff:198.51.100.7":         "::ffff:198.51.100.7",
		"not an address":              "not an address",
	} {
		if got := clientKey(addr); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}

// A product search is plain text: % and _ match only themselves.
func TestProductSearchMatchesLikeCharactersLiterally(t *testing.T) {
	e := newAPIEnv(t)
	for sku, name := range map[string]string{"A_B": "Mug", "AXB": "Mug", "TEE-1": "Tee 50% off", "TEE-2": "Tee 50 off"} {
		if _, err := e.svc.CreateProduct(context.Background(), domain.Product{SKU: sku, Name: name, Price: decimal.NewFromInt(1),
			Currency: "USD", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]string{"A_B": "A_B", "50%": "TEE-1"} {
		page, err := e.svc.ListProducts(context.Background(), q, "", 50)
		if err != nil || len(page.Products) != 1 || page.Products[0].Product.SKU != want || page.Total != 1 {
			t.Errorf("search %q: %d products (total %d), %v; want only %s", q, len(page.Products), page.Total, err, want)
		}
	}
}
