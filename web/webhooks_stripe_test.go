package web

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// stripeIntent creates a PaymentIntent for an order and returns it.
func (e *apiEnv) stripeIntent(orderID string) paymentIntentJSON {
	e.t.Helper()
	var pi paymentIntentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+orderID+"/payment_intents", map[string]any{}).JSON(e.t, &pi)
	return pi
}

func TestStripePaymentIntent(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)

	t.Run("ForTheOutstandingAmount", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 2)) // 39.98
		e.recordPayment(o.ID, "10")
		pi := e.stripeIntent(o.OrderNumber)
		if !strings.HasPrefix(pi.ID, "pi_") || pi.ClientSecret == "" || pi.Amount != "29.98" || pi.Currency != "USD" || pi.PaymentID == "" {
			t.Fatalf("intent = %+v", pi)
		}
		o = e.fetchOrder(o.ID)
		last := o.Payments[len(o.Payments)-1]
		if len(o.Payments) != 2 || last.Gateway != "stripe" || last.Status != "pending" || last.Amount != "29.98" || o.Paid != "10.00" {
			t.Fatalf("payments = %+v, paid %s", o.Payments, o.Paid)
		}
		var external string
		e.scalar(&external, `SELECT external_id FROM payments WHERE id = $1`, pi.PaymentID)
		if external != pi.ID {
			t.Errorf("external id %q, want %q", external, pi.ID)
		}
	})

	t.Run("ErrInvalidTransitionOnPaidOrder", func(t *testing.T) {
		o := e.paidOrderOf("ann@example.com", "TEE-M", 1)
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+o.ID+"/payment_intents", map[string]any{})
	})

	t.Run("ErrConflictWhenNothingOutstanding", func(t *testing.T) {
		e.product("FREEBIE", "0.00", 10)
		o := e.createOrder(orderBody("ann@example.com", "FREEBIE", 1))
		e.mustCode(http.StatusConflict, "conflict", "POST", "/api/v1/orders/"+o.ID+"/payment_intents", map[string]any{})
	})

	t.Run("ErrBadRequest", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		e.mustCode(http.StatusBadRequest, "bad_request", "POST", "/api/v1/orders/"+o.ID+"/payment_intents", `{"amount": "1.00"}`)
	})
}

