package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

var staffActor = domain.Actor{Type: domain.ActorStaff, Name: "Test setup"}

// stock makes sure sku exists with plenty on hand.
func (e *pageEnv) stock(sku, price string) {
	e.t.Helper()
	ctx := context.Background()
	if _, _, err := e.svc.PutProduct(ctx, domain.Product{SKU: sku, Name: "Product " + sku, Price: decimal.RequireFromString(price),
		Currency: "USD", Active: true}); err != nil {
		e.t.Fatalf("product %s: %v", sku, err)
	}
	if _, err := e.svc.SetOnHand(ctx, staffActor, sku, 1000); err != nil {
		e.t.Fatalf("stock %s: %v", sku, err)
	}
}

// newOrder places an order of 2 × MUG-1 ($10) and 1 × TEE-1 ($25), then takes it to state:
// created, paid, partial (one unit shipped), shipped, delivered or returned (a return
// requested for one mug).
func (e *pageEnv) newOrder(state string) domain.Order {
	e.t.Helper()
	ctx := context.Background()
	e.stock("MUG-1", "10.00")
	e.stock("TEE-1", "25.00")
	o, _, err := e.svc.CreateOrder(ctx, staffActor, domain.NewOrder{
		Customer:        domain.Customer{Email: "ada@example.com", Name: "Ada Lovelace", Phone: "+44 20 7946 0000"},
		ShippingAddress: domain.Address{FirstName: "Ada", LastName: "Lovelace", Address1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		Items:           []domain.ItemRequest{{SKU: "MUG-1", Quantity: 2}, {SKU: "TEE-1", Quantity: 1}},
		Notes:           "Gift wrap, please",
	}, nil)
	if err != nil {
		e.t.Fatalf("create order: %v", err)
	}
	step := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatalf("order %s to %s: %v", o.Number, state, err)
		}
	}
	if state == "created" {
		return o
	}
	_, _, err = e.svc.RecordPayment(ctx, staffActor, o.Number, service.NewPayment{Amount: o.Total, Reference: "BANK-42"})
	step(err)
	mug := o.Items[0].ID
	switch state {
	case "paid":
	case "partial":
		_, _, err = e.svc.Fulfill(ctx, staffActor, o.Number, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z111",
			Items: []domain.LineQuantity{{OrderItemID: mug, Quantity: 1}}})
		step(err)
	default:
		f, _, err := e.svc.Fulfill(ctx, staffActor, o.Number, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784"})
		step(err)
		if state == "shipped" {
			break
		}
		_, err = e.svc.AddTrackingEvent(ctx, domain.System, f.ID, domain.TrackingEventRequest{Status: domain.ShipmentDelivered})
		step(err)
		if state == "returned" {
			_, err = e.svc.RequestReturn(ctx, staffActor, o.Number, service.NewReturn{Reason: "too small",
				Items: []domain.LineQuantity{{OrderItemID: mug, Quantity: 1}}})
			step(err)
		}
	}
	o, err = e.svc.GetOrder(ctx, o.Number)
	step(err)
	return o
}

func TestOrderDetailShowsEverySection(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	for _, tc := range []struct {
		state   string
		want    []string
		actions []string // header buttons, in order
	}{
		{"created", []string{"Outstanding", "$45.00"}, []string{"Mark as pending", "Record payment", "Cancel order"}},
		{"paid", []string{"BANK-42", "Payment"}, []string{"Fulfill items", "Mark as processing", "Refund", "Print packing slip", "Cancel order"}},
		{"partial", []string{"1 fulfilled", "1 to ship", "1Z111"}, []string{"Fulfill items", "Refund", "Print packing slip", "Cancel order"}},
		{"shipped", []string{"https://www.ups.com/track?tracknum=1Z999AA10123456784", "Shipment"}, []string{"Mark as delivered", "Refund", "Print packing slip"}},
		{"delivered", []string{"Marked as delivered"}, []string{"Create return", "Refund"}},
		{"returned", []string{"Return requested", "too small", "/approve", "/reject"}, []string{"Create return", "Refund"}},
	} {
		t.Run(tc.state, func(t *testing.T) {
			o := e.newOrder(tc.state)
			p := admin.get("/orders/" + o.Number)
			expectStatus(t, p, http.StatusOK)
			expectBody(t, p, o.Number, "Ada Lovelace", "ada@example.com", "+44 20 7946 0000", "MUG-1", "TEE-1",
				"Product MUG-1", "Subtotal", "Shipping", "Tax", "Total", "Paid", "Outstanding", "Shipping address",
				"12 St James&#39;s Square", "Same as shipping address", "Gift wrap, please", "Timeline", "Order placed",
				"data-copy=", `sse-connect="/orders/`+o.Number+`/events"`, `hx-trigger="sse:changed"`, "badge-order status-"+string(o.Status))
			expectBody(t, p, tc.want...)
			last := -1
			for _, a := range tc.actions {
				i := strings.Index(p.Body, ">"+a+"<")
				if i < 0 {
					t.Errorf("no %q button", a)
				} else if i < last {
					t.Errorf("%q is out of order", a)
				}
				last = max(last, i)
			}
		})
	}
}

