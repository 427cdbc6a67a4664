package web

import (
	"github.com/oms/oms/internal/testenv"

	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

const testWebhookSecret = "whsec_test_secret"

// newStripeEnv is newAPIEnv with Stripe configured against stripe-mock.
func newStripeEnv(t testing.TB) *apiEnv { return newStripeEnvWith(t, nil) }

// newStripeEnvWith lets a test change the service's configuration before it starts: tune
// gets stripe-mock's base URL and returns the one the gateway should use (a proxy in
// front of it, say).
func newStripeEnvWith(t testing.TB, tune func(base string, cfg *service.Config) string) *apiEnv {
	t.Helper()
	base := testenv.StripeMock(t)
	pool := testdb.New(t)
	cfg := service.Config{}
	if tune != nil {
		base = tune(base, &cfg)
	}
	cfg.Stripe = payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_123", APIBase: base, WebhookSecret: testWebhookSecret})
	svc := service.New(pool, cfg)
	s := New(Config{ShopName: "Test Shop"}, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(t, s.Handler())
	_, token, err := svc.CreateToken(context.Background(), "test")
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return &apiEnv{t: t, srv: srv, svc: svc, pool: pool, token: token}
}

// stripeEvent is a Stripe event about a PaymentIntent as the OMS asked for it (its id,
// amount and currency; a succeeded one received all of it), and its signature header.
func stripeEvent(t testing.TB, secret, id, typ string, pi paymentIntentJSON) ([]byte, string) {
	t.Helper()
	obj := map[string]any{"id": pi.ID, "object": "payment_intent", "status": "succeeded"}
	if pi.Amount != "" {
		minor, err := payment.ToMinor(decimal.RequireFromString(pi.Amount), pi.Currency)
		if err != nil {
			t.Fatal(err)
		}
		obj["amount"], obj["amount_received"], obj["currency"] = minor, minor, strings.ToLower(pi.Currency)
	}
	if typ == "payment_intent.payment_failed" {
		obj["status"], obj["amount_received"] = "requires_payment_method", 0
		obj["last_payment_error"] = map[string]any{"message": "Your card was declined."}
	}
	payload, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": stripe.APIVersion,
		"created": time.Now().Unix(), "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now(), Scheme: "v1"})
	return payload, signed.Header
}

// sendWebhook posts a Stripe event with its signature header (none when sig is "").
func (e *apiEnv) sendWebhook(payload []byte, sig string) apiResponse {
	e.t.Helper()
	return e.do("POST", "/webhooks/stripe", payload, "Stripe-Signature", sig, "Authorization", "")
}

// fetchOrder reads an order through the API.
func (e *apiEnv) fetchOrder(id string) orderJSON {
	e.t.Helper()
	var o orderJSON
	e.must(http.StatusOK, "GET", "/api/v1/orders/"+id, nil).JSON(e.t, &o)
	return o
}

// recordPayment records a manual payment and fails the test unless it is taken.
func (e *apiEnv) recordPayment(orderID, amount string) orderPaymentJSON {
	e.t.Helper()
	var p orderPaymentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+orderID+"/payments",
		map[string]any{"amount": amount, "gateway": "manual", "reference": "bank"}).JSON(e.t, &p)
	return p
}

// paidOrderOf creates an order for the SKU quantities and pays its total by hand.
func (e *apiEnv) paidOrderOf(email string, skuQty ...any) orderJSON {
	e.t.Helper()
	o := e.createOrder(orderBody(email, skuQty...))
	e.recordPayment(o.ID, o.Total)
	return e.fetchOrder(o.ID)
}

// deliveredOrderOf is a paid order, fully shipped and delivered.
func (e *apiEnv) deliveredOrderOf(email string, skuQty ...any) orderJSON {
	e.t.Helper()
	o := e.paidOrderOf(email, skuQty...)
	var f fulfillmentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments",
		map[string]any{"carrier": "UPS", "tracking_number": "1Z999"}).JSON(e.t, &f)
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f.ID+"/events",
		map[string]any{"status": "delivered", "description": "left at the door"})
	o = e.fetchOrder(o.ID)
	if o.Status != "delivered" {
		e.t.Fatalf("order %s is %s, want delivered", o.OrderNumber, o.Status)
	}
	return o
}

// historyKinds lists an order's changes (history without the customer emails about
// them, which notifications_test.go checks) as kind:status.
func historyKinds(o orderJSON) []string {
	var out []string
	for _, h := range changes(o) {
		out = append(out, h.Kind+":"+h.Status)
	}
	return out
}