func TestStripeWebhook(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)

	t.Run("SucceededPaymentMakesOrderPaidOnce", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		pi := e.stripeIntent(o.ID)
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_succeeded_1", "payment_intent.succeeded", pi)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig, "Authorization", "")
		o = e.fetchOrder(o.ID)
		if o.Status != "paid" || o.PaymentStatus != "completed" || o.Paid != "19.99" || o.Payments[0].Status != "completed" {
			t.Fatalf("order = %s %s paid %s", o.Status, o.PaymentStatus, o.Paid)
		}
		want := []string{"status:created", "payment:pending", "payment:completed", "status:pending", "status:paid"}
		if got := historyKinds(o); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("history = %v, want %v", got, want)
		}
		if pay := changes(o)[2]; pay.By != "stripe" || !strings.Contains(pay.Note, pi.ID) || changes(o)[4].By != "stripe" {
			t.Errorf("history = %+v", pay)
		}
		before := len(o.History)

		// Replays, also concurrent, change nothing.
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if r := e.sendWebhook(payload, sig); r.Status != http.StatusOK {
					t.Errorf("replay: %d %s", r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		o = e.fetchOrder(o.ID)
		if len(o.History) != before || o.Paid != "19.99" || len(o.Payments) != 1 {
			t.Fatalf("replay changed the order: %d history rows (was %d), paid %s", len(o.History), before, o.Paid)
		}
		var events int
		e.scalar(&events, `SELECT count(*) FROM stripe_events WHERE id = 'evt_succeeded_1'`)
		if events != 1 {
			t.Errorf("%d events recorded", events)
		}
		// A second event about the same, already settled intent changes nothing either.
		payload2, sig2 := stripeEvent(t, testWebhookSecret, "evt_succeeded_again", "payment_intent.succeeded", pi)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload2, "Stripe-Signature", sig2)
		if o = e.fetchOrder(o.ID); len(o.History) != before || o.Paid != "19.99" {
			t.Fatalf("second event changed the order")
		}
	})

	t.Run("ConcurrentFirstDeliveriesPayOnce", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		pi := e.stripeIntent(o.ID)
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_race", "payment_intent.succeeded", pi)
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if r := e.sendWebhook(payload, sig); r.Status != http.StatusOK {
					t.Errorf("delivery: %d %s", r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		o = e.fetchOrder(o.ID)
		if o.Paid != "19.99" || o.Status != "paid" || strings.Join(statusesOf(o, "payment"), " ") != "pending completed" {
			t.Fatalf("order paid %s, %s, payment history %v", o.Paid, o.Status, statusesOf(o, "payment"))
		}
	})

	t.Run("FailedPaymentIsRecorded", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		pi := e.stripeIntent(o.ID)
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_failed_1", "payment_intent.payment_failed", pi)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
		o = e.fetchOrder(o.ID)
		h := o.History[len(o.History)-1]
		if o.Status != "created" || o.Paid != "0.00" || o.Payments[0].Status != "failed" ||
			h.Kind != "payment" || h.Status != "failed" || !strings.Contains(h.Note, "declined") {
			t.Fatalf("order = %s paid %s, payment %s, history %+v", o.Status, o.Paid, o.Payments[0].Status, h)
		}
		// A new intent can still pay the order.
		pi2 := e.stripeIntent(o.ID)
		payload, sig = stripeEvent(t, testWebhookSecret, "evt_after_failure", "payment_intent.succeeded", pi2)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
		if o = e.fetchOrder(o.ID); o.Status != "paid" {
			t.Fatalf("order = %s", o.Status)
		}
	})

	t.Run("ErrBadRequestOnBadSignature", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		pi := e.stripeIntent(o.ID)
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_forged", "payment_intent.succeeded", pi)
		_, wrongSig := stripeEvent(t, "whsec_other", "evt_forged", "payment_intent.succeeded", pi)
		tampered := []byte(strings.Replace(string(payload), "evt_forged", "evt_forgeX", 1))
		for name, c := range map[string]struct {
			body []byte
			sig  string
		}{"missing": {payload, ""}, "wrong secret": {payload, wrongSig}, "tampered body": {tampered, sig},
			"garbage": {payload, "t=1,v1=abc"}} {
			r := e.sendWebhook(c.body, c.sig)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != "bad_request" {
				t.Errorf("%s signature: %d %s", name, r.Status, r.Body)
			}
		}
		if o = e.fetchOrder(o.ID); o.Status != "created" || o.Payments[0].Status != "pending" {
			t.Fatalf("forged events changed the order: %s", o.Status)
		}
		var events int
		e.scalar(&events, `SELECT count(*) FROM stripe_events WHERE id LIKE 'evt_forge%'`)
		if events != 0 {
			t.Errorf("%d forged events recorded", events)
		}
		// The genuine event still works afterwards.
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
		if o = e.fetchOrder(o.ID); o.Status != "paid" {
			t.Fatalf("order = %s", o.Status)
		}
	})

	t.Run("UnknownEventsAreRecordedAndIgnored", func(t *testing.T) {
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_other", "charge.refunded", paymentIntentJSON{ID: "ch_123"})
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
		payload, sig = stripeEvent(t, testWebhookSecret, "evt_unknown_intent", "payment_intent.succeeded", paymentIntentJSON{ID: "pi_not_ours"})
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
		var events int
		e.scalar(&events, `SELECT count(*) FROM stripe_events WHERE id IN ('evt_other', 'evt_unknown_intent')`)
		if events != 2 {
			t.Errorf("%d events recorded, want 2", events)
		}
	})

	t.Run("ErrTooLarge", func(t *testing.T) {
		r := e.sendWebhook(make([]byte, 1<<20+1), "t=1,v1=abc")
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	e.checkMoneyAndStock()
}

func TestStripeRefundGoesThroughStripe(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 2)) // 39.98
	e.recordPayment(o.ID, "9.98")
	pi := e.stripeIntent(o.ID) // 30.00
	payload, sig := stripeEvent(t, testWebhookSecret, "evt_paid", "payment_intent.succeeded", pi)
	e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)

	// Newest payment first: 25 from the card alone, then 10 = 5 card + 5 manual. A card
	// refund is pending until Stripe answers (the job, after commit), and counts against
	// what may still be refunded meanwhile.
	var r orderRefundJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "25"}).JSON(t, &r)
	if r.Status != "pending" || r.PaymentStatus != "completed" {
		t.Fatalf("refund = %+v, want pending with nothing refunded yet", r)
	}
	if got := e.fetchOrder(o.ID); got.Refunded != "0.00" || got.RefundPending != "25.00" {
		t.Fatalf("before Stripe answers: refunded %s, pending %s", got.Refunded, got.RefundPending)
	}
	e.mustCode(http.StatusUnprocessableEntity, "refund_exceeds_paid", "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "15"})
	e.sendRefunds()
	var ref, status string
	e.scalar(&ref, `SELECT reference FROM refunds WHERE id = $1`, r.ID)
	e.scalar(&status, `SELECT status FROM refunds WHERE id = $1`, r.ID)
	if !strings.HasPrefix(ref, "re_") || status != "succeeded" {
		t.Errorf("refund %s reference %q, want succeeded with Stripe's refund id", status, ref)
	}
	if got := e.fetchOrder(o.ID); got.Refunded != "25.00" || got.RefundPending != "0.00" || got.PaymentStatus != "partially_refunded" {
		t.Fatalf("after Stripe answered: refunded %s, pending %s, %s", got.Refunded, got.RefundPending, got.PaymentStatus)
	}
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "10"})
	e.sendRefunds()
	var stripeParts, manualParts int
	e.scalar(&stripeParts, `SELECT count(*) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id WHERE p.gateway = 'stripe' AND a.external_id LIKE 're_%'`)
	e.scalar(&manualParts, `SELECT count(*) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id WHERE p.gateway = 'manual' AND a.external_id = ''`)
	if stripeParts != 2 || manualParts != 1 {
		t.Errorf("%d Stripe and %d manual refund parts, want 2 and 1", stripeParts, manualParts)
	}
	var c orderJSON
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"reason": "oops", "refund": true}).JSON(t, &c)
	if c.Status != "cancelled" || c.Refunded != "39.98" || c.PaymentStatus != "refunded" {
		t.Fatalf("cancelled = %s refunded %s %s", c.Status, c.Refunded, c.PaymentStatus)
	}
	e.checkMoneyAndStock()
}

