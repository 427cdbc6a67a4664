package web

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// public sends a request without a token, as a customer's browser or app would.
func (e *apiEnv) public(method, path string, form url.Values) apiResponse {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// shippedOrder is an order with notes, paid, half shipped with UPS.
func shippedOrder(e *apiEnv) orderJSON {
	e.t.Helper()
	e.product("TEE-M", "20.00", 10)
	body := orderBody("Ann.Lee@Example.com", "TEE-M", 2)
	body["notes"] = "INTERNAL-NOTE-xyz"
	o := e.createOrder(body)
	e.markPaid(o)
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{
		"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 1}}, "carrier": "UPS", "tracking_number": "1Z 999"})
	return o
}

func TestPublicTrackingWithTheRightEmail(t *testing.T) {
	e := newAPIEnv(t)
	o := shippedOrder(e)
	r := e.public("GET", "/api/v1/track/"+o.OrderNumber+"?email="+url.QueryEscape("  ann.lee@EXAMPLE.com"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var v publicTrackingJSON
	r.JSON(t, &v)
	if v.OrderNumber != o.OrderNumber || v.Status != "processing" || v.PlacedAt.IsZero() {
		t.Errorf("tracking = %+v", v)
	}
	if len(v.Items) != 1 || v.Items[0].Name != "Product TEE-M" || v.Items[0].Quantity != 2 || v.Items[0].ID != o.Items[0].ID ||
		v.Items[0].Returnable != 0 || v.ReturnsUntil != nil || len(v.Returns) != 0 {
		t.Errorf("items = %+v", v.Items)
	}
	if len(v.Fulfillments) != 1 || v.Fulfillments[0].Carrier != "UPS" || v.Fulfillments[0].TrackingURL == nil ||
		*v.Fulfillments[0].TrackingURL != "https://www.ups.com/track?tracknum=1Z%20999" || v.Fulfillments[0].ShippedAt == nil {
		t.Errorf("fulfillments = %+v", v.Fulfillments)
	}
	var tl []string
	for _, s := range v.Timeline {
		tl = append(tl, s.Status)
	}
	if strings.Join(tl, ",") != "created,pending,paid,processing" {
		t.Errorf("timeline = %v, want the status changes only", tl)
	}
	// Nothing internal: no notes, staff or token names, addresses, payment data, the
	// order's id (its lines' ids are how a customer names them in a return).
	body := string(r.Body)
	for _, secret := range []string{"INTERNAL-NOTE-xyz", "Main St", "Springfield", "Ann Lee", "+15550100", "ann.lee@",
		`"by"`, `"note"`, "test", "bank transfer", o.ID, `"total"`} {
		if strings.Contains(body, secret) {
			t.Errorf("public tracking exposes %q: %s", secret, body)
		}
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
	}
	t.Run("order number in lower case", func(t *testing.T) {
		if r := e.public("GET", "/api/v1/track/"+strings.ToLower(o.OrderNumber)+"?email=ann.lee@example.com", nil); r.Status != http.StatusOK {
			t.Errorf("%d", r.Status)
		}
	})
}

func TestPublicTrackingWrongEmailAndUnknownOrderAreIndistinguishable(t *testing.T) {
	e := newAPIEnv(t)
	o := shippedOrder(e)
	wrong := e.public("GET", "/api/v1/track/"+o.OrderNumber+"?email=someone@example.com", nil)
	unknown := e.public("GET", "/api/v1/track/ORD-000101-999999?email=ann.lee@example.com", nil)
	noEmail := e.public("GET", "/api/v1/track/"+o.OrderNumber, nil)
	if wrong.Status != http.StatusNotFound || unknown.Status != http.StatusNotFound || noEmail.Status != http.StatusNotFound {
		t.Fatalf("statuses %d %d %d, want 404", wrong.Status, unknown.Status, noEmail.Status)
	}
	if !bytes.Equal(wrong.Body, unknown.Body) || !bytes.Equal(wrong.Body, noEmail.Body) {
		t.Errorf("bodies differ:\n%s\n%s\n%s", wrong.Body, unknown.Body, noEmail.Body)
	}
	if wrong.ErrorCode() != "not_found" {
		t.Errorf("body %s", wrong.Body)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
		if wrong.Header.Get(h) != unknown.Header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, wrong.Header.Get(h), unknown.Header.Get(h))
		}
	}

	t.Run("the page", func(t *testing.T) {
		wrong := e.public("POST", "/track", url.Values{"order_number": {o.OrderNumber}, "email": {"x@example.com"}})
		unknown := e.public("POST", "/track", url.Values{"order_number": {"ORD-000101-999999"}, "email": {"x@example.com"}})
		if wrong.Status != http.StatusNotFound || unknown.Status != http.StatusNotFound {
			t.Fatalf("statuses %d %d", wrong.Status, unknown.Status)
		}
		if !strings.Contains(string(wrong.Body), "could not find that order") {
			t.Errorf("no friendly message: %s", wrong.Body)
		}
		// The same page but for the order number typed back into the form.
		if a, b := strings.ReplaceAll(string(wrong.Body), o.OrderNumber, "N"), strings.ReplaceAll(string(unknown.Body), "ORD-000101-999999", "N"); a != b {
			t.Errorf("pages differ beyond the echoed input")
		}
	})
}

func TestTrackPage(t *testing.T) {
	e := newAPIEnv(t)
	o := shippedOrder(e)

	t.Run("the form", func(t *testing.T) {
		r := e.public("GET", "/track", nil)
		page := string(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(page, `name="order_number"`) || !strings.Contains(page, `name="email"`) ||
			!strings.Contains(page, "Test Shop") {
			t.Errorf("%d %s", r.Status, page)
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") {
			t.Errorf("CSP = %q", csp)
		}
		if strings.Contains(page, "<script") || strings.Contains(page, "style=") || strings.Contains(page, "<style") {
			t.Errorf("inline script or style on the page")
		}
	})
	for _, method := range []string{"GET", "POST"} {
		t.Run("an order by "+method, func(t *testing.T) {
			form := url.Values{"order_number": {" " + o.OrderNumber + " "}, "email": {"ANN.LEE@example.com"}}
			var r apiResponse
			if method == "GET" {
				r = e.public("GET", "/track?"+form.Encode(), nil)
			} else {
				r = e.public("POST", "/track", form)
			}
			page := string(r.Body)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, page)
			}
			for _, want := range []string{o.OrderNumber, "Product TEE-M", "UPS", "1Z 999",
				`href="https://www.ups.com/track?tracknum=1Z%20999"`, "Placed", "Delivered", "Processing"} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			for _, secret := range []string{"INTERNAL-NOTE-xyz", "Main St", "Ann Lee"} {
				if strings.Contains(page, secret) {
					t.Errorf("page exposes %q", secret)
				}
			}
			if r.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", r.Header.Get("Referrer-Policy"))
			}
		})
	}
	t.Run("half a form", func(t *testing.T) {
		r := e.public("POST", "/track", url.Values{"order_number": {o.OrderNumber}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Enter both") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
}

func TestPublicTrackingIsRateLimitedPerAddress(t *testing.T) {
	e := newAPIEnv(t)
	// A separate server with a small budget, so that the test is quick and exact.
	s := New(Config{ShopName: "Test Shop", TrackRate: 0.01, TrackBurst: 3}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(t, s.Handler())
	get := func(path string) *http.Response {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 3 {
		if resp := get("/api/v1/track/ORD-1?email=a@example.com"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp, err := http.Get(srv.URL + "/api/v1/track/ORD-1?email=a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), `"rate_limited"`) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %d %s Retry-After %q", resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	// The page shares the budget and says so in words.
	if resp := get("/track"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("page over the limit: %d", resp.StatusCode)
	}
	// A client that is not a trusted proxy cannot step out of its budget by naming
	// another address (GO-2026-6872): X-Forwarded-For and X-Real-IP are ignored.
	for _, h := range []string{"X-Forwarded-For", "X-Real-IP"} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/track/ORD-1?email=a@example.com", nil)
		req.Header.Set(h, "203.0.113.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a spoofed %s from an untrusted peer: %d, want 429", h, resp.StatusCode)
		}
	}
	// Behind a trusted proxy (OMS_TRUSTED_PROXIES), each client it names has its own
	// budget; what a client put before the proxy's own entry is not believed.
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	proxied := New(Config{ShopName: "Test Shop", TrackRate: 0.01, TrackBurst: 1, TrustedProxies: []*net.IPNet{loopback}},
		e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	psrv := newTestServer(t, proxied.Handler())
	via := func(xff string) int {
		req, _ := http.NewRequest("GET", psrv.URL+"/api/v1/track/ORD-1?email=a@example.com", nil)
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if a, b := via("203.0.113.9"), via("203.0.113.10"); a != http.StatusNotFound || b != http.StatusNotFound {
		t.Errorf("two clients behind the proxy: %d %d, want a budget each", a, b)
	}
	if got := via("198.51.100.1, 203.0.113.9"); got != http.StatusTooManyRequests {
		t.Errorf("a client naming another address before its own: %d, want its own (spent) budget", got)
	}
	// Staff API calls are not limited by it.
	if r := e.do("GET", "/api/v1/orders", nil); r.Status != http.StatusOK {
		t.Errorf("staff API: %d", r.Status)
	}
}
