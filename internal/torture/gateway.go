package torture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// webhookSecret signs the Stripe events the driver sends (STRIPE_WEBHOOK_SECRET).
const webhookSecret = "whsec_torture"

// gateway stands between the OMS and stripe-mock and plays the payment network: it knows
// which intents a customer paid (so that cancelling a paid intent answers succeeded, as
// Stripe does), answers refunds as cards do (most at once, some pending for a while,
// some refused, a few with a failure the job must retry), keeps Stripe's idempotency
// (the same key gets the same refund), and later tells the OMS how pending refunds
// ended, through signed refund.updated events, sometimes twice.
type gateway struct {
	seed    int64
	srv     *httptest.Server
	mock    *httputil.ReverseProxy
	mockURL string

	mu      sync.Mutex
	intents map[string]string // PaymentIntent id -> open, succeeded, canceled
	refunds map[string]*gwRefund
	byID    map[string]*gwRefund
	events  atomic.Int64
}

// gwRefund is a refund as the gateway has it.
type gwRefund struct {
	key    string // the OMS's idempotency key: oms-refund-<refund>-<payment>
	id     string // re_...
	body   []byte // the first answer, given again for the same key
	status string // what Stripe says now: pending, succeeded, failed
	final  string // how a pending one ends
	told   int    // refund.updated events sent about it
	since  time.Time
}

func newGateway(mockURL string, seed int64) *gateway {
	u, _ := url.Parse(mockURL)
	g := &gateway{seed: seed, mockURL: mockURL, mock: httputil.NewSingleHostReverseProxy(u),
		intents: map[string]string{}, refunds: map[string]*gwRefund{}, byID: map[string]*gwRefund{}}
	g.mock.ModifyResponse = g.intentAnswer
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	return g
}

func (g *gateway) close() { g.srv.Close() }