func TestStripeNotConfigured(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
	e.mustCode(http.StatusServiceUnavailable, "unavailable", "POST", "/api/v1/orders/"+o.ID+"/payment_intents", map[string]any{})
	payload, sig := stripeEvent(t, testWebhookSecret, "evt_x", "payment_intent.succeeded", paymentIntentJSON{ID: "pi_x"})
	if r := e.sendWebhook(payload, sig); r.Status != http.StatusServiceUnavailable {
		t.Errorf("webhook without Stripe: %d %s", r.Status, r.Body)
	}
}

// statusesOf lists the statuses of an order's history rows of one kind.
func statusesOf(o orderJSON, kind string) []string {
	var out []string
	for _, h := range o.History {
		if h.Kind == kind {
			out = append(out, h.Status)
		}
	}
	return out
}

func TestStripeSuccessOnACancelledOrderIsNotBooked(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("late@example.com", "TEE-M", 1))
	pi := e.stripeIntent(o.ID)
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"reason": "customer changed their mind"})
	var cancels int
	e.scalar(&cancels, `SELECT count(*) FROM river_job WHERE kind = 'cancel_payment_intent'`)
	if cancels != 1 {
		t.Errorf("%d intent cancellations enqueued with the order's cancellation, want 1", cancels)
	}

	// The customer paid before the cancellation reached Stripe: the money is real.
	payload, sig := stripeEvent(t, testWebhookSecret, "evt_late_success", "payment_intent.succeeded", pi)
	e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig, "Authorization", "")
	o = e.fetchOrder(o.ID)
	if o.Status != "cancelled" || o.Paid != "0.00" || o.PaymentStatus != "pending" {
		t.Fatalf("order = %s, paid %s, %s; want cancelled with nothing booked", o.Status, o.Paid, o.PaymentStatus)
	}
	if p := o.Payments[0]; p.Status != "unapplied" || !strings.Contains(p.Attention, "refunded automatically") {
		t.Fatalf("payment %+v: want unapplied and flagged", p)
	}
	if len(o.Refunds) != 1 || o.Refunds[0].Status != "pending" || o.Refunds[0].Amount != "19.99" {
		t.Fatalf("refunds %+v: want the whole payment on its way back", o.Refunds)
	}
	last := o.History[len(o.History)-1]
	if !strings.Contains(last.Note, "refunded automatically") || !strings.Contains(last.Note, pi.ID) {
		t.Errorf("last history %+v: staff must be told the payment goes back", last)
	}
	e.sendRefunds()
	o = e.fetchOrder(o.ID)
	if o.Refunds[0].Status != "succeeded" || o.Paid != "0.00" || o.Refunded != "0.00" {
		t.Fatalf("after the automatic refund: %+v, paid %s, refunded %s", o.Refunds, o.Paid, o.Refunded)
	}
	e.checkMoneyAndStock()
}