func TestOrderDetailActionsFollowTheRole(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	wh := e.loggedIn(domain.RoleWarehouse).get("/orders/" + o.Number)
	expectStatus(t, wh, http.StatusOK)
	expectBody(t, wh, "Fulfill items", "Print packing slip")
	for _, hidden := range []string{">Refund<", ">Cancel order<", "Mark as processing", "Add a comment"} {
		if strings.Contains(wh.Body, hidden) {
			t.Errorf("warehouse sees %q", hidden)
		}
	}
	sup := e.loggedIn(domain.RoleSupport).get("/orders/" + o.Number)
	expectBody(t, sup, ">Refund<", ">Cancel order<", "Mark as processing", "Add a comment")
	if strings.Contains(sup.Body, "Fulfill items") {
		t.Error("support sees Fulfill items")
	}
	expectStatus(t, e.loggedIn(domain.RoleAdmin).get("/orders/ORD-NOPE"), http.StatusNotFound)
}

func TestCommentsAppearInTheTimeline(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	b := e.loggedIn(domain.RoleSupport)
	b.get("/orders/" + o.Number)

	t.Run("EmptyIsRefusedBesideTheBox", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/comments", url.Values{"comment": {"   "}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "is empty", `id="err-comment"`)
	})
	t.Run("TooLongKeepsTheText", func(t *testing.T) {
		long := strings.Repeat("x", service.MaxComment+1)
		p := b.post("/orders/"+o.Number+"/comments", url.Values{"comment": {long}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "at most 2000 characters", long)
	})
	p := b.post("/orders/"+o.Number+"/comments", url.Values{"comment": {"Customer called: <b>leave at door</b>"}})
	expectStatus(t, p, http.StatusSeeOther)
	p = b.get("/orders/" + o.Number)
	expectBody(t, p, "Comment added", "Test support commented", "Customer called: &lt;b&gt;leave at door&lt;/b&gt;")
	// Newest first: the comment is above the payment.
	if strings.Index(p.Body, "leave at door") > strings.Index(p.Body, "Order placed") {
		t.Error("timeline is not newest first")
	}
	expectStatus(t, e.loggedIn(domain.RoleWarehouse).post("/orders/"+o.Number+"/comments", url.Values{"comment": {"hi"}}), http.StatusForbidden)
}

func TestStatusChangeFromTheHeader(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("shipped")
	b := e.loggedIn(domain.RoleSupport)
	b.get("/orders/" + o.Number)

	t.Run("InvalidTransitionIsExplained", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/status", url.Values{"to": {"processing"}, "note": {"oops"}})
		expectStatus(t, p, http.StatusConflict)
		expectBody(t, p, "Cannot go from shipped to processing")
	})
	t.Run("LongNoteIsKept", func(t *testing.T) {
		note := strings.Repeat("n", domain.MaxNote+1)
		p := b.post("/orders/"+o.Number+"/status", url.Values{"to": {"delivered"}, "note": {note}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "at most 5000 characters", note, "<details class=\"popover\" open")
	})
	p := b.post("/orders/"+o.Number+"/status", url.Values{"to": {"delivered"}, "note": {"signed by J."}})
	expectStatus(t, p, http.StatusSeeOther)
	p = b.get("/orders/" + o.Number)
	expectBody(t, p, "Order "+o.Number+" marked as delivered.", "signed by J.", "badge-order status-delivered")
	expectStatus(t, e.loggedIn(domain.RoleWarehouse).post("/orders/"+o.Number+"/status", url.Values{"to": {"returned"}}), http.StatusForbidden)
}

func TestRecordPaymentForm(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("created")
	b := e.loggedIn(domain.RoleSupport)
	p := b.get("/orders/" + o.Number + "/payment")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, `value="45.00"`, "Outstanding: $45.00")

	t.Run("NotANumber", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/payment", url.Values{"amount": {"forty"}, "reference": {"REF-1"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "must be a number", `value="forty"`, `value="REF-1"`)
	})
	t.Run("MoreThanOutstanding", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/payment", url.Values{"amount": {"50"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "must be at most 45.00", `value="50"`)
	})
	p = b.post("/orders/"+o.Number+"/payment", url.Values{"amount": {"45.00"}, "reference": {"REF-1"}})
	expectStatus(t, p, http.StatusSeeOther)
	p = b.get("/orders/" + o.Number)
	expectBody(t, p, "Payment of $45.00 recorded", "REF-1", "badge-order status-paid", "Marked as pending")
	if n := strings.Count(p.Body, "paid in full"); n != 1 {
		t.Errorf(`the timeline says "paid in full" %d times, want once (on the step to paid)`, n)
	}
	expectStatus(t, e.loggedIn(domain.RoleWarehouse).get("/orders/"+o.Number+"/payment"), http.StatusForbidden)
}