// changes is an order's history without its notification rows.
func changes(o orderJSON) []historyJSON {
	var out []historyJSON
	for _, h := range o.History {
		if h.Kind != "notification" {
			out = append(out, h)
		}
	}
	return out
}

// checkMoneyAndStock audits every order and SKU: paid = sum of completed payments,
// refunded = sum of refunds <= paid, payment_status as derived, refund allocations add up,
// reserved = sum of open reservations, 0 <= reserved <= on_hand, returned <= fulfilled.
func (e *apiEnv) checkMoneyAndStock() {
	e.t.Helper()
	checks := map[string]string{
		"paid is the sum of completed payments": `SELECT order_number FROM orders o WHERE paid <>
			(SELECT coalesce(sum(amount), 0) FROM payments WHERE order_id = o.id AND status = 'completed')`,
		"refunded is the sum of succeeded refunds": `SELECT order_number FROM orders o WHERE refunded <>
			(SELECT coalesce(sum(a.amount), 0) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
			 WHERE p.order_id = o.id AND p.status = 'completed' AND a.status = 'succeeded')`,
		"refund_pending is the sum of pending refunds": `SELECT order_number FROM orders o WHERE refund_pending <>
			(SELECT coalesce(sum(a.amount), 0) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
			 WHERE p.order_id = o.id AND p.status = 'completed' AND a.status = 'pending')`,
		// paid may exceed the total: an edit that lowered it leaves a refund due, and money
		// paid again after a refund (what an order owes is counted on what it holds).
		"refunded + pending <= paid": `SELECT order_number FROM orders WHERE refunded + refund_pending > paid`,
		"refund allocations add up": `SELECT r.id::text FROM refunds r WHERE r.amount <>
			(SELECT coalesce(sum(amount), 0) FROM refund_allocations WHERE refund_id = r.id)`,
		"no payment refunded beyond its amount": `SELECT p.id::text FROM payments p WHERE p.amount <
			(SELECT coalesce(sum(amount), 0) FROM refund_allocations WHERE payment_id = p.id AND status <> 'failed')`,
		"payment_status as derived": `SELECT order_number FROM orders WHERE payment_status <> CASE
			WHEN paid = 0 THEN 'pending' WHEN refunded > 0 AND refunded >= paid THEN 'refunded'
			WHEN refunded > 0 THEN 'partially_refunded' WHEN paid >= total THEN 'completed' ELSE 'partially_paid' END`,
		"reserved is the sum of open reservations": `SELECT sku FROM inventory i WHERE reserved <>
			(SELECT coalesce(sum(quantity), 0) FROM inventory_reservations WHERE sku = i.sku AND status = 'reserved')`,
		"0 <= reserved <= on_hand":   `SELECT sku FROM inventory WHERE reserved < 0 OR reserved > on_hand`,
		"returned <= fulfilled":      `SELECT id::text FROM order_items WHERE returned_quantity > fulfilled_quantity`,
		"cancelled orders hold none": `SELECT r.id::text FROM inventory_reservations r JOIN orders o ON o.id = r.order_id WHERE o.status = 'cancelled' AND r.status = 'reserved'`,
	}
	for name, q := range checks {
		rows, err := e.pool.Query(context.Background(), q)
		if err != nil {
			e.t.Fatalf("%s: %v", name, err)
		}
		var bad []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				e.t.Fatal(err)
			}
			bad = append(bad, s)
		}
		rows.Close()
		if len(bad) > 0 {
			e.t.Errorf("invariant %q broken by %v", name, bad)
		}
	}
}

// scalar runs a query returning one value.
func (e *apiEnv) scalar(dst any, q string, args ...any) {
	e.t.Helper()
	if err := e.pool.QueryRow(context.Background(), q, args...).Scan(dst); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *apiEnv) mustCode(status int, code string, method, path string, body any, headers ...string) apiResponse {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.Status != status || r.ErrorCode() != code {
		e.t.Fatalf("%s %s: %d %s, want %d %s", method, path, r.Status, r.Body, status, code)
	}
	return r
}

// sendRefunds does what the refund job does for every refund still pending: sends it to
// its gateway and settles it from the answer.
func (e *apiEnv) sendRefunds() {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT DISTINCT refund_id FROM refund_allocations WHERE status = 'pending'`)
	if err != nil {
		e.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		e.t.Fatal(err)
	}
	for _, id := range ids {
		if err := e.svc.SendRefund(context.Background(), id); err != nil {
			e.t.Fatalf("send refund %s: %v", id, err)
		}
	}
}

// exec runs a statement behind the services' back (to age a row, say).
func (e *apiEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}
