package web

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// 20 identical refund requests at once with one Idempotency-Key make one refund: the
// first runs, the others wait for it and get its answer; the same key with another body
// is refused; a key is the client's own.
func TestIdempotencyKeyMakesOneRefund(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 50)
	o := e.paidOrderOf("ann@example.com", "TEE-M", 4) // 100.00
	const n = 20
	answers := make([]apiResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i] = e.do("POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30", "reason": "late"},
				"Idempotency-Key", "refund-late-1")
		})
	}
	wg.Wait()
	replayed := 0
	for i, a := range answers {
		if a.Status != http.StatusCreated || string(a.Body) != string(answers[0].Body) {
			t.Fatalf("answer %d: %d %s, want the first answer (%s)", i, a.Status, a.Body, answers[0].Body)
		}
		if a.Header.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}
	if replayed != n-1 {
		t.Errorf("%d answers replayed, want %d", replayed, n-1)
	}
	got := e.fetchOrder(o.ID)
	if len(got.Refunds) != 1 || got.Refunded != "30.00" {
		t.Fatalf("%d refunds, refunded %s: want one refund of 30.00", len(got.Refunds), got.Refunded)
	}
	e.mustCode(http.StatusConflict, "idempotency_key_reused", "POST", "/api/v1/orders/"+o.ID+"/refunds",
		map[string]any{"amount": "31"}, "Idempotency-Key", "refund-late-1")

	// A refused request is not remembered: corrected, it runs with the same key.
	e.mustCode(http.StatusUnprocessableEntity, "refund_exceeds_paid", "POST", "/api/v1/orders/"+o.ID+"/refunds",
		map[string]any{"amount": "999"}, "Idempotency-Key", "refund-2")
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "10"}, "Idempotency-Key", "refund-2")
	if got := e.fetchOrder(o.ID); len(got.Refunds) != 2 || got.Refunded != "40.00" {
		t.Fatalf("%d refunds, refunded %s", len(got.Refunds), got.Refunded)
	}
	e.checkMoneyAndStock()
}

// A process killed after a request's change committed and before it kept the answer
// (SIGKILL between the two) leaves the key as if the request still ran; the client's
// retry, once the key is taken over, must not make the change again. Noticed while
// building the torture driver's kill fault (a kill at that moment reads to the model as
// one refund made twice); the answer is kept apart from the change's transaction.
func TestRetryAfterTheProcessDiedDoesNotRefundTwice(t *testing.T) {
	t.Skip("BUG: a request's answer is kept after its change commits, in another transaction (web/idempotency.go replayable): killed between the two, its key is taken over by the retry, which makes the change again (a second refund); noticed while building the torture driver's kill fault")
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	o := e.paidOrderOf("ann@example.com", "TEE-M", 4) // 100.00
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30"}, "Idempotency-Key", "refund-1")
	// The process died before keeping the answer, long enough ago for its key to be
	// taken over.
	e.exec(`UPDATE request_replays SET state = 'running', status = 0, headers = '{}', body = '', created_at = now() - interval '1 hour'`)
	e.do("POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30"}, "Idempotency-Key", "refund-1")
	if got := e.fetchOrder(o.ID); len(got.Refunds) != 1 || got.Refunded != "30.00" {
		t.Fatalf("%d refunds, refunded %s: the retry of one refund must not refund again", len(got.Refunds), got.Refunded)
	}
}

// A double click on "Yes, refund" sends the confirm form twice with one one-time token:
// one refund, and both answers take the user back to the order.
func TestConfirmFormActsOncePerToken(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	b := e.loggedIn(domain.RoleSupport)
	b.get("/orders/" + o.Number + "/refund")
	form := url.Values{"amount": {"10"}, "reason": {"damaged"}, "confirmed": {"1"}, "_once": {"tok-1"}}
	first, second := b.post("/orders/"+o.Number+"/refund", form), b.post("/orders/"+o.Number+"/refund", form)
	for _, p := range []page{first, second} {
		expectStatus(t, p, http.StatusSeeOther)
	}
	if second.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the second submit was not a replay")
	}
	got, err := e.svc.GetOrder(t.Context(), o.Number)
	if err != nil || len(got.Refunds) != 1 {
		t.Fatalf("%d refunds (%v), want 1", len(got.Refunds), err)
	}
	form.Set("_once", "tok-2")
	expectStatus(t, b.post("/orders/"+o.Number+"/refund", form), http.StatusSeeOther)
	if got, _ = e.svc.GetOrder(t.Context(), o.Number); len(got.Refunds) != 2 {
		t.Fatalf("a new form (new token) refunds again: %d refunds, want 2", len(got.Refunds))
	}
}
