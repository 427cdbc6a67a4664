package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
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
// one refund made twice). The change's transaction marks the key: the retry is told
// that its request was done but its answer lost (409 idempotency_key_answer_lost).
func TestRetryAfterTheProcessDiedDoesNotRefundTwice(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)
	o := e.paidOrderOf("ann@example.com", "TEE-M", 4) // 100.00
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30"}, "Idempotency-Key", "refund-1")
	// The process died before keeping the answer, long enough ago for its key to be
	// taken over.
	e.exec(`UPDATE request_replays SET state = 'running', status = 0, headers = '{}', body = '',
		created_at = now() - interval '1 hour', alive_at = now() - interval '1 hour'`)
	e.mustCode(http.StatusConflict, "idempotency_key_answer_lost",
		"POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30"}, "Idempotency-Key", "refund-1")
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

// An Idempotency-Key is text stored in PostgreSQL: one that is not valid UTF-8 is refused
// (400 bad_request naming the header) before anything is done or stored, on every POST.
func TestIdempotencyKeyThatIsNotTextIsRefused(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 5)
	o := e.paidOrderOf("key@example.com", "TEE-M", 1)
	orders := e.count("orders")
	for _, key := range []string{"\xff\xfe", "key-\xc3\x28"} {
		for _, r := range []apiResponse{
			e.do("POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "1.00"}, "Idempotency-Key", key),
			e.do("POST", "/api/v1/orders", orderBody("key@example.com", "TEE-M", 1), "Idempotency-Key", key),
		} {
			if r.Status != http.StatusBadRequest || r.ErrorCode() != "bad_request" || !strings.Contains(string(r.Body), `"Idempotency-Key"`) {
				t.Errorf("key %q: %d %s, want 400 bad_request naming Idempotency-Key", key, r.Status, r.Body)
			}
		}
	}
	if got := e.fetchOrder(o.ID); len(got.Refunds) != 0 || e.count("orders") != orders {
		t.Errorf("%d refunds, %d orders (want 0, %d): a refused request acted", len(got.Refunds), e.count("orders"), orders)
	}
}

// A one-time token stands for the whole form drawn: the same token with another set of
// orders is another form, refused (409), never answered with the first form's result
// while the new orders stay as they were; the same form again is replayed.
func TestOneTimeTokenCoversEveryValueOfAField(t *testing.T) {
	e := newPageEnv(t)
	fx := e.orders()
	a, b, c := fx.create("a@example.com", "A", 1), fx.create("b@example.com", "B", 1), fx.create("c@example.com", "C", 1)
	support := e.loggedIn(domain.RoleSupport)
	support.get("/orders")
	form := func(ids ...string) url.Values {
		return url.Values{"ids": ids, "confirmed": {"1"}, "reason": {"customer asked"}, "_once": {"tok-bulk"}}
	}
	first := support.post("/orders/bulk/cancel", form(a.ID, b.ID))
	expectStatus(t, first, http.StatusSeeOther)
	other := support.post("/orders/bulk/cancel", form(a.ID, c.ID))
	if other.Header.Get("Idempotent-Replayed") == "true" || other.Status != http.StatusConflict {
		t.Fatalf("the same token with other orders: %d (replayed %q), want 409 and no replay",
			other.Status, other.Header.Get("Idempotent-Replayed"))
	}
	again := support.post("/orders/bulk/cancel", form(a.ID, b.ID))
	if again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("the same form again: %d %q, want the first answer replayed (%q)", again.Status, again.Header.Get("Location"), first.Header.Get("Location"))
	}
	progress := strings.Split(first.Header.Get("Location"), "?")[0]
	if err := e.svc.RunBulkCancel(t.Context(), uuid.MustParse(strings.TrimPrefix(progress, "/orders/bulk/"))); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]domain.Status{a.ID: domain.StatusCancelled, b.ID: domain.StatusCancelled, c.ID: c.Status} {
		if got, err := e.svc.GetOrder(t.Context(), id); err != nil || got.Status != want {
			t.Errorf("order %s: %s (%v), want %s", got.Number, got.Status, err, want)
		}
	}
}

// The form's hash covers every value of every field, in the order sent within a field
// and in any order across fields.
func TestFormHashCoversEveryValue(t *testing.T) {
	h := func(q string) string {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		return string(formHash("/orders/bulk/cancel", v))
	}
	same := [][2]string{
		{"ids=A&ids=B&reason=x", "reason=x&ids=A&ids=B"},
		{"ids=A&_csrf=1", "ids=A&_csrf=2"},
	}
	for _, p := range same {
		if h(p[0]) != h(p[1]) {
			t.Errorf("%q and %q hash differently", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"ids=A&ids=B", "ids=A&ids=C"},
		{"ids=A&ids=B", "ids=B&ids=A"},
		{"ids=A&ids=B", "ids=A"},
		{"ids=A&ids=B", "ids=A%26ids%3DB"},
		{"ids=A,B", "ids=A&ids=B"},
		{"a=1&b=", "a=1"},
	}
	for _, p := range differ {
		if h(p[0]) == h(p[1]) {
			t.Errorf("%q and %q hash the same", p[0], p[1])
		}
	}
}

// A request that runs longer than the stale time is still running: a retry with its key
// is told so (409 idempotency_key_in_use) instead of running it a second time, and once
// the first is done, the retry gets its answer.
func TestIdempotencyKeyOfARunningRequestIsNotTakenOver(t *testing.T) {
	const stale = 300 * time.Millisecond
	e := newStripeEnvWith(t, func(base string, cfg *service.Config) string {
		cfg.ReplayStale, cfg.ReplayWait = stale, 200*time.Millisecond
		return base
	})
	e.product("TEE-M", "25.00", 50)
	o := e.paidOrderOf("ann@example.com", "TEE-M", 4) // 100.00
	refund := func() apiResponse {
		return e.do("POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30", "reason": "late"}, "Idempotency-Key", "slow-1")
	}

	// The test holds the order's row lock: the first request waits for it, a slow request.
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // released below
	if _, err := tx.Exec(ctx, `SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, o.ID); err != nil {
		t.Fatal(err)
	}
	first, retry := make(chan apiResponse, 1), make(chan apiResponse, 1)
	go func() { first <- refund() }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var claimed int
		e.scalar(&claimed, `SELECT count(*) FROM request_replays WHERE key = 'slow-1'`)
		if claimed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first request never claimed its key")
		}
	}
	time.Sleep(4 * stale)
	go func() { retry <- refund() }()
	var r apiResponse
	select {
	case r = <-retry:
	case <-time.After(5 * time.Second): // it took the key over and waits for the lock too
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Status == 0 {
		r = <-retry
	}
	f := <-first
	if r.Status != http.StatusConflict || r.ErrorCode() != "idempotency_key_in_use" {
		t.Errorf("retry while the first runs: %d %s, want 409 idempotency_key_in_use", r.Status, r.Body)
	}
	if f.Status != http.StatusCreated {
		t.Fatalf("first request: %d %s", f.Status, f.Body)
	}
	again := refund()
	if again.Status != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(f.Body) {
		t.Errorf("retry after the first finished: %d %s, want its answer replayed", again.Status, again.Body)
	}
	if got := e.fetchOrder(o.ID); len(got.Refunds) != 1 || got.Refunded != "30.00" {
		t.Fatalf("%d refunds, refunded %s: the slow request ran twice", len(got.Refunds), got.Refunded)
	}
}