// roll is a number in [0, 100) fixed by the seed and what it is about, so that a refund
// gets the same fate however often the OMS asks.
func (g *gateway) roll(what string) int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", g.seed, what)
	return int(h.Sum64() % 100)
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		g.createRefund(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/refunds/"):
		g.mu.Lock()
		rf := g.byID[strings.TrimPrefix(r.URL.Path, "/v1/refunds/")]
		var body []byte
		if rf != nil {
			body = withStatus(rf.body, rf.status)
		}
		g.mu.Unlock()
		if rf == nil {
			http.Error(w, `{"error":{"type":"invalid_request_error","message":"No such refund"}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	default:
		g.mock.ServeHTTP(w, r)
	}
}

// intentAnswer records new intents and answers a cancellation as the intent stands.
func (g *gateway) intentAnswer(resp *http.Response) error {
	req := resp.Request
	if req.Method != http.MethodPost || !strings.HasPrefix(req.URL.Path, "/v1/payment_intents") || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pi struct{ ID string }
	_ = json.Unmarshal(body, &pi)
	g.mu.Lock()
	if req.URL.Path == "/v1/payment_intents" {
		g.intents[pi.ID] = "open"
	} else if id, ok := strings.CutSuffix(strings.TrimPrefix(req.URL.Path, "/v1/payment_intents/"), "/cancel"); ok {
		if g.intents[id] != "succeeded" {
			g.intents[id] = "canceled"
		}
		body = withStatus(body, g.intents[id])
	}
	g.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// pay records that the customer paid an intent: false when it was cancelled first (a
// cancelled intent takes no money).
func (g *gateway) pay(intent string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.intents[intent] == "canceled" {
		return false
	}
	g.intents[intent] = "succeeded"
	return true
}

// cancel cancels an open intent at the customer's side (the storefront gave up).
func (g *gateway) cancel(intent string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.intents[intent] == "succeeded" {
		return false
	}
	g.intents[intent] = "canceled"
	return true
}

// createRefund answers POST /v1/refunds: the same key gets the same refund; a new one is
// made by stripe-mock and given its fate.
func (g *gateway) createRefund(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	refundOf := strings.TrimPrefix(key, "oms-refund-") // <refund id>-<payment id>: 36 characters each
	refundOf = refundOf[:min(36, len(refundOf))]
	g.mu.Lock()
	if rf := g.refunds[key]; rf != nil {
		body := withStatus(rf.body, rf.status)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
		return
	}
	g.mu.Unlock()
	// Every part of one refund meets the same fate: the model settles a refund whole.
	fate := g.roll("refund/" + refundOf)
	if g.roll("transient/"+key) < 5 { // a failure the job retries, once
		g.mu.Lock()
		first := g.refunds["transient/"+key] == nil
		if first {
			g.refunds["transient/"+key] = &gwRefund{}
		}
		g.mu.Unlock()
		if first {
			http.Error(w, `{"error":{"type":"api_error","message":"torture: try again"}}`, http.StatusInternalServerError)
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest(http.MethodPost, g.mockURL+"/v1/refunds", bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	var re struct{ ID string }
	_ = json.Unmarshal(answer, &re)
	rf := &gwRefund{key: key, id: re.ID, body: answer, since: time.Now()}
	switch {
	case fate < 65:
		rf.status = "succeeded"
	case fate < 75:
		rf.status, rf.final = "pending", "succeeded"
	case fate < 85:
		rf.status, rf.final = "pending", "failed"
	default:
		rf.status = "failed"
	}
	status := rf.status
	g.mu.Lock()
	g.refunds[key], g.byID[rf.id] = rf, rf
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	w.Write(withStatus(answer, status))
}

// withStatus is a Stripe object's JSON with its status (and a failed refund's reason).
func withStatus(body []byte, status string) []byte {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	obj["status"] = status
	if status == "failed" && obj["object"] == "refund" {
		obj["failure_reason"] = "expired_or_canceled_card"
	}
	out, _ := json.Marshal(obj)
	return out
}

// settling are the pending refunds due to be told about (pending for at least after),
// and those told once already to be told again (Stripe sends an event more than once).
func (g *gateway) settling(after time.Duration) []*gwRefund {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*gwRefund
	for key, rf := range g.refunds {
		if strings.HasPrefix(key, "transient/") || rf.final == "" || time.Since(rf.since) < after || rf.told >= 2 {
			continue
		}
		rf.status = rf.final
		rf.told++
		rf.since = time.Now()
		out = append(out, rf)
	}
	return out
}

// event is a new Stripe event of typ about obj, with its id.
func (g *gateway) event(typ string, obj map[string]any) (string, []byte) {
	id := fmt.Sprintf("evt_torture_%d_%d", g.seed, g.events.Add(1))
	payload, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": stripe.APIVersion,
		"created": time.Now().Unix(), "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		panic(err)
	}
	return id, payload
}

// sign is the Stripe-Signature of a delivery of payload now: Stripe signs each delivery
// anew, and a signature older than five minutes is refused.
func sign(payload []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: webhookSecret,
		Timestamp: time.Now(), Scheme: "v1"}).Header
}

// intentEvent is the object of a payment_intent.* event about an intent for amount (USD,
// the shop's currency): a success says it received all of it, as Stripe does.
func intentEvent(intent, kind string, amount decimal.Decimal) (string, map[string]any) {
	obj := map[string]any{"id": intent, "object": "payment_intent", "status": "succeeded",
		"amount": amount.Shift(2).IntPart(), "amount_received": amount.Shift(2).IntPart(), "currency": "usd"}
	switch kind {
	case "failed":
		obj["status"], obj["amount_received"] = "requires_payment_method", 0
		obj["last_payment_error"] = map[string]any{"message": "Your card was declined."}
		return "payment_intent.payment_failed", obj
	case "canceled":
		obj["status"], obj["amount_received"] = "canceled", 0
		return "payment_intent.canceled", obj
	}
	return "payment_intent.succeeded", obj
}
