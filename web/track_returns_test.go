package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// customerPost sends a customer's request (JSON body, or a form when body is url.Values)
// without a token, and does not follow redirects.
func (e *apiEnv) customerPost(srvURL, path string, body any, headers ...string) apiResponse {
	e.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd = strings.NewReader(b)
	}
	req, err := http.NewRequest("POST", srvURL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// customerReturn posts a return request to the public API for order number n as email.
func (e *apiEnv) customerReturn(n, email, body string) apiResponse {
	e.t.Helper()
	return e.customerPost(e.srv.URL, "/api/v1/track/"+n+"/returns?email="+url.QueryEscape(email), body)
}

// tracked is the public tracking answer for order number n.
func (e *apiEnv) tracked(n, email string) publicTrackingJSON {
	e.t.Helper()
	r := e.public("GET", "/api/v1/track/"+n+"?email="+url.QueryEscape(email), nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("tracking %s: %d %s", n, r.Status, r.Body)
	}
	var v publicTrackingJSON
	r.JSON(e.t, &v)
	return v
}

// shippedOrderOf is an order of one TEE-M (a product made before), paid and shipped, not delivered.
func (e *apiEnv) shippedOrderOf(email string) orderJSON {
	e.t.Helper()
	o := e.paidOrderOf(email, "TEE-M", 1)
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "UPS", "tracking_number": "1Z1"})
	return o
}

