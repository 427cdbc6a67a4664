package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/oms/oms/internal/jobs"
	"github.com/oms/oms/internal/service"
)

// signedEvent is a Stripe event of any type about obj, signed as Stripe signs it.
func signedEvent(t testing.TB, id, typ string, obj map[string]any) ([]byte, string) {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": stripe.APIVersion,
		"created": time.Now().Unix(), "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: testWebhookSecret, Timestamp: time.Now(), Scheme: "v1"})
	return payload, signed.Header
}

// stripeProxy stands between the gateway and stripe-mock: it records the idempotency key
// of every refund and PaymentIntent created, can answer refunds as Stripe does for cards
// that take days (pending), which stripe-mock never does, and can hold the first
// slowIntents PaymentIntent creations for slowFor before passing them on (a Stripe that
// answers late, after the caller gave up).
type stripeProxy struct {
	mu           sync.Mutex
	refundKeys   []string
	intentKeys   []string
	pendingReply bool
	slowIntents  int
	slowFor      time.Duration
}

func (p *stripeProxy) start(t testing.TB, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	succeeded := regexp.MustCompile(`"status":\s*"succeeded"`)
	rp.ModifyResponse = func(resp *http.Response) error {
		req := resp.Request
		if req.Method != http.MethodPost || req.URL.Path != "/v1/refunds" {
			return nil
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.refundKeys = append(p.refundKeys, req.Header.Get("Idempotency-Key"))
		if !p.pendingReply {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		body = succeeded.ReplaceAll(body, []byte(`"status": "pending"`))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents" {
			p.mu.Lock()
			p.intentKeys = append(p.intentKeys, r.Header.Get("Idempotency-Key"))
			slow := p.slowIntents > 0
			p.slowIntents--
			p.mu.Unlock()
			if slow {
				time.Sleep(p.slowFor)
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (p *stripeProxy) keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.refundKeys...)
}

// intents lists the idempotency keys of the PaymentIntent creations Stripe received.
func (p *stripeProxy) intents() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.intentKeys...)
}

// paidByCard is an order of one TEE-M paid with a Stripe PaymentIntent.
func (e *apiEnv) paidByCard(email string) (orderJSON, paymentIntentJSON) {
	e.t.Helper()
	o := e.createOrder(orderBody(email, "TEE-M", 1))
	pi := e.stripeIntent(o.ID)
	payload, sig := stripeEvent(e.t, testWebhookSecret, "evt_paid_"+pi.ID, "payment_intent.succeeded", pi)
	e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
	return e.fetchOrder(o.ID), pi
}

// Scenario 1 of issue 9: a declined card, then a retry on the same intent that succeeds.
func TestDeclinedCardThenSuccessIsBooked(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("retry@example.com", "TEE-M", 1))
	pi := e.stripeIntent(o.ID)
	for i, typ := range []string{"payment_intent.payment_failed", "payment_intent.payment_failed", "payment_intent.succeeded"} {
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_"+strconv.Itoa(i), typ, pi)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
	}
	o = e.fetchOrder(o.ID)
	if o.Status != "paid" || o.Paid != "19.99" || o.PaymentStatus != "completed" || o.Payments[0].Status != "completed" {
		t.Fatalf("order %s paid %s (%s), payment %s: the retry's success must be booked", o.Status, o.Paid, o.PaymentStatus, o.Payments[0].Status)
	}
	if got := statusesOf(o, "payment"); strings.Join(got, ",") != "pending,failed,failed,completed" {
		t.Errorf("payment history %v", got)
	}
	e.checkMoneyAndStock()
}

// Events late, twice or out of order change the order at most once; unknown ones are
// answered 200 and ignored.
func TestStripeEventsOutOfOrderChangeNothingTwice(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o, pi := e.paidByCard("order@example.com")
	before := len(o.History)
	for i, typ := range []string{"payment_intent.payment_failed", "payment_intent.canceled", "payment_intent.succeeded", "customer.created"} {
		payload, sig := stripeEvent(t, testWebhookSecret, "evt_late_"+strconv.Itoa(i), typ, pi)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
	}
	o = e.fetchOrder(o.ID)
	if len(o.History) != before || o.Payments[0].Status != "completed" || o.Paid != "19.99" {
		t.Fatalf("late events changed the order: %d history rows (was %d), payment %s, paid %s", len(o.History), before, o.Payments[0].Status, o.Paid)
	}
}

