package web

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// sendEvent posts a signed Stripe event (as many times as asked) and fails unless each
// is answered 200.
func (e *apiEnv) sendEvent(id, typ string, obj map[string]any, times int) {
	e.t.Helper()
	payload, sig := signedEvent(e.t, id, typ, obj)
	for range times {
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
	}
}

// intentSucceeded is a payment_intent.succeeded's PaymentIntent that received amount
// (minor units) in currency.
func intentSucceeded(pi paymentIntentJSON, received int, currency string) map[string]any {
	return map[string]any{"id": pi.ID, "object": "payment_intent", "status": "succeeded",
		"amount_received": received, "currency": currency}
}

// seesOnOrderPage fails unless the order's page and its fulfillment page, as warehouse
// staff open them before shipping, say each of the texts.
func (e *apiEnv) seesOnOrderPage(number string, texts ...string) {
	e.t.Helper()
	b := newPageEnvOn(e.t, e.pool, e.svc).loggedIn(domain.RoleWarehouse)
	for _, path := range []string{"/orders/" + number, "/orders/" + number + "/fulfill"} {
		p := b.get(path)
		body := html.UnescapeString(p.Body)
		for _, text := range texts {
			if !strings.Contains(body, text) {
				e.t.Errorf("%s (%d) does not say %q", path, p.Status, text)
			}
		}
	}
}

// Stripe received less than asked: what it received is booked, the rest is still owed
// (the order is not paid), and the payment is flagged; the event twice changes nothing.
func TestUnderpaidStripePaymentIsBookedAsReceived(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("short@example.com", "TEE-M", 2)) // 39.98
	pi := e.stripeIntent(o.ID)
	e.sendEvent("evt_short", "payment_intent.succeeded", intentSucceeded(pi, 1000, "usd"), 2)
	o = e.fetchOrder(o.ID)
	p := o.Payments[0]
	if o.Paid != "10.00" || o.PaymentStatus != "partially_paid" || o.Status != "created" || o.Balance.Outstanding != "29.98" {
		t.Fatalf("order %s paid %s (%s), outstanding %s: want 10.00 booked and 29.98 still owed", o.Status, o.Paid, o.PaymentStatus, o.Balance.Outstanding)
	}
	if p.Status != "completed" || p.Amount != "10.00" || !strings.Contains(p.Attention, "10.00 USD of the 39.98 USD") {
		t.Fatalf("payment %+v: want 10.00 completed and flagged", p)
	}
	if h := statusesOf(o, "payment"); strings.Join(h, " ") != "pending partially_paid" {
		t.Errorf("payment history %v: want the success once", h)
	}
	e.seesOnOrderPage(o.OrderNumber, p.Attention)
	e.checkMoneyAndStock()
}

// Money in another currency than the order's is not the order's money: recorded as
// Stripe received it, not booked, flagged.
func TestWrongCurrencyStripePaymentIsNotBooked(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("euro@example.com", "TEE-M", 1))
	pi := e.stripeIntent(o.ID)
	e.sendEvent("evt_eur", "payment_intent.succeeded", intentSucceeded(pi, 1850, "eur"), 1)
	o = e.fetchOrder(o.ID)
	p := o.Payments[0]
	if o.Paid != "0.00" || o.PaymentStatus != "pending" || o.Status != "created" {
		t.Fatalf("order %s paid %s (%s): want nothing booked", o.Status, o.Paid, o.PaymentStatus)
	}
	if p.Status != "unapplied" || p.Amount != "18.50" || p.Currency != "EUR" || !strings.Contains(p.Attention, "18.50 EUR") {
		t.Fatalf("payment %+v: want 18.50 EUR unapplied and flagged", p)
	}
	last := o.History[len(o.History)-1]
	if last.Kind != "payment" || last.Status != "unapplied" || !strings.Contains(last.Note, "18.50 EUR") {
		t.Errorf("last history %+v", last)
	}
	e.seesOnOrderPage(o.OrderNumber, p.Attention)
	e.checkMoneyAndStock()
}