// returnsQueue is every return in the staff's queue.
func (e *apiEnv) returnsQueue() []domain.OrderReturn {
	e.t.Helper()
	page, err := e.svc.ListReturns(context.Background(), service.ReturnFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Returns
}

func TestCustomerRequestsAReturnThroughTheAPIAndStaffApprovesIt(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	e.product("MUG", "10.00", 10)
	o := e.deliveredOrderOf("Ann@Example.com", "TEE-M", 2, "MUG", 1)
	tee, mug := o.Items[0], o.Items[1]

	v := e.tracked(o.OrderNumber, "ann@example.com")
	if len(v.Items) != 2 || v.Items[0].ID != tee.ID || v.Items[0].Quantity != 2 || v.Items[0].Returnable != 2 ||
		v.Items[1].ID != mug.ID || v.Items[1].Returnable != 1 || v.ReturnsUntil == nil || len(v.Returns) != 0 {
		t.Fatalf("tracking = %+v", v)
	}

	r := e.customerReturn(o.OrderNumber, "ann@example.com",
		`{"items": [{"item_id": "`+strings.ToUpper(tee.ID)+`", "quantity": 1, "reason": "Does not fit"}], "reason": "too small <script>x</script>"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var ret publicReturnJSON
	r.JSON(t, &ret)
	if ret.Status != "requested" || len(ret.Items) != 1 || ret.Items[0].ItemID != tee.ID || ret.Items[0].Quantity != 1 ||
		ret.Items[0].Reason != "Does not fit" || ret.Reason != "too small <script>x</script>" {
		t.Fatalf("return = %+v", ret)
	}
	if strings.Contains(string(r.Body), o.ID) || strings.Contains(string(r.Body), `"note"`) {
		t.Errorf("the customer's answer shows internal fields: %s", r.Body)
	}

	// In the staff's queue like any return, by the customer.
	q := e.returnsQueue()
	if len(q) != 1 || q[0].ID != ret.ID || q[0].Status != domain.ReturnRequested || q[0].OrderNumber != o.OrderNumber {
		t.Fatalf("queue = %+v", q)
	}
	got := e.fetchOrder(o.ID)
	last := changes(got)[len(changes(got))-1]
	if last.Kind != "return" || last.Status != "requested" || last.By != "ann@example.com" {
		t.Errorf("history = %+v, want the return requested by the customer", last)
	}
	v = e.tracked(o.OrderNumber, "ann@example.com")
	if v.Items[0].Returnable != 1 || len(v.Returns) != 1 || v.Returns[0].Status != "requested" || v.Returns[0].ID != ret.ID {
		t.Errorf("after the request: items %+v returns %+v", v.Items, v.Returns)
	}

	e.must(http.StatusOK, "POST", "/api/v1/returns/"+ret.ID+"/approve", map[string]any{"note": "STAFF-ONLY-NOTE"})
	r = e.public("GET", "/api/v1/track/"+o.OrderNumber+"?email=ann@example.com", nil)
	r.JSON(t, &v)
	if v.Status != "returned" || v.Returns[0].Status != "approved" || v.Items[0].Returnable != 1 || strings.Contains(string(r.Body), "STAFF-ONLY-NOTE") {
		t.Errorf("after approval: %s", r.Body)
	}
	// Partly returned, the order still takes the rest within the window.
	e.must(http.StatusCreated, "POST", "/api/v1/track/"+o.OrderNumber+"/returns?email=ann@example.com",
		`{"items": [{"item_id": "`+mug.ID+`", "quantity": 1}]}`, "Authorization", "")
}

func TestCustomerReturnRefusals(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 2)
	tee := o.Items[0].ID
	one := `{"items": [{"item_id": "` + tee + `", "quantity": 1}]}`

	t.Run("a wrong email and an unknown order give tracking's 404", func(t *testing.T) {
		wrong := e.customerReturn(o.OrderNumber, "eve@example.com", one)
		unknown := e.customerReturn("ORD-000101-999999", "ann@example.com", one)
		tracking := e.public("GET", "/api/v1/track/ORD-000101-999999?email=ann@example.com", nil)
		if wrong.Status != http.StatusNotFound || unknown.Status != http.StatusNotFound {
			t.Fatalf("statuses %d %d", wrong.Status, unknown.Status)
		}
		if !bytes.Equal(wrong.Body, unknown.Body) || !bytes.Equal(wrong.Body, tracking.Body) {
			t.Errorf("bodies differ:\n%s\n%s\n%s", wrong.Body, unknown.Body, tracking.Body)
		}
	})
	t.Run("more than returnable, naming the line", func(t *testing.T) {
		r := e.customerReturn(o.OrderNumber, "ann@example.com", `{"items": [{"item_id": "`+tee+`", "quantity": 3}]}`)
		var b errorBody
		r.JSON(t, &b)
		if r.Status != http.StatusUnprocessableEntity || b.Error.Code != "quantity_exceeds_returnable" ||
			b.Error.Fields["items[0].quantity"] != "at most 2 of TEE-M can be returned" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"items": [{"item_id": "nope", "quantity": 1}]}`:                     "items[0].item_id",
			`{"items": [{"item_id": "` + domain.System.ID + `", "quantity": 1}]}`: "items[0].item_id",
			`{"items": [{"item_id": "` + tee + `", "quantity": 0}]}`:              "items[0].quantity",
			`{"items": []}`: "items",
			`{"items": [{"item_id": "` + tee + `", "quantity": 1}], "reason": "` + strings.Repeat("x", 5001) + `"}`: "reason",
			`{"items": [{"item_id": "` + tee + `", "quantity": 1, "reason": "a\u0007b"}]}`:                          "items[0].reason",
			`{"items": [{"item_id": "00000000-0000-0000-0000-000000000001", "quantity": 1}]}`:                       "items[0].item_id",
		} {
			r := e.customerReturn(o.OrderNumber, "ann@example.com", body)
			var b errorBody
			r.JSON(t, &b)
			if r.Status != http.StatusUnprocessableEntity || b.Error.Fields[field] == "" {
				t.Errorf("%.80s: %d %s, want 422 naming %s", body, r.Status, r.Body, field)
			}
		}
		for _, body := range []string{`{"items": [{"order_item_id": "` + tee + `", "quantity": 1}]}`, `{"items": "x"}`, `[]`, ``} {
			if r := e.customerReturn(o.OrderNumber, "ann@example.com", body); r.Status != http.StatusBadRequest {
				t.Errorf("%s: %d %s, want 400", body, r.Status, r.Body)
			}
		}
	})
	t.Run("after the window", func(t *testing.T) {
		if _, err := e.pool.Exec(context.Background(), "UPDATE orders SET delivered_at = now() - interval '31 days' WHERE id = $1", o.ID); err != nil {
			t.Fatal(err)
		}
		r := e.customerReturn(o.OrderNumber, "ann@example.com", one)
		if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "return_not_allowed" || !strings.Contains(string(r.Body), "were possible until") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		// The window's end is still said; nothing is returnable any more.
		if v := e.tracked(o.OrderNumber, "ann@example.com"); v.ReturnsUntil == nil || v.Items[0].Returnable != 0 {
			t.Errorf("tracking = %+v", v)
		}
	})
	t.Run("not delivered", func(t *testing.T) {
		s := e.shippedOrderOf("ann.lee@example.com")
		r := e.customerReturn(s.OrderNumber, "ann.lee@example.com", `{"items": [{"item_id": "`+s.Items[0].ID+`", "quantity": 1}]}`)
		if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "return_not_allowed" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		if v := e.tracked(s.OrderNumber, "ann.lee@example.com"); v.ReturnsUntil != nil || v.Items[0].Returnable != 0 {
			t.Errorf("tracking = %+v", v)
		}
	})
	if n := e.count("returns"); n != 0 {
		t.Errorf("%d returns after refusals only", n)
	}
}