// Scenario 2: an abandoned card checkout. Its intent is cancelled at Stripe when the
// order's reservation runs out, then the order expires and its stock comes back.
func TestAbandonedCheckoutExpiresWithItsIntent(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o := e.createOrder(orderBody("gone@example.com", "TEE-M", 2))
	e.stripeIntent(o.ID)
	e.exec(`UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = $1`, o.ID)
	ctx, cutoff := context.Background(), time.Now().Add(-time.Hour)

	if n, err := e.svc.ExpireReservations(ctx, cutoff, 10); err != nil || n != 0 {
		t.Fatalf("expired %d (%v) while its intent was open, want 0", n, err)
	}
	if n, err := e.svc.CancelExpiredIntents(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("intents to cancel: %d, %v", n, err)
	}
	e.workCancelIntents()
	if n, err := e.svc.ExpireReservations(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("expired %d, %v after the intent was cancelled, want 1", n, err)
	}
	o = e.fetchOrder(o.ID)
	if o.Status != "cancelled" || o.Payments[0].Status != "canceled" {
		t.Fatalf("order %s, payment %s", o.Status, o.Payments[0].Status)
	}
	var reserved int
	e.scalar(&reserved, `SELECT reserved FROM inventory WHERE sku = 'TEE-M'`)
	if reserved != 0 {
		t.Errorf("%d still reserved", reserved)
	}
	e.checkMoneyAndStock()
}

// workCancelIntents does what the cancel_payment_intent jobs do.
func (e *apiEnv) workCancelIntents() {
	e.t.Helper()
	var args [][2]string
	rows, err := e.pool.Query(context.Background(), `SELECT args->>'payment_id', coalesce(args->>'intent_id', '')
		FROM river_job WHERE kind = 'cancel_payment_intent' AND state = 'available'`)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var a [2]string
		if err := rows.Scan(&a[0], &a[1]); err != nil {
			e.t.Fatal(err)
		}
		args = append(args, a)
	}
	rows.Close()
	for _, a := range args {
		if err := e.svc.CancelIntent(context.Background(), uuid.MustParse(a[0]), a[1]); err != nil {
			e.t.Fatalf("cancel intent of payment %s (%q): %v", a[0], a[1], err)
		}
	}
}

// Scenario 3: the gateway refunded, then recording it failed (the commit, the context,
// the process between the two). The retry sends the same idempotency key, so Stripe
// answers with the same refund, and the refund is recorded exactly once.
func TestRefundIsRecordedOnceWhenRecordingFails(t *testing.T) {
	proxy := &stripeProxy{}
	faults := []error{errors.New("commit failed"), context.Canceled}
	var mu sync.Mutex
	e := newStripeEnvWith(t, func(base string, cfg *service.Config) string {
		cfg.AfterGatewayCall = func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(faults) == 0 {
				return nil
			}
			err := faults[0]
			faults = faults[1:]
			return err
		}
		return proxy.start(t, base)
	})
	e.product("TEE-M", "19.99", 10)
	o, _ := e.paidByCard("fault@example.com")
	var r orderRefundJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "19.99"}).JSON(t, &r)
	id := uuid.MustParse(r.ID)
	for attempt := 1; attempt <= 3; attempt++ {
		err := e.svc.SendRefund(context.Background(), id)
		if (err != nil) != (attempt < 3) {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	keys := proxy.keys()
	if len(keys) != 3 || keys[0] == "" || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Fatalf("idempotency keys sent to Stripe: %q, want the same key three times", keys)
	}
	if err := e.svc.SendRefund(context.Background(), id); err != nil || len(proxy.keys()) != 3 {
		t.Fatalf("a settled refund was sent again: %v, %d calls", err, len(proxy.keys()))
	}
	o = e.fetchOrder(o.ID)
	if o.Refunded != "19.99" || o.RefundPending != "0.00" || o.PaymentStatus != "refunded" || len(o.Refunds) != 1 || o.Refunds[0].Status != "succeeded" {
		t.Fatalf("order refunded %s, pending %s, %s, refunds %+v", o.Refunded, o.RefundPending, o.PaymentStatus, o.Refunds)
	}
	if got := statusesOf(o, "refund"); len(got) != 2 {
		t.Errorf("refund history %v: want sent, then succeeded once", got)
	}
	e.checkMoneyAndStock()
}

