package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
)

// etag reads an answer's ETag as a version, failing the test unless it is one.
func etag(t testing.TB, r apiResponse) int64 {
	t.Helper()
	raw := r.Header.Get("ETag")
	v, err := strconv.ParseInt(strings.Trim(raw, `"`), 10, 64)
	if err != nil || raw != strconv.Quote(strconv.FormatInt(v, 10)) {
		t.Fatalf("ETag %q is not a quoted version: %.300s", raw, r.Body)
	}
	return v
}

// tag is the ETag of version v.
func tag(v int64) string { return strconv.Quote(strconv.FormatInt(v, 10)) }

// versionOf reads an order's version from the database (not through the API).
func (e *apiEnv) versionOf(id string) int64 {
	e.t.Helper()
	var v int64
	e.scalar(&v, `SELECT version FROM orders WHERE id = $1`, id)
	return v
}

// historyLen counts an order's history rows.
func (e *apiEnv) historyLen(id string) int {
	e.t.Helper()
	var n int
	e.scalar(&n, `SELECT count(*) FROM order_history WHERE order_id = $1`, id)
	return n
}

// Every kind of change, by staff, an integration, a customer, Stripe and the jobs, adds
// exactly one to the order's version, whatever it writes in its transaction; what
// changes nothing (a repeated or late Stripe event, tags or a patch that are as they
// were) adds nothing. Each change's history rows carry the version it made, and each
// answer's ETag is that version.
func TestEveryChangeAddsOneToTheVersion(t *testing.T) {
	e := newStripeEnv(t)
	ctx := context.Background()
	e.product("TEE-M", "20.00", 50)
	e.product("MUG", "10.00", 50)
	staff, err := e.svc.CreateStaffUser(ctx, "ann@example.com", "Ann", domain.RoleAdmin, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	ann := domain.Actor{Type: domain.ActorStaff, ID: staff.ID, Name: staff.Email}

	var id string
	var want int64
	// step runs change and checks that it made the order's version grow by delta (and,
	// given an answer, that its ETag says the version after it).
	step := func(what string, delta int64, change func() *apiResponse) {
		t.Helper()
		histBefore := e.historyLen(id)
		r := change()
		want += delta
		if got := e.versionOf(id); got != want {
			t.Fatalf("%s: version %d, want %d", what, got, want)
		}
		if r != nil {
			if got := etag(t, *r); got != want {
				t.Errorf("%s: ETag %d, want %d", what, got, want)
			}
		}
		var stray int
		e.scalar(&stray, `SELECT count(*) FROM (SELECT * FROM order_history WHERE order_id = $1 ORDER BY id OFFSET $2) h
			WHERE kind <> 'notification' AND version IS DISTINCT FROM $3`, id, histBefore, want)
		if stray > 0 {
			t.Errorf("%s: %d of its history rows do not carry version %d", what, stray, want)
		}
	}
	api := func(status int, method, path string, body any) func() *apiResponse {
		return func() *apiResponse {
			r := e.must(status, method, path, body)
			return &r
		}
	}
	stripeEv := func(evID, typ string, pi paymentIntentJSON) func() *apiResponse {
		return func() *apiResponse {
			payload, sig := stripeEvent(t, testWebhookSecret, evID, typ, pi)
			e.must(http.StatusOK, "POST", "/webhooks/stripe", payload, "Stripe-Signature", sig)
			return nil
		}
	}
	noErr := func(err error) *apiResponse {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return nil
	}

	r := e.must(http.StatusCreated, "POST", "/api/v1/orders", orderBody("bob@example.com", "TEE-M", 2))
	var o orderJSON
	r.JSON(t, &o)
	id, want = o.ID, 1
	if o.Version != 1 || etag(t, r) != 1 {
		t.Fatalf("a new order is at version %d (ETag %q), want 1", o.Version, r.Header.Get("ETag"))
	}
	orders := "/api/v1/orders/" + id
	step("patch", 1, api(200, "PATCH", orders, map[string]any{"notes": "leave at the door"}))
	step("patch changing nothing", 0, api(200, "PATCH", orders, map[string]any{"notes": "leave at the door"}))
	step("edit", 1, api(200, "POST", orders+"/edits", map[string]any{"add": []any{map[string]any{"sku": "MUG", "quantity": 1}}, "reason": "asked"}))
	step("tags", 1, api(200, "PUT", orders+"/tags", map[string]any{"tags": []string{"vip"}}))
	step("the same tags", 0, api(200, "PUT", orders+"/tags", map[string]any{"tags": []string{"vip"}}))
	step("hold", 1, api(200, "POST", orders+"/hold", map[string]any{"reason": "check address"}))
	step("release", 1, api(200, "POST", orders+"/release", map[string]any{}))
	step("comment", 1, func() *apiResponse {
		_, err := e.svc.AddComment(ctx, ann, id, "called the customer")
		return noErr(err)
	})
	step("transition", 1, api(200, "POST", orders+"/transitions", map[string]any{"status": "pending"}))
	step("part payment", 1, api(201, "POST", orders+"/payments", map[string]any{"amount": "10.00"}))
	var pi paymentIntentJSON
	step("payment intent", 1, func() *apiResponse {
		r := e.must(http.StatusCreated, "POST", orders+"/payment_intents", map[string]any{})
		r.JSON(t, &pi)
		return &r
	})
	step("card declined", 1, stripeEv("evt_1", "payment_intent.payment_failed", pi))
	step("the same event again", 0, stripeEv("evt_1", "payment_intent.payment_failed", pi))
	step("card paid: payment, pending -> paid", 1, stripeEv("evt_2", "payment_intent.succeeded", pi))
	step("a late success of it", 0, stripeEv("evt_3", "payment_intent.succeeded", pi))
	step("a late failure of it", 0, stripeEv("evt_4", "payment_intent.payment_failed", pi))
	o = e.fetchOrder(id)
	var f fulfillmentJSON
	step("partial fulfillment (processing)", 1, func() *apiResponse {
		r := e.must(http.StatusCreated, "POST", orders+"/fulfillments", map[string]any{"items": []any{
			map[string]any{"order_item_id": o.Items[0].ID, "quantity": 2}}})
		r.JSON(t, &f)
		return &r
	})
	events := "/api/v1/fulfillments/" + f.ID + "/events"
	step("tracking event that moves the shipment", 1, api(201, "POST", events, map[string]any{"status": "in_transit"}))
	step("tracking event that does not", 1, api(201, "POST", events, map[string]any{"status": "in_transit", "description": "hub"}))
	var f2 fulfillmentJSON
	step("last fulfillment (shipped)", 1, func() *apiResponse {
		r := e.must(http.StatusCreated, "POST", orders+"/fulfillments", map[string]any{})
		r.JSON(t, &f2)
		return &r
	})
	step("first shipment delivered", 1, api(201, "POST", events, map[string]any{"status": "delivered"}))
	step("last shipment delivered (order delivered)", 1, api(201, "POST", "/api/v1/fulfillments/"+f2.ID+"/events", map[string]any{"status": "delivered"}))
	// A refund before shipping would leave the order owing what it gave back: after.
	step("card refund sent", 1, api(201, "POST", orders+"/refunds", map[string]any{"amount": "5.00"}))
	step("card refund settled by the job", 1, func() *apiResponse { e.sendRefunds(); return nil })
	step("settled again: nothing", 0, func() *apiResponse { e.sendRefunds(); return nil })
	var ret orderReturnJSON
	step("return requested", 1, func() *apiResponse {
		r := e.must(http.StatusCreated, "POST", orders+"/returns", map[string]any{"items": []any{line(o.Items[0].ID, 1)}})
		r.JSON(t, &ret)
		return &r
	})
	step("return approved (returned, refund sent)", 1, api(200, "POST", "/api/v1/returns/"+ret.ID+"/approve", map[string]any{}))
	step("its refund settled", 1, func() *apiResponse { e.sendRefunds(); return nil })
	step("return received and restocked", 1, api(200, "POST", "/api/v1/returns/"+ret.ID+"/receive", map[string]any{"restock": true}))
	step("customer's own return request", 1, func() *apiResponse {
		r := e.customerReturn(o.OrderNumber, "bob@example.com", fmt.Sprintf(`{"items": [{"item_id": %q, "quantity": 1}]}`, o.Items[1].ID))
		if r.Status != http.StatusCreated {
			t.Fatalf("customer return: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &ret)
		return nil
	})
	step("return rejected", 1, api(200, "POST", "/api/v1/returns/"+ret.ID+"/reject", map[string]any{"note": "worn"}))

	// Cancelling with a refund: status, stock and money in one transaction.
	o = e.paidOrderOf("cat@example.com", "MUG", 1)
	id, want = o.ID, o.Version
	step("cancel with refund", 1, api(200, "POST", "/api/v1/orders/"+id+"/cancel", map[string]any{"refund": true}))

	// Expiry, and an intent cancelled by its job, then succeeding anyway (unapplied).
	o = e.createOrder(orderBody("gone@example.com", "MUG", 1))
	id, want = o.ID, 1
	step("payment intent", 1, func() *apiResponse { pi = e.stripeIntent(id); return nil })
	e.exec(`UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = $1`, id)
	cutoff := time.Now().Add(-time.Hour)
	step("expiry waits for the intent", 0, func() *apiResponse { _, err := e.svc.ExpireReservations(ctx, cutoff, 10); return noErr(err) })
	step("intent cancelled by its job", 1, func() *apiResponse {
		_, err := e.svc.CancelExpiredIntents(ctx, cutoff, 10)
		noErr(err)
		e.workCancelIntents()
		return nil
	})
	step("expired", 1, func() *apiResponse { _, err := e.svc.ExpireReservations(ctx, cutoff, 10); return noErr(err) })
	step("money after the end: unapplied, refunded", 1, stripeEv("evt_5", "payment_intent.succeeded", pi))

	// Bulk actions: one change of each order.
	o = e.createOrder(orderBody("dan@example.com", "MUG", 1))
	id, want = o.ID, 1
	step("bulk tag", 1, func() *apiResponse {
		_, err := e.svc.BulkTag(ctx, ann, []string{id}, "wholesale", false)
		return noErr(err)
	})
	step("bulk status", 1, func() *apiResponse {
		_, err := e.svc.BulkTransition(ctx, ann, []string{id}, domain.StatusPending, "")
		return noErr(err)
	})
	step("bulk cancel (its job)", 1, func() *apiResponse {
		b, err := e.svc.StartBulkCancel(ctx, ann, []string{id, uuid.NewString()}, "duplicate", false)
		noErr(err)
		return noErr(e.svc.RunBulkCancel(ctx, uuid.MustParse(b.ID)))
	})
	step("bulk cancel refusing it", 0, func() *apiResponse {
		b, err := e.svc.StartBulkCancel(ctx, ann, []string{id}, "again", false)
		noErr(err)
		return noErr(e.svc.RunBulkCancel(ctx, uuid.MustParse(b.ID)))
	})
	e.checkMoneyAndStock()
	rep, err := e.svc.Audit(ctx)
	if err != nil || len(rep.Violations) > 0 {
		t.Errorf("oms check: %v %v", err, rep.Violations)
	}
}

// Every answer about one order says its version as ETag, also the orders list's and a
// return's; the JSON's version is the same number.
func TestOrderAnswersCarryTheVersionAsETag(t *testing.T) {
	e := newAPIEnv(t)
	e.product("MUG", "10.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "MUG", 2))
	r := e.must(http.StatusOK, "GET", "/api/v1/orders/"+o.OrderNumber, nil)
	r.JSON(t, &o)
	if etag(t, r) != 1 || o.Version != 1 {
		t.Fatalf("GET: ETag %s, version %d", r.Header.Get("ETag"), o.Version)
	}
	r = e.must(http.StatusOK, "PUT", "/api/v1/orders/"+o.ID+"/tags", map[string]any{"tags": []string{"gift"}})
	r.JSON(t, &o)
	if etag(t, r) != 2 || o.Version != 2 {
		t.Fatalf("tags: ETag %s, version %d", r.Header.Get("ETag"), o.Version)
	}
	var list orderListJSON
	e.must(http.StatusOK, "GET", "/api/v1/orders?tag=gift", nil).JSON(t, &list)
	if len(list.Orders) != 1 || list.Orders[0].Version != 2 {
		t.Fatalf("list: %+v", list.Orders)
	}
}

// If-Match: a write to an order that changed since the version it names writes nothing
// and answers 412 with the order as it is (and its ETag); a weak tag never matches; the
// current version, a list holding it, or * let the write through. For every write of
// one order.
func TestIfMatchRefusesWritesToAChangedOrder(t *testing.T) {
	e := newStripeEnv(t)
	e.product("MUG", "10.00", 100)
	mug := func(email string) orderJSON { return e.createOrder(orderBody(email, "MUG", 2)) }
	type write struct {
		name, method, path string
		body               any
		order              string
	}
	cases := []func() write{
		func() write {
			o := mug("a@example.com")
			return write{"patch", "PATCH", "/api/v1/orders/" + o.ID, map[string]any{"notes": "x"}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"edit", "POST", "/api/v1/orders/" + o.ID + "/edits", map[string]any{"add": []any{map[string]any{"sku": "MUG", "quantity": 1}}, "reason": "r"}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"transition", "POST", "/api/v1/orders/" + o.ID + "/transitions", map[string]any{"status": "pending"}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"payment", "POST", "/api/v1/orders/" + o.ID + "/payments", map[string]any{"amount": "1.00"}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"payment intent", "POST", "/api/v1/orders/" + o.ID + "/payment_intents", map[string]any{}, o.ID}
		},
		func() write {
			o := e.paidOrderOf("a@example.com", "MUG", 1)
			return write{"refund", "POST", "/api/v1/orders/" + o.ID + "/refunds", map[string]any{"amount": "1.00"}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"cancel", "POST", "/api/v1/orders/" + o.ID + "/cancel", map[string]any{}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"tags", "PUT", "/api/v1/orders/" + o.ID + "/tags", map[string]any{"tags": []string{"vip"}}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			return write{"hold", "POST", "/api/v1/orders/" + o.ID + "/hold", map[string]any{"reason": "r"}, o.ID}
		},
		func() write {
			o := mug("a@example.com")
			e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "r"})
			return write{"release", "POST", "/api/v1/orders/" + o.ID + "/release", map[string]any{}, o.ID}
		},
		func() write {
			o := e.paidOrderOf("a@example.com", "MUG", 1)
			return write{"fulfillment", "POST", "/api/v1/orders/" + o.ID + "/fulfillments", map[string]any{}, o.ID}
		},
		func() write {
			o := e.paidOrderOf("a@example.com", "MUG", 1)
			var f fulfillmentJSON
			e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{}).JSON(t, &f)
			return write{"tracking event", "POST", "/api/v1/fulfillments/" + f.ID + "/events", map[string]any{"status": "delivered"}, o.ID}
		},
		func() write {
			o := e.deliveredOrderOf("a@example.com", "MUG", 1)
			return write{"return", "POST", "/api/v1/orders/" + o.ID + "/returns", map[string]any{"items": []any{line(o.Items[0].ID, 1)}}, o.ID}
		},
		func() write {
			o := e.deliveredOrderOf("a@example.com", "MUG", 1)
			r := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
			return write{"approve", "POST", "/api/v1/returns/" + r.ID + "/approve", map[string]any{}, o.ID}
		},
		func() write {
			o := e.deliveredOrderOf("a@example.com", "MUG", 1)
			r := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
			return write{"reject", "POST", "/api/v1/returns/" + r.ID + "/reject", map[string]any{}, o.ID}
		},
		func() write {
			o := e.deliveredOrderOf("a@example.com", "MUG", 1)
			r := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
			e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/approve", map[string]any{})
			return write{"receive", "POST", "/api/v1/returns/" + r.ID + "/receive", map[string]any{"restock": true}, o.ID}
		},
	}
	for _, setup := range cases {
		w := setup()
		t.Run(w.name, func(t *testing.T) {
			v, hist := e.versionOf(w.order), e.historyLen(w.order)
			for _, stale := range []string{tag(v - 1), `W/` + tag(v), tag(v + 1)} {
				r := e.do(w.method, w.path, w.body, "If-Match", stale)
				if r.Status != http.StatusPreconditionFailed || r.ErrorCode() != "precondition_failed" {
					t.Fatalf("If-Match %s at version %d: %d %.300s", stale, v, r.Status, r.Body)
				}
				var b staleBody
				r.JSON(t, &b)
				if b.Order.ID != w.order || b.Order.Version != v || etag(t, r) != v {
					t.Errorf("412 body's order %s at version %d, ETag %s; want %s at %d", b.Order.ID, b.Order.Version, r.Header.Get("ETag"), w.order, v)
				}
				if e.versionOf(w.order) != v || e.historyLen(w.order) != hist {
					t.Fatalf("If-Match %s: the order changed (version %d, history %d rows, was %d)", stale, e.versionOf(w.order), e.historyLen(w.order), hist)
				}
			}
			r := e.do(w.method, w.path, w.body, "If-Match", tag(v+7)+", "+tag(v))
			if r.Status >= 300 || etag(t, r) != v+1 || e.versionOf(w.order) != v+1 {
				t.Fatalf("If-Match naming version %d: %d (ETag %s, version %d) %.300s", v, r.Status, r.Header.Get("ETag"), e.versionOf(w.order), r.Body)
			}
		})
	}

	t.Run("AnyVersion", func(t *testing.T) {
		o := mug("a@example.com")
		r := e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "r"}, "If-Match", "*")
		if etag(t, r) != 2 {
			t.Errorf("ETag %s", r.Header.Get("ETag"))
		}
	})

	t.Run("ErrBadRequestForWhatIsNotAVersionTag", func(t *testing.T) {
		o := mug("a@example.com")
		for _, bad := range []string{"", " ", "1", `"one"`, `"1`, `1"`, `"`, `W/1`, `"1",`, `"-1"`, `"1.0"`, `"1", *`} {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/orders/"+o.ID+"/hold", strings.NewReader(`{"reason": "r"}`))
			req.Header.Set("Authorization", "Bearer "+e.token)
			req.Header.Set("Content-Type", "application/json")
			req.Header["If-Match"] = []string{bad}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("If-Match %q: %d, want 400", bad, resp.StatusCode)
			}
		}
		if v := e.versionOf(o.ID); v != 1 {
			t.Errorf("version %d after bad requests", v)
		}
	})

	t.Run("BulkWritesIgnoreIt", func(t *testing.T) {
		o := mug("a@example.com")
		var res bulkResultJSON
		e.must(http.StatusOK, "POST", "/api/v1/orders/bulk/status", map[string]any{"order_ids": []string{o.ID}, "status": "pending"},
			"If-Match", tag(99)).JSON(t, &res)
		if e.versionOf(o.ID) != 2 {
			t.Errorf("bulk status with If-Match: %+v, version %d", res, e.versionOf(o.ID))
		}
	})
}

