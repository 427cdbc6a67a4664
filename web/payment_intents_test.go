package web

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oms/oms/internal/service"
)

// A storefront that asks 20 times at once (double clicks, retries, several tabs) gets
// one PaymentIntent: Stripe is asked once, every answer is the same, and the order has
// one pending payment. Asked again later for the same amount, it gets the same intent;
// for a new amount, a new one.
func TestConcurrentPaymentIntentsMakeOneIntent(t *testing.T) {
	proxy := &stripeProxy{}
	e := newStripeEnvWith(t, func(base string, _ *service.Config) string { return proxy.start(t, base) })
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("many@example.com", "TEE-M", 2)) // 39.98
	const n = 20
	answers := make([]apiResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = e.do("POST", "/api/v1/orders/"+o.ID+"/payment_intents", map[string]any{}) })
	}
	wg.Wait()
	for i, a := range answers {
		if a.Status != http.StatusCreated || string(a.Body) != string(answers[0].Body) {
			t.Fatalf("answer %d: %d %s, want the same intent as answer 0 (%s)", i, a.Status, a.Body, answers[0].Body)
		}
	}
	if keys := proxy.intents(); len(keys) != 1 {
		t.Fatalf("Stripe was asked for %d PaymentIntents (keys %q), want 1", len(keys), keys)
	}
	var pi paymentIntentJSON
	answers[0].JSON(t, &pi)
	got := e.fetchOrder(o.ID)
	if len(got.Payments) != 1 || got.Payments[0].ID != pi.PaymentID || got.Payments[0].Status != "pending" || pi.Amount != "39.98" {
		t.Fatalf("payments %+v for intent %+v: want one pending payment of 39.98", got.Payments, pi)
	}
	if h := statusesOf(got, "payment"); len(h) != 1 {
		t.Errorf("payment history %v: want the intent started once", h)
	}

	if again := e.stripeIntent(o.ID); again != pi || len(proxy.intents()) != 1 {
		t.Errorf("asked again: %+v after %d calls to Stripe; want the same intent, no new call", again, len(proxy.intents()))
	}
	e.recordPayment(o.ID, "9.98")
	if next := e.stripeIntent(o.ID); next.ID == pi.ID || next.Amount != "30.00" || len(proxy.intents()) != 2 {
		t.Errorf("after a partial payment: %+v, %d calls; want a new intent for 30.00", next, len(proxy.intents()))
	}
	e.checkMoneyAndStock()
}

// Stripe answering after the gateway's timeout: the caller gets 503, and the order has
// nothing half-done (no payment, nothing paid, no history of a started payment; no
// client ever learnt the late intent's secret, so nobody can pay on it). The retry
// makes a new intent and records it once.
func TestPaymentIntentAfterAGatewayTimeout(t *testing.T) {
	proxy := &stripeProxy{slowIntents: 1, slowFor: 1500 * time.Millisecond}
	e := newStripeEnvWith(t, func(base string, cfg *service.Config) string {
		cfg.GatewayTimeout = 300 * time.Millisecond
		return proxy.start(t, base)
	})
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("slow@example.com", "TEE-M", 1))
	start := time.Now()
	e.mustCode(http.StatusServiceUnavailable, "unavailable", "POST", "/api/v1/orders/"+o.ID+"/payment_intents", map[string]any{})
	if took := time.Since(start); took > time.Second {
		t.Errorf("the call took %s: the gateway's timeout did not hold", took)
	}
	got := e.fetchOrder(o.ID)
	if len(got.Payments) != 0 || got.Paid != "0.00" || got.Status != "created" || len(statusesOf(got, "payment")) != 0 {
		t.Fatalf("after the timeout: payments %+v, paid %s, %s, payment history %v", got.Payments, got.Paid, got.Status, statusesOf(got, "payment"))
	}

	pi := e.stripeIntent(o.ID)
	if keys := proxy.intents(); len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("idempotency keys sent to Stripe: %q, want two calls, each for its own payment", keys)
	}
	got = e.fetchOrder(o.ID)
	if len(got.Payments) != 1 || got.Payments[0].ID != pi.PaymentID || !strings.HasPrefix(pi.ID, "pi_") ||
		strings.Join(statusesOf(got, "payment"), " ") != "pending" {
		t.Fatalf("after the retry: payments %+v, history %v, intent %+v", got.Payments, statusesOf(got, "payment"), pi)
	}
	var external string
	e.scalar(&external, `SELECT external_id FROM payments WHERE id = $1`, pi.PaymentID)
	if external != pi.ID {
		t.Errorf("payment's intent %q, want %q", external, pi.ID)
	}
	e.checkMoneyAndStock()
}