// A card refund Stripe holds pending settles from its webhook: failed releases the
// amount and says so; the same news twice, or a later contradicting event, changes
// nothing. Reconciliation settles one whose webhook never came.
func TestPendingRefundsSettleFromWebhooksAndReconciliation(t *testing.T) {
	proxy := &stripeProxy{pendingReply: true}
	e := newStripeEnvWith(t, func(base string, _ *service.Config) string { return proxy.start(t, base) })
	e.product("TEE-M", "19.99", 10)
	o, _ := e.paidByCard("slow@example.com")
	var r orderRefundJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "19.99", "reason": "damaged"}).JSON(t, &r)
	e.sendRefunds()
	var ref string
	e.scalar(&ref, `SELECT external_id FROM refund_allocations WHERE refund_id = $1`, r.ID)
	if o = e.fetchOrder(o.ID); !strings.HasPrefix(ref, "re_") || o.Refunds[0].Status != "pending" || o.RefundPending != "19.99" {
		t.Fatalf("refund %q %s, pending %s: want pending at Stripe with its id", ref, o.Refunds[0].Status, o.RefundPending)
	}
	failed := map[string]any{"id": ref, "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card"}
	for i := range 2 {
		payload, sig := signedEvent(t, "evt_refund_failed_"+strconv.Itoa(i), "refund.updated", failed)
		e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
	}
	payload, sig := signedEvent(t, "evt_charge_refunded", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge",
		"refunds": map[string]any{"data": []any{map[string]any{"id": ref, "status": "succeeded"}}}})
	e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
	o = e.fetchOrder(o.ID)
	if o.Refunds[0].Status != "failed" || !strings.Contains(o.Refunds[0].Failure, "expired or canceled card") ||
		o.Refunded != "0.00" || o.RefundPending != "0.00" || o.PaymentStatus != "completed" {
		t.Fatalf("after the failure: refund %+v, refunded %s, pending %s, %s", o.Refunds[0], o.Refunded, o.RefundPending, o.PaymentStatus)
	}
	last := o.History[len(o.History)-1]
	if got := statusesOf(o, "refund"); len(got) != 2 || !strings.Contains(last.Note, "failed") {
		t.Errorf("refund history %v, last %q: want sent, then failed once", got, last.Note)
	}

	// The released amount may be refunded again; this time the webhook never comes.
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "19.99"}).JSON(t, &r)
	e.sendRefunds()
	e.exec(`UPDATE refund_allocations SET updated_at = now() - interval '1 hour' WHERE status = 'pending'`)
	if n, err := e.svc.ReconcileRefunds(context.Background(), time.Now().Add(-service.RefundStaleAfter), 10); err != nil || n != 1 {
		t.Fatalf("reconciled %d, %v", n, err)
	}
	if o = e.fetchOrder(o.ID); o.Refunded != "19.99" || o.PaymentStatus != "refunded" {
		t.Fatalf("after reconciliation: refunded %s, %s", o.Refunded, o.PaymentStatus)
	}
	e.checkMoneyAndStock()
}

// The outbox end to end: the refund job enqueued with the refund is worked by the job
// runner of a running process, and the refund settles without anyone asking.
func TestRefundJobRunsAfterCommit(t *testing.T) {
	e := newStripeEnv(t)
	e.product("TEE-M", "19.99", 10)
	o, _ := e.paidByCard("jobs@example.com")
	r, err := jobs.New(e.pool, e.svc, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "5"})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := e.fetchOrder(o.ID); got.Refunded == "5.00" && got.Refunds[0].Status == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refund job did not settle the refund: %+v", e.fetchOrder(o.ID).Refunds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.checkMoneyAndStock()
}