func TestCustomerReturnDoubleSubmitMakesOneReturn(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 3)
	for _, qty := range []string{"1", "2"} { // some units (same units twice: conflict), then all the rest (none left: 422)
		body := `{"items": [{"item_id": "` + o.Items[0].ID + `", "quantity": ` + qty + `}]}`
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() { statuses[i] = e.customerReturn(o.OrderNumber, "ann@example.com", body).Status })
		}
		wg.Wait()
		created, refused := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusConflict, http.StatusUnprocessableEntity:
				refused++
			}
		}
		if created != 1 || refused != 1 {
			t.Errorf("quantity %s twice at once: %v, want one 201 and one refusal", qty, statuses)
		}
	}
	if n := e.count("returns"); n != 2 {
		t.Errorf("%d returns, want 2", n)
	}
	if v := e.tracked(o.OrderNumber, "ann@example.com"); v.Items[0].Returnable != 0 {
		t.Errorf("returnable %d, want 0", v.Items[0].Returnable)
	}
}

func TestCustomerReturnsShareTrackingsRateLimit(t *testing.T) {
	e := newAPIEnv(t)
	s := New(Config{ShopName: "Test Shop", TrackRate: 0.01, TrackBurst: 2}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(t, s.Handler())
	if r := e.customerPost(srv.URL, "/api/v1/track/ORD-1/returns?email=a@example.com", `{"items": [{"item_id": "x", "quantity": 1}]}`); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("first: %d %s", r.Status, r.Body)
	}
	if resp, err := http.Get(srv.URL + "/api/v1/track/ORD-1?email=a@example.com"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("tracking: %v %v", resp, err)
	}
	r := e.customerPost(srv.URL, "/api/v1/track/ORD-1/returns?email=a@example.com", `{"items": []}`)
	if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %d %s", r.Status, r.Body)
	}
	if r := e.customerPost(srv.URL, "/track/returns", url.Values{"order_number": {"ORD-1"}, "email": {"a@example.com"}}); r.Status != http.StatusTooManyRequests {
		t.Errorf("the page's form over the limit: %d", r.Status)
	}
}