// A request that died while asking Stripe (its process gone between writing the payment
// and recording the answer) leaves a payment without an intent. The next request takes
// it over once its hold ran out, asking Stripe with the same idempotency key (Stripe
// answers with the intent it may have made); an order that expires meanwhile loses it.
func TestPaymentIntentWhoseAskerDiedIsTakenOver(t *testing.T) {
	proxy := &stripeProxy{}
	e := newStripeEnvWith(t, func(base string, _ *service.Config) string { return proxy.start(t, base) })
	e.product("TEE-M", "19.99", 10)
	dead := func(orderID string) string {
		var id string
		e.scalar(&id, `INSERT INTO payments (order_id, gateway, amount, currency, status, gateway_call_until)
			SELECT id, 'stripe', total, currency, 'pending', now() - interval '1 second' FROM orders WHERE id = $1 RETURNING id`, orderID)
		return id
	}

	o := e.createOrder(orderBody("taken@example.com", "TEE-M", 1))
	left := dead(o.ID)
	pi := e.stripeIntent(o.ID)
	if keys := proxy.intents(); pi.PaymentID != left || len(keys) != 1 || keys[0] != "oms-payment-"+left {
		t.Fatalf("intent %+v, keys %q: want the dead request's payment %s asked for with its key", pi, keys, left)
	}

	gone := e.createOrder(orderBody("gone@example.com", "TEE-M", 1))
	dead(gone.ID)
	e.exec(`UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = $1`, gone.ID)
	ctx, cutoff := t.Context(), time.Now().Add(-time.Hour)
	if n, err := e.svc.CancelExpiredIntents(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("intents to cancel: %d, %v", n, err)
	}
	e.workCancelIntents()
	if n, err := e.svc.ExpireReservations(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("expired %d, %v: the payment without an intent must not keep the order", n, err)
	}
	if got := e.fetchOrder(gone.ID); got.Status != "cancelled" || len(got.Payments) != 0 {
		t.Fatalf("order %s with payments %+v", got.Status, got.Payments)
	}
	if len(proxy.intents()) != 1 {
		t.Errorf("Stripe was asked %d times", len(proxy.intents()))
	}
	e.checkMoneyAndStock()
}

// An edit made while Stripe is asked for an intent is not held up by it: the intent
// being made is no part of the order until recorded. Stripe's answer, for the old total,
// is then dropped (cancelled at Stripe: nobody had its secret) and the caller gets an
// intent for what the order owes now; the order has one pending payment, of that amount.
// Found by the torture driver (seed 285010748): an edit refused for a payment that no
// version of the order showed.
func TestEditWhileAnIntentIsMadeGetsTheNewTotal(t *testing.T) {
	proxy := &stripeProxy{slowIntents: 1, slowFor: 1500 * time.Millisecond}
	e := newStripeEnvWith(t, func(base string, _ *service.Config) string { return proxy.start(t, base) })
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("edit@example.com", "TEE-M", 1)) // 19.99
	done := make(chan apiResponse, 1)
	go func() { done <- e.do("POST", "/api/v1/orders/"+o.ID+"/payment_intents", map[string]any{}) }()
	for deadline := time.Now().Add(10 * time.Second); len(proxy.intents()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Stripe was never asked for the intent")
		}
	}
	var edited orderJSON
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/edits",
		map[string]any{"add": []any{map[string]any{"sku": "TEE-M", "quantity": 1}}, "reason": "one more"}).JSON(t, &edited)
	if edited.Total != "39.98" || len(edited.Payments) != 0 {
		t.Fatalf("edited: total %s, payments %+v; want 39.98 and no payment yet", edited.Total, edited.Payments)
	}
	r := <-done
	var pi paymentIntentJSON
	if r.Status != http.StatusCreated {
		t.Fatalf("intent: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &pi)
	got := e.fetchOrder(o.ID)
	if pi.Amount != "39.98" || len(got.Payments) != 1 || got.Payments[0].ID != pi.PaymentID || got.Payments[0].Amount != "39.98" {
		t.Fatalf("intent %+v, payments %+v: want one pending payment of the new total", pi, got.Payments)
	}
	if keys := proxy.intents(); len(keys) != 2 {
		t.Fatalf("Stripe asked for %d intents, want 2 (the old total's, then the new)", len(keys))
	}
	var dropped int
	e.scalar(&dropped, `SELECT count(*) FROM river_job WHERE kind = 'cancel_payment_intent' AND args->>'intent_id' LIKE 'pi_%'`)
	if dropped != 1 {
		t.Fatalf("%d cancellations of the old total's intent enqueued, want 1", dropped)
	}
	e.workCancelIntents()
	if h := statusesOf(got, "payment"); len(h) != 1 {
		t.Errorf("payment history %v: want the one intent recorded", h)
	}
	e.checkMoneyAndStock()
}
