package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

var orderVersionInput = regexp.MustCompile(`name="order_version" value="([0-9]+)"`)

// drawnVersion is the order version a page's form was drawn from.
func drawnVersion(t testing.TB, p page) string {
	t.Helper()
	m := orderVersionInput.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("the form carries no order_version:\n%.1500s", p.Body)
	}
	return m[1]
}

// Each back-office form that changes an order, posted after someone else changed the
// order, is drawn again (422) with "This order changed while you were editing", what
// changed and the order as it is now, and does nothing; posted again from there, it acts.
// Forms that are reviewed before they act (refund, cancel, lines) say so at the review.
func TestStaleFormsShowWhatChangedAndDoNothing(t *testing.T) {
	e := newPageEnv(t)
	ctx := context.Background()
	other := domain.Actor{Type: domain.ActorStaff, Name: "Bea"}
	cases := []struct {
		name, state, form string
		values            func(o domain.Order) url.Values
		change            func(o domain.Order) error
		changed           string // what the message lists
		ok                int    // the status once the form is fresh
	}{
		{"RecordPayment", "created", "/payment",
			func(domain.Order) url.Values { return url.Values{"amount": {"10.00"}} },
			func(o domain.Order) error {
				_, _, err := e.svc.RecordPayment(ctx, other, o.Number, service.NewPayment{Amount: decimal.RequireFromString("30.00")})
				return err
			}, "Payment (partially paid): manual payment of 30.00 USD, by Bea", http.StatusSeeOther},
		{"RefundReview", "paid", "/refund",
			func(domain.Order) url.Values { return url.Values{"amount": {"5.00"}, "reason": {"late"}} },
			func(o domain.Order) error {
				_, _, err := e.svc.Refund(ctx, other, o.Number, decimal.RequireFromString("40.00"), "broken")
				return err
			}, "Refund (partially refunded): refund of 40.00 USD: broken, by Bea", http.StatusOK},
		{"RefundConfirmed", "paid", "/refund",
			func(domain.Order) url.Values { return url.Values{"amount": {"5.00"}, "confirmed": {"1"}} },
			func(o domain.Order) error { _, err := e.svc.SetTags(ctx, other, o.Number, []string{"vip"}); return err },
			"Tags changed: added vip, by Bea", http.StatusSeeOther},
		{"CancelConfirmed", "paid", "/cancel",
			func(domain.Order) url.Values { return url.Values{"refund": {"on"}, "confirmed": {"1"}} },
			func(o domain.Order) error { _, err := e.svc.Hold(ctx, other, o.Number, "fraud check"); return err },
			"Put on hold: fraud check, by Bea", http.StatusSeeOther},
		{"Fulfill", "paid", "/fulfill",
			func(o domain.Order) url.Values {
				return url.Values{"qty_" + o.Items[0].ID: {strconv.Itoa(o.Items[0].Quantity)}}
			},
			func(o domain.Order) error {
				_, err := e.svc.EditOrder(ctx, other, o.Number, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}}, Reason: "one mug only"})
				return err
			}, "Order edited: ", http.StatusSeeOther},
		{"Contact", "paid", "/edit/contact",
			func(o domain.Order) url.Values {
				v := contactForm(o)
				v.Set("shipping_address.city", "Leeds")
				return v
			},
			func(o domain.Order) error {
				notes := "call first"
				_, err := e.svc.PatchOrder(ctx, other, o.Number, domain.OrderPatch{Notes: &notes})
				return err
			}, "Order edited: notes", http.StatusSeeOther},
		{"LinesReview", "paid", "/edit/lines",
			func(o domain.Order) url.Values {
				return url.Values{"remove_" + o.Items[0].ID: {"1"}, "reason": {"less"}}
			},
			func(o domain.Order) error { _, err := e.svc.SetTags(ctx, other, o.Number, []string{"vip"}); return err },
			"Tags changed: added vip, by Bea", http.StatusOK},
		{"LinesConfirmed", "paid", "/edit/lines",
			func(o domain.Order) url.Values {
				return url.Values{"remove_" + o.Items[0].ID: {"1"}, "reason": {"less"}, "confirmed": {"1"}}
			},
			func(o domain.Order) error { _, err := e.svc.Hold(ctx, other, o.Number, "wait"); return err },
			"Put on hold: wait, by Bea", http.StatusSeeOther},
	}
	b := e.loggedIn(domain.RoleAdmin)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := e.newOrder(c.state)
			formPage := "/orders/" + o.Number + c.form
			if c.form == "/edit/contact" || c.form == "/edit/lines" {
				formPage = "/orders/" + o.Number + "/edit"
			}
			drawn := drawnVersion(t, b.get(formPage))
			if drawn != strconv.FormatInt(o.Version, 10) {
				t.Fatalf("form drawn from version %s, the order is at %d", drawn, o.Version)
			}
			if err := c.change(o); err != nil {
				t.Fatal(err)
			}
			now, _ := e.svc.GetOrder(ctx, o.Number)
			form := c.values(o)
			form.Set("order_version", drawn)
			p := b.post("/orders/"+o.Number+c.form, form)
			expectStatus(t, p, http.StatusUnprocessableEntity)
			expectBody(t, p, "This order changed while you were editing", "What changed since you opened this form", c.changed)
			if got := drawnVersion(t, p); got != strconv.FormatInt(now.Version, 10) {
				t.Errorf("the form is drawn again from version %s, want the order's %d", got, now.Version)
			}
			if after, _ := e.svc.GetOrder(ctx, o.Number); after.Version != now.Version {
				t.Fatalf("the stale form changed the order: version %d, want %d", after.Version, now.Version)
			}
			form = c.values(now)
			form.Set("order_version", strconv.FormatInt(now.Version, 10))
			p = b.post("/orders/"+o.Number+c.form, form)
			expectStatus(t, p, c.ok)
		})
	}

	t.Run("ErrBadRequestForAVersionThatIsNone", func(t *testing.T) {
		o := e.newOrder("created")
		p := b.post("/orders/"+o.Number+"/payment", url.Values{"amount": {"1.00"}, "order_version": {"v1"}})
		expectStatus(t, p, http.StatusBadRequest)
	})
}