func TestCustomerRequestsAReturnOnTheTrackingPage(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	e.product("MUG", "10.00", 10)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 2, "MUG", 1)
	tee, mug := o.Items[0].ID, o.Items[1].ID
	lookup := url.Values{"order_number": {o.OrderNumber}, "email": {"ann@example.com"}}

	page := string(e.public("POST", "/track", lookup).Body)
	for _, want := range []string{"Request a return", `action="/track/returns#return-title"`, `name="qty_` + tee + `"`, `max="2"`,
		`name="reason_` + mug + `"`, "Does not fit", `name="reason"`, "Possible until"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	form := func(v url.Values) url.Values {
		out := url.Values{"order_number": {o.OrderNumber}, "email": {"ann@example.com"}}
		for k, vs := range v {
			out[k] = vs
		}
		return out
	}
	t.Run("refused beside the line, input kept", func(t *testing.T) {
		r := e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"3"}, "reason_" + tee: {"Damaged or defective"}, "reason": {"left in the rain"}}))
		page := string(r.Body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(page, "At most 2 of TEE-M can be returned.") ||
			!strings.Contains(page, `aria-describedby="err-qty-`+tee+`"`) || !strings.Contains(page, `value="3"`) ||
			!strings.Contains(page, "left in the rain") || !strings.Contains(page, `<option value="Damaged or defective" selected>`) {
			t.Errorf("%d %s", r.Status, page)
		}
		r = e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"0"}}))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Enter how many of at least one item") {
			t.Errorf("nothing chosen: %d", r.Status)
		}
		r = e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"-1"}}))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Enter a whole number from 0 to 2.") {
			t.Errorf("not a quantity: %d", r.Status)
		}
	})
	t.Run("from another site", func(t *testing.T) {
		for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}, {"Origin", "https://evil.example"}, {"Origin", "null"}} {
			if r := e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"1"}}), h...); r.Status != http.StatusForbidden {
				t.Errorf("%v: %d", h, r.Status)
			}
		}
	})
	t.Run("a wrong email", func(t *testing.T) {
		f := form(url.Values{"qty_" + tee: {"1"}})
		f.Set("email", "eve@example.com")
		if r := e.customerPost(e.srv.URL, "/track/returns", f); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "could not find that order") {
			t.Errorf("%d", r.Status)
		}
	})
	if n := e.count("returns"); n != 0 {
		t.Fatalf("%d returns after refusals", n)
	}

	r := e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"1"}, "qty_" + mug: {""}, "reason_" + tee: {"Does not fit"}, "reason": {"Too small"}}),
		"Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/track?") || !strings.Contains(loc, "return=requested") {
		t.Fatalf("%d Location %q %s", r.Status, loc, r.Body)
	}
	page = string(e.public("GET", loc, nil).Body)
	for _, want := range []string{"We have your return request", "Your returns", "Requested: waiting for the shop", "Does not fit", "Too small"} {
		if !strings.Contains(page, want) {
			t.Errorf("confirmation page lacks %q", want)
		}
	}
	q := e.returnsQueue()
	if len(q) != 1 || q[0].Status != domain.ReturnRequested || len(q[0].Items) != 1 || q[0].Items[0].OrderItemID != tee ||
		q[0].Items[0].Quantity != 1 || q[0].Items[0].Reason != "Does not fit" || q[0].Reason != "Too small" {
		t.Fatalf("queue = %+v", q)
	}
	// The same form sent again (a double submit) is refused, and says why.
	r = e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"1"}, "reason_" + tee: {"Does not fit"}}))
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "already requested") || e.count("returns") != 1 {
		t.Errorf("again: %d", r.Status)
	}
	if _, err := e.svc.RejectReturn(context.Background(), domain.System, q[0].ID, "no"); err != nil {
		t.Fatal(err)
	}
	if page := string(e.public("POST", "/track", lookup).Body); !strings.Contains(page, "Declined") || !strings.Contains(page, `max="2"`) {
		t.Errorf("after the rejection the page lacks the status or the form")
	}

	t.Run("after the window", func(t *testing.T) {
		if _, err := e.pool.Exec(context.Background(), "UPDATE orders SET delivered_at = now() - interval '40 days' WHERE id = $1", o.ID); err != nil {
			t.Fatal(err)
		}
		page := string(e.public("POST", "/track", lookup).Body)
		if strings.Contains(page, `action="/track/returns`) || !strings.Contains(page, "Returns were possible until") {
			t.Errorf("page after the window: %s", page)
		}
		r := e.customerPost(e.srv.URL, "/track/returns", form(url.Values{"qty_" + tee: {"1"}}))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "were possible until") {
			t.Errorf("a form sent after the window: %d", r.Status)
		}
	})
	t.Run("not delivered", func(t *testing.T) {
		s := e.shippedOrderOf("ann.lee@example.com")
		page := string(e.public("POST", "/track", url.Values{"order_number": {s.OrderNumber}, "email": {"ann.lee@example.com"}}).Body)
		if strings.Contains(page, `action="/track/returns`) || strings.Contains(page, "Returns were possible") {
			t.Errorf("a shipped order's page offers returns")
		}
	})
}