func TestRefundAsksOnceThenRefunds(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	b := e.loggedIn(domain.RoleSupport)
	p := b.get("/orders/" + o.Number + "/refund")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "At most $45.00")

	t.Run("ExceedsPaid", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/refund", url.Values{"amount": {"99"}, "reason": {"damaged"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "must be at most $45.00", `value="99"`, "damaged")
	})
	p = b.post("/orders/"+o.Number+"/refund", url.Values{"amount": {"40"}, "reason": {"damaged"}})
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Refund $40.00 to the manual payment BANK-42?", `name="confirmed" value="1"`)
	if got, _ := e.svc.GetOrder(context.Background(), o.Number); !got.Refunded.IsZero() {
		t.Fatal("refunded before confirmation")
	}
	p = b.post("/orders/"+o.Number+"/refund", url.Values{"amount": {"40"}, "reason": {"damaged"}, "confirmed": {"1"}})
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, b.get("/orders/"+o.Number), "Refunded $40.00 of "+o.Number, "damaged", "-$40.00")

	t.Run("ServiceRefusalAfterConfirmation", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/refund", url.Values{"amount": {"1.001"}, "confirmed": {"1"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "at most 2 decimals")
	})
	for _, r := range []domain.Role{domain.RoleWarehouse} {
		w := e.loggedIn(r)
		expectStatus(t, w.get("/orders/"+o.Number+"/refund"), http.StatusForbidden)
		expectStatus(t, w.post("/orders/"+o.Number+"/refund", url.Values{"amount": {"1"}, "confirmed": {"1"}}), http.StatusForbidden)
	}
}

func TestCancelSaysWhatHappensThenCancels(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	b := e.loggedIn(domain.RoleSupport)
	p := b.get("/orders/" + o.Number + "/cancel")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Stock of 3 items goes back to available.", "Refund $45.00 paid")

	t.Run("LongReasonIsKept", func(t *testing.T) {
		reason := strings.Repeat("r", domain.MaxNote+1)
		p := b.post("/orders/"+o.Number+"/cancel", url.Values{"reason": {reason}, "refund": {"on"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "at most 5000 characters", reason)
	})
	p = b.post("/orders/"+o.Number+"/cancel", url.Values{"reason": {"customer asked"}, "refund": {"on"}})
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Cancel order "+o.Number+"? Stock of 3 items goes back to available. $45.00 is refunded to the manual payment BANK-42.")
	p = b.post("/orders/"+o.Number+"/cancel", url.Values{"reason": {"customer asked"}, "refund": {"on"}, "confirmed": {"1"}})
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, b.get("/orders/"+o.Number), "cancelled and $45.00 refunded", "badge-order status-cancelled", "customer asked")

	t.Run("AgainIsAConflictShownOnTheForm", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/cancel", url.Values{"confirmed": {"1"}})
		expectStatus(t, p, http.StatusConflict)
		expectBody(t, p, "Cannot go from cancelled to cancelled", "form-error-summary")
	})
	w := e.loggedIn(domain.RoleWarehouse)
	expectStatus(t, w.post("/orders/"+o.Number+"/cancel", url.Values{"confirmed": {"1"}}), http.StatusForbidden)
}

func TestOrderFormsRefuseForgedRequests(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	b := e.loggedIn(domain.RoleAdmin)
	b.get("/orders/" + o.Number)
	for _, path := range []string{"/comments", "/status", "/refund", "/cancel", "/payment", "/return", "/fulfill"} {
		p := b.post("/orders/"+o.Number+path, url.Values{"_csrf": {"forged"}, "comment": {"x"}, "to": {"processing"}, "amount": {"1"}, "confirmed": {"1"}})
		if p.Status != http.StatusForbidden {
			t.Errorf("%s with a forged token: %d, want 403", path, p.Status)
		}
	}
	if got, _ := e.svc.GetOrder(context.Background(), o.Number); got.Status != domain.StatusPaid || len(got.History) != len(o.History) {
		t.Errorf("a forged request changed the order: %s, %d history rows", got.Status, len(got.History))
	}
}

// liveServer is one `oms serve` process's web server over a shared database.
func (e *pageEnv) liveServer() (*Server, *httptest.Server) {
	e.t.Helper()
	return e.liveServerWith(Config{ShopName: "Test Shop"})
}