// The check is made under the order's lock: of many writes naming the same version at
// once, exactly one is made; the others are refused, and the order is one version on.
func TestIfMatchLetsOneOfConcurrentWritesThrough(t *testing.T) {
	e := newAPIEnv(t)
	e.product("MUG", "10.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "MUG", 1))
	const n = 12
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			r := e.do("PUT", "/api/v1/orders/"+o.ID+"/tags", map[string]any{"tags": []string{fmt.Sprintf("t%d", i)}}, "If-Match", tag(1))
			statuses[i] = r.Status
		})
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusPreconditionFailed:
			refused++
		}
	}
	if o = e.fetchOrder(o.ID); ok != 1 || refused != n-1 || o.Version != 2 || len(o.Tags) != 1 {
		t.Fatalf("%d made, %d refused of %d; version %d, tags %v: want 1 made at version 2", ok, refused, n, o.Version, o.Tags)
	}
}

// A retry with the request's Idempotency-Key gets the first answer, its ETag too, even
// though the version its If-Match named is now stale.
func TestIdempotentReplayKeepsTheETag(t *testing.T) {
	e := newAPIEnv(t)
	e.product("MUG", "10.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "MUG", 1))
	first := e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "r"}, "If-Match", tag(1), "Idempotency-Key", "k1")
	again := e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "r"}, "If-Match", tag(1), "Idempotency-Key", "k1")
	if again.Header.Get("Idempotent-Replayed") != "true" || etag(t, again) != 2 || etag(t, first) != 2 || string(again.Body) != string(first.Body) {
		t.Fatalf("replay: %s, ETag %s (first %s)", again.Header.Get("Idempotent-Replayed"), again.Header.Get("ETag"), first.Header.Get("ETag"))
	}
	if v := e.versionOf(o.ID); v != 2 {
		t.Errorf("version %d after a replay, want 2", v)
	}
}