// A refund made in Stripe's dashboard is recorded as a succeeded refund of what Stripe
// says, once however often (and in whatever order) Stripe tells, beside the OMS's own.
func TestOutsideRefundIsRecordedOnce(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o, pi := e.paidByCard("outside@example.com")
	var r orderRefundJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "2.00"}).JSON(t, &r)
	e.sendRefunds()
	var ours string
	e.scalar(&ours, `SELECT external_id FROM refund_allocations WHERE refund_id = $1`, r.ID)
	charge := func(refunded int, refunds ...any) map[string]any {
		return map[string]any{"id": "ch_1", "object": "charge", "payment_intent": pi.ID, "amount": 1999,
			"amount_refunded": refunded, "currency": "usd", "refunds": map[string]any{"data": refunds}}
	}
	theirs := map[string]any{"id": "re_dashboard", "status": "succeeded", "amount": 500}
	e.sendEvent("evt_refunded_1", "charge.refunded", charge(700, map[string]any{"id": ours, "status": "succeeded", "amount": 200}, theirs), 2)
	// The same news again under another event id (a retried delivery), and an older one late.
	e.sendEvent("evt_refunded_1b", "charge.refunded", charge(700), 1)
	e.sendEvent("evt_refunded_0", "charge.refunded", charge(200), 1)
	o = e.fetchOrder(o.ID)
	if o.Refunded != "7.00" || o.RefundPending != "0.00" || o.PaymentStatus != "partially_refunded" || len(o.Refunds) != 2 {
		t.Fatalf("refunded %s, pending %s, %s, refunds %+v: want ours (2.00) and the dashboard's (5.00)", o.Refunded, o.RefundPending, o.PaymentStatus, o.Refunds)
	}
	if out := o.Refunds[1]; out.Amount != "5.00" || out.Status != "succeeded" || !strings.Contains(out.Reason, "outside the OMS") {
		t.Fatalf("outside refund %+v", out)
	}
	if p := o.Payments[0]; !strings.Contains(p.Attention, "5.00 USD refunded at Stripe outside the OMS") {
		t.Errorf("payment %+v: want it flagged", p)
	}
	if h := statusesOf(o, "refund"); len(h) != 3 {
		t.Errorf("refund history %v: want ours sent and settled, and the outside one once", h)
	}

	// The rest refunded in the dashboard too: the order is refunded in full.
	e.sendEvent("evt_refunded_2", "charge.refunded", charge(1999), 1)
	if o = e.fetchOrder(o.ID); o.Refunded != "19.99" || o.PaymentStatus != "refunded" || len(o.Refunds) != 3 {
		t.Fatalf("refunded %s, %s, %d refunds", o.Refunded, o.PaymentStatus, len(o.Refunds))
	}
	e.seesOnOrderPage(o.OrderNumber, "refunded at Stripe outside the OMS")
	e.checkMoneyAndStock()
}

// A dispute opened at the customer's bank is flagged on the payment with its amount and
// reason and written in the history, once.
func TestStripeDisputeIsFlagged(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o, pi := e.paidByCard("dispute@example.com")
	before := len(o.History)
	e.sendEvent("evt_dispute", "charge.dispute.created", map[string]any{"id": "dp_1", "object": "dispute", "amount": 1999,
		"currency": "usd", "reason": "fraudulent", "status": "needs_response", "charge": "ch_1", "payment_intent": pi.ID}, 2)
	o = e.fetchOrder(o.ID)
	p := o.Payments[0]
	for _, want := range []string{"dp_1", "19.99 USD", "fraudulent"} {
		if !strings.Contains(p.Attention, want) {
			t.Errorf("payment attention %q does not say %q", p.Attention, want)
		}
	}
	if len(o.History) != before+1 {
		t.Fatalf("%d history rows, want %d", len(o.History), before+1)
	}
	if h := o.History[before]; h.Kind != "payment" || h.Status != "disputed" || h.By != "stripe" || !strings.Contains(h.Note, "fraudulent") {
		t.Errorf("history %+v", h)
	}
	if o.Paid != "19.99" || o.Status != "paid" {
		t.Errorf("order %s paid %s: a dispute is a flag, not money moved yet", o.Status, o.Paid)
	}
	e.seesOnOrderPage(o.OrderNumber, "dp_1", "fraudulent")
	e.checkMoneyAndStock()
}

// A refund's event that comes before its payment's success (events come out of order) is
// refused with 503, so that Stripe sends it again; then it is recorded, once.
func TestOutsideRefundBeforeItsPaymentIsSentAgain(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("early@example.com", "TEE-M", 1))
	pi := e.stripeIntent(o.ID)
	refund, sig := signedEvent(t, "evt_early_refund", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge",
		"payment_intent": pi.ID, "amount": 1999, "amount_refunded": 1999, "currency": "usd"})
	e.mustCode(http.StatusServiceUnavailable, "unavailable", "POST", "/webhooks/stripe", refund, "Stripe-Signature", sig)
	if got := e.fetchOrder(o.ID); len(got.Refunds) != 0 || got.Payments[0].Status != "pending" {
		t.Fatalf("the early event changed the order: refunds %+v, payment %s", got.Refunds, got.Payments[0].Status)
	}
	e.sendEvent("evt_late_success", "payment_intent.succeeded", intentSucceeded(pi, 1999, "usd"), 1)
	e.must(http.StatusOK, "POST", "/webhooks/stripe", refund, "Stripe-Signature", sig)
	e.must(http.StatusOK, "POST", "/webhooks/stripe", refund, "Stripe-Signature", sig)
	o = e.fetchOrder(o.ID)
	if o.Paid != "19.99" || o.Refunded != "19.99" || o.PaymentStatus != "refunded" || len(o.Refunds) != 1 {
		t.Fatalf("paid %s, refunded %s, %s, refunds %+v: want the payment and its refund, once", o.Paid, o.Refunded, o.PaymentStatus, o.Refunds)
	}
	e.checkMoneyAndStock()
}
