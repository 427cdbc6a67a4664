package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/mail/mailtest"
	"github.com/oms/oms/internal/service"
)

// The customers' budget (tracking lookups and return requests, API and page alike) is
// kept in PostgreSQL: two processes on one database share one client's budget, so that
// more processes behind a load balancer give a guesser of order numbers no more tries.
// Over it, either answers 429 with Retry-After (the seconds until the next is allowed).
func TestCustomersRateLimitIsSharedByEveryProcess(t *testing.T) {
	e := newAPIEnv(t)
	var procs [2]*httptest.Server
	for i := range procs {
		s := New(Config{ShopName: "Test Shop", TrackRate: 0.01, TrackBurst: 4}, service.New(e.pool, service.Config{}),
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		procs[i] = newTestServer(t, s.Handler())
	}
	const returns = "/api/v1/track/ORD-1/returns?email=a@example.com"
	for i := range 4 {
		p := procs[i%2]
		if i < 2 {
			if r := e.customerPost(p.URL, returns, `{"items": [{"item_id": "x", "quantity": 1}]}`); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("return request %d: %d %s", i, r.Status, r.Body)
			}
		} else if resp, err := http.Get(p.URL + "/api/v1/track/ORD-1?email=a@example.com"); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("lookup %d: %v %v", i, resp, err)
		}
	}
	for i, p := range procs {
		r := e.customerPost(p.URL, returns, `{"items": [{"item_id": "x", "quantity": 1}]}`)
		wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" || wait < 90 || wait > 100 {
			t.Errorf("process %d over the shared budget: %d, Retry-After %q, %s; want 429 and about 100 s", i, r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		page := e.customerPost(p.URL, "/track/returns", url.Values{"order_number": {"ORD-1"}, "email": {"a@example.com"}})
		if page.Status != http.StatusTooManyRequests || page.Header.Get("Retry-After") == "" {
			t.Errorf("process %d's tracking page over the shared budget: %d", i, page.Status)
		}
	}
}

// A customer hears of every return requested in their name, with the order's number and
// the items in the return, so that one they did not make does not go unnoticed.
func TestCustomerIsEmailedWhenAReturnIsRequested(t *testing.T) {
	e := newNotifyEnv(t, nil)
	e.startJobs()
	e.product("TEE-M", "20.00", 10)
	e.product("MUG", "10.00", 10)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 2, "MUG", 1)
	tee := o.Items[0]
	r := e.customerReturn(o.OrderNumber, "ann@example.com", `{"items": [{"item_id": "`+tee.ID+`", "quantity": 2, "reason": "too small"}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("return: %d %s", r.Status, r.Body)
	}
	var got *mailtest.Received
	for _, m := range e.smtp.WaitFor(t, 4, 20*time.Second) { // confirmed, shipped, delivered, and this one
		if m.Subject == "A return was requested for order "+o.OrderNumber {
			got = &m
		}
	}
	if got == nil {
		t.Fatalf("no return requested email among %d", len(e.smtp.Messages()))
	}
	if len(got.To) != 1 || got.To[0] != "ann@example.com" {
		t.Errorf("sent to %v", got.To)
	}
	if want := "Items in this return:\n2 x Product TEE-M (TEE-M)\n"; !strings.Contains(got.Text, want) || !strings.Contains(got.Text, o.OrderNumber) {
		t.Errorf("the text lacks the order number or %q:\n%s", want, got.Text)
	}
	if !strings.Contains(got.HTML, "Items in this return") || !strings.Contains(got.HTML, "Product TEE-M") {
		t.Errorf("the HTML lacks the returned items:\n%s", got.HTML)
	}
	if !strings.Contains(got.Text, "If you did not ask for this return") {
		t.Errorf("the text does not say what to do about a return the customer did not make:\n%s", got.Text)
	}

	// Staff opening one through the API may leave the customer unemailed, as with the
	// other changes.
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/returns",
		map[string]any{"items": []map[string]any{{"order_item_id": o.Items[1].ID, "quantity": 1}}, "notify_customer": false})
	var emails int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM messages WHERE order_id = $1 AND kind = 'return_requested'`, o.ID).Scan(&emails); err != nil || emails != 1 {
		t.Errorf("%d return requested emails (%v), want the customer's one", emails, err)
	}
}