func (e *pageEnv) liveServerWith(cfg Config) (*Server, *httptest.Server) {
	e.t.Helper()
	s := New(cfg, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewUnstartedServer(checkedByOpenAPI(e.t, s.Handler()))
	srv.Config.RegisterOnShutdown(s.Close)
	srv.Start()
	e.t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv
}

// sseEvent is one server-sent event.
type sseEvent struct{ name, data string }

// openEvents connects b to an order's event stream on base and returns its events; it
// returns once the stream said "ready" (the listener is in place).
func openEvents(t *testing.T, b *browser, base, number string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/orders/"+number+"/events", nil)
	// The session cookie is the browser's, whatever server it talks to (sessions are in the database).
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				events <- ev
				ev = sseEvent{}
			}
		}
	}()
	select {
	case ev := <-events:
		if ev.name != "ready" || ev.data != number {
			t.Fatalf("first event %+v, want ready", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no ready event")
	}
	return events
}

func expectChanged(t *testing.T, events <-chan sseEvent, number string, within time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok || ev.name != "changed" || ev.data != number {
			t.Fatalf("got %+v (open %v), want changed %s", ev, ok, number)
		}
	case <-time.After(within):
		t.Fatalf("no changed event within %s", within)
	}
}

func TestLiveUpdatesReachOpenPagesOfEveryProcess(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	other := e.newOrder("paid")
	_, srvA := e.liveServer()
	_, srvB := e.liveServer()
	b := e.loggedIn(domain.RoleSupport)

	onA := openEvents(t, b, srvA.URL, o.Number)
	onB := openEvents(t, b, srvB.URL, o.Number)
	otherOnA := openEvents(t, b, srvA.URL, other.Number)

	// A change through the service (as a request on any process would make it) reaches
	// the watchers on both servers within a second; watchers of another order hear nothing.
	if _, err := e.svc.AddComment(context.Background(), staffActor, o.Number, "checking stock"); err != nil {
		t.Fatal(err)
	}
	expectChanged(t, onA, o.Number, time.Second)
	expectChanged(t, onB, o.Number, time.Second)
	select {
	case ev := <-otherOnA:
		t.Fatalf("watcher of %s got %+v", other.Number, ev)
	case <-time.After(200 * time.Millisecond):
	}

	// A change made through process A's pages reaches a page open on process B.
	resp, err := b.client.Get(srvA.URL + "/orders/" + o.Number)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := e.svc.Transition(context.Background(), staffActor, o.Number, domain.StatusProcessing, "picking"); err != nil {
		t.Fatal(err)
	}
	expectChanged(t, onB, o.Number, time.Second)
	expectChanged(t, onA, o.Number, time.Second)
}

func TestLiveStreamEndsOnShutdownAndNeedsALogin(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	s, srv := e.liveServer()
	b := e.loggedIn(domain.RoleWarehouse)
	events := openEvents(t, b, srv.URL, o.Number)
	s.Close()
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("an event after Close")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the stream did not end on Close")
	}
	anon := e.browser().get("/orders/" + o.Number + "/events")
	expectStatus(t, anon, http.StatusSeeOther)
}

// An open stream checks its session at every heartbeat: a logout elsewhere, or the
// user's sessions ended, closes it. One user may hold only so many streams.
func TestLiveStreamEndsWithItsSession(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	_, srv := e.liveServerWith(Config{ShopName: "Test Shop", LiveHeartbeat: 50 * time.Millisecond})
	ended := func(events <-chan sseEvent) bool {
		deadline := time.After(3 * time.Second)
		for {
			select {
			case _, ok := <-events:
				if !ok {
					return true
				}
			case <-deadline:
				return false
			}
		}
	}
	b := e.loggedIn(domain.RoleSupport)
	events := openEvents(t, b, srv.URL, o.Number)
	expectStatus(t, b.post("/logout", nil), http.StatusSeeOther)
	if !ended(events) {
		t.Error("the stream outlived its session's logout")
	}
	b = e.loggedIn(domain.RoleWarehouse)
	events = openEvents(t, b, srv.URL, o.Number)
	if err := e.svc.EndSessions(context.Background(), e.users[domain.RoleWarehouse].ID); err != nil {
		t.Fatal(err)
	}
	if !ended(events) {
		t.Error("the stream outlived the user's sessions")
	}

	b = e.loggedIn(domain.RoleAdmin)
	for range liveStreamsPerUser {
		openEvents(t, b, srv.URL, o.Number)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/orders/"+o.Number+"/events", nil)
	u, _ := url.Parse(e.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("stream %d of one user: %d, want 429", liveStreamsPerUser+1, resp.StatusCode)
	}
}
