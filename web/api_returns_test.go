package web

import (
	"net/http"
	"sync"
	"testing"

	"github.com/oms/oms/internal/service"
)

// requestReturn opens a return and fails the test unless it is accepted.
func (e *apiEnv) requestReturn(orderID string, items ...map[string]any) orderReturnJSON {
	e.t.Helper()
	var r orderReturnJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+orderID+"/returns",
		map[string]any{"items": items, "reason": "does not fit"}).JSON(e.t, &r)
	return r
}

func line(itemID string, qty int) map[string]any {
	return map[string]any{"order_item_id": itemID, "quantity": qty, "reason": "too small"}
}

func TestReturnLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	e.product("MUG", "10.00", 10)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 2, "MUG", 1) // 50.00
	tee, mug := o.Items[0], o.Items[1]
	if inv := e.inventory("TEE-M"); inv.OnHand != 8 || inv.Reserved != 0 {
		t.Fatalf("after delivery TEE-M on hand %d reserved %d", inv.OnHand, inv.Reserved)
	}

	// One tee back.
	r := e.requestReturn(o.ID, line(tee.ID, 1))
	if r.Status != "requested" || r.OrderID != o.ID || r.OrderNumber != o.OrderNumber || r.Currency != "USD" ||
		r.Reason != "does not fit" || len(r.Items) != 1 || r.Items[0].Quantity != 1 || r.Items[0].Reason != "too small" || r.RefundAmount != "0.00" {
		t.Fatalf("return = %+v", r)
	}
	var got orderReturnJSON
	e.must(http.StatusOK, "GET", "/api/v1/returns/"+r.ID, nil).JSON(t, &got)
	if got.ID != r.ID || got.Status != "requested" {
		t.Fatalf("GET return = %+v", got)
	}

	e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/approve", map[string]any{"note": "ok"}).JSON(t, &r)
	if r.Status != "approved" || r.RefundAmount != "20.00" || r.Note != "ok" || r.ProcessedAt == nil {
		t.Fatalf("approved = %+v", r)
	}
	o = e.fetchOrder(o.ID)
	if o.Status != "returned" || o.Refunded != "20.00" || o.PaymentStatus != "partially_refunded" || o.Items[0].ReturnedQuantity != 1 ||
		len(o.Refunds) != 1 || o.Refunds[0].Amount != "20.00" || len(o.Returns) != 1 {
		t.Fatalf("order = %s %s refunded %s, returned %d", o.Status, o.PaymentStatus, o.Refunded, o.Items[0].ReturnedQuantity)
	}

	e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/receive", map[string]any{"restock": true}).JSON(t, &r)
	if r.Status != "received" || !r.Restocked || r.ReceivedAt == nil {
		t.Fatalf("received = %+v", r)
	}
	if inv := e.inventory("TEE-M"); inv.OnHand != 9 || inv.Reserved != 0 {
		t.Fatalf("after restock TEE-M on hand %d reserved %d", inv.OnHand, inv.Reserved)
	}

	// The rest, from the already returned order, without restocking: fully refunded.
	r = e.requestReturn(o.OrderNumber, line(tee.ID, 1), line(mug.ID, 1))
	e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/approve", map[string]any{}).JSON(t, &r)
	if r.RefundAmount != "30.00" {
		t.Fatalf("second return refund %s", r.RefundAmount)
	}
	e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/receive", map[string]any{"restock": false})
	if inv := e.inventory("MUG"); inv.OnHand != 9 {
		t.Errorf("MUG on hand %d without restock", inv.OnHand)
	}
	o = e.fetchOrder(o.ID)
	if o.Status != "refunded" || o.PaymentStatus != "refunded" || o.Refunded != "50.00" {
		t.Fatalf("order = %s %s refunded %s", o.Status, o.PaymentStatus, o.Refunded)
	}
	want := []string{"return:requested", "return:approved", "status:returned", "refund:partially_refunded", "return:received",
		"return:requested", "return:approved", "refund:refunded", "status:refunded", "return:received"}
	if h := historyKinds(o); len(h) < len(want) || join(h[len(h)-len(want):]) != join(want) {
		t.Errorf("history = %v", h)
	}
	e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+o.ID+"/returns",
		map[string]any{"items": []any{line(tee.ID, 1)}})
	e.checkMoneyAndStock()
}

func join(ss []string) string {
	out := ""
	for _, s := range ss {
		out += s + " "
	}
	return out
}

func TestReturnRules(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 50)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 3)
	tee := o.Items[0]

	t.Run("ErrInvalidTransitionBeforeDelivery", func(t *testing.T) {
		paid := e.paidOrderOf("bob@example.com", "TEE-M", 1)
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+paid.ID+"/returns",
			map[string]any{"items": []any{line(paid.Items[0].ID, 1)}})
	})

	t.Run("ErrQuantityExceedsReturnable", func(t *testing.T) {
		r := e.mustCode(http.StatusUnprocessableEntity, "quantity_exceeds_returnable", "POST", "/api/v1/orders/"+o.ID+"/returns",
			map[string]any{"items": []any{line(tee.ID, 4)}})
		var b errorBody
		r.JSON(t, &b)
		if b.Error.Fields["items[0].quantity"] == "" {
			t.Errorf("fields = %v", b.Error.Fields)
		}
		// An open return holds its quantity.
		open := e.requestReturn(o.ID, line(tee.ID, 2))
		e.mustCode(http.StatusUnprocessableEntity, "quantity_exceeds_returnable", "POST", "/api/v1/orders/"+o.ID+"/returns",
			map[string]any{"items": []any{line(tee.ID, 2)}})
		// A rejected one gives it back.
		e.must(http.StatusOK, "POST", "/api/v1/returns/"+open.ID+"/reject", map[string]any{"note": "worn"})
		e.requestReturn(o.ID, line(tee.ID, 3))
	})

	t.Run("ErrValidationFailed", func(t *testing.T) {
		other := e.paidOrderOf("bob@example.com", "TEE-M", 1)
		for _, body := range []map[string]any{
			{"items": []any{}},
			{"reason": "x"},
			{"items": []any{line(tee.ID, 0)}},
			{"items": []any{map[string]any{"quantity": 1}}},
			{"items": []any{line("not-a-uuid", 1)}},
			{"items": []any{line(other.Items[0].ID, 1)}},
			{"items": []any{line(tee.ID, 1), line(tee.ID, 1)}},
		} {
			e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/orders/"+o.ID+"/returns", body)
		}
		e.mustCode(http.StatusBadRequest, "bad_request", "POST", "/api/v1/orders/"+o.ID+"/returns", `{"items": [{"order_item_id": "x", "quantity": "1"}]}`)
		e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/orders/ORD-nope/returns", map[string]any{"items": []any{line(tee.ID, 1)}})
	})

	t.Run("ErrAlreadyProcessed", func(t *testing.T) {
		o := e.deliveredOrderOf("cy@example.com", "TEE-M", 2)
		a := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
		e.must(http.StatusOK, "POST", "/api/v1/returns/"+a.ID+"/approve", map[string]any{})
		e.mustCode(http.StatusConflict, "already_processed", "POST", "/api/v1/returns/"+a.ID+"/approve", map[string]any{})
		e.mustCode(http.StatusConflict, "already_processed", "POST", "/api/v1/returns/"+a.ID+"/reject", map[string]any{})
		e.must(http.StatusOK, "POST", "/api/v1/returns/"+a.ID+"/receive", map[string]any{"restock": true})
		e.mustCode(http.StatusConflict, "already_processed", "POST", "/api/v1/returns/"+a.ID+"/receive", map[string]any{"restock": true})

		rj := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/returns/"+rj.ID+"/receive", map[string]any{"restock": true})
		var r orderReturnJSON
		e.must(http.StatusOK, "POST", "/api/v1/returns/"+rj.ID+"/reject", map[string]any{"note": "outside 30 days"}).JSON(t, &r)
		if r.Status != "rejected" || r.Note != "outside 30 days" || r.RefundAmount != "0.00" {
			t.Fatalf("rejected = %+v", r)
		}
		e.mustCode(http.StatusConflict, "already_processed", "POST", "/api/v1/returns/"+rj.ID+"/reject", map[string]any{})
		e.mustCode(http.StatusConflict, "already_processed", "POST", "/api/v1/returns/"+rj.ID+"/approve", map[string]any{})
		e.mustCode(http.StatusConflict, "already_processed", "POST", "/api/v1/returns/"+rj.ID+"/receive", map[string]any{})
		if got := e.fetchOrder(o.ID); got.Refunded != "20.00" || got.Items[0].ReturnedQuantity != 1 {
			t.Fatalf("order refunded %s, returned %d", got.Refunded, got.Items[0].ReturnedQuantity)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, p := range []string{"approve", "reject", "receive"} {
			e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/returns/0194a1d5-7c2e-7000-8000-000000000000/"+p, map[string]any{})
			e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/returns/nope/"+p, map[string]any{})
		}
		e.mustCode(http.StatusNotFound, "not_found", "GET", "/api/v1/returns/nope", nil)
	})
	e.checkMoneyAndStock()
}

func TestReturnRefundIsPaidShareAfterManualRefund(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 50)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 2) // 40.00
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30", "reason": "goodwill"})
	r := e.requestReturn(o.ID, line(o.Items[0].ID, 2))
	e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/approve", map[string]any{}).JSON(t, &r)
	// Never more than is left to refund.
	if r.RefundAmount != "10.00" {
		t.Fatalf("refund %s, want what is left (10.00)", r.RefundAmount)
	}
	if o = e.fetchOrder(o.ID); o.Status != "refunded" || o.Refunded != "40.00" {
		t.Fatalf("order = %s refunded %s", o.Status, o.Refunded)
	}
	e.checkMoneyAndStock()
}

func TestConcurrentApprovalsRefundOnce(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 50)
	o := e.deliveredOrderOf("ann@example.com", "TEE-M", 2)
	r := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, processed := 0, 0
	for i := range 10 {
		wg.Go(func() {
			path := "/api/v1/returns/" + r.ID + "/approve"
			if i%3 == 2 {
				path = "/api/v1/returns/" + r.ID + "/reject"
			}
			res := e.do("POST", path, map[string]any{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case res.Status == http.StatusOK:
				ok++
			case res.Status == http.StatusConflict && res.ErrorCode() == "already_processed":
				processed++
			default:
				t.Errorf("unexpected %d %s", res.Status, res.Body)
			}
		})
	}
	wg.Wait()
	if ok != 1 || processed != 9 {
		t.Fatalf("%d processed the return, %d refused", ok, processed)
	}
	o = e.fetchOrder(o.ID)
	var status string
	e.scalar(&status, `SELECT status FROM returns WHERE id = $1`, r.ID)
	wantRefunds, wantReturned := 0, 0
	if status == "approved" {
		wantRefunds, wantReturned = 1, 1
	}
	if len(o.Refunds) != wantRefunds || o.Items[0].ReturnedQuantity != wantReturned {
		t.Fatalf("return %s: %d refunds, returned %d", status, len(o.Refunds), o.Items[0].ReturnedQuantity)
	}
	e.checkMoneyAndStock()
}

func TestListReturns(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 50)
	var ids []string
	for range 3 {
		o := e.deliveredOrderOf("ann@example.com", "TEE-M", 1)
		ids = append(ids, e.requestReturn(o.ID, line(o.Items[0].ID, 1)).ID)
	}
	e.must(http.StatusOK, "POST", "/api/v1/returns/"+ids[1]+"/reject", map[string]any{})

	var page returnListJSON
	e.must(http.StatusOK, "GET", "/api/v1/returns?status=requested&limit=1", nil).JSON(t, &page)
	if len(page.Returns) != 1 || page.Returns[0].ID != ids[0] || page.NextCursor == nil || page.Returns[0].OrderNumber == "" {
		t.Fatalf("first page = %+v", page)
	}
	e.must(http.StatusOK, "GET", "/api/v1/returns?status=requested&limit=1&cursor="+*page.NextCursor, nil).JSON(t, &page)
	if len(page.Returns) != 1 || page.Returns[0].ID != ids[2] || page.NextCursor != nil {
		t.Fatalf("second page = %+v", page)
	}
	e.must(http.StatusOK, "GET", "/api/v1/returns", nil).JSON(t, &page)
	if len(page.Returns) != 3 || len(page.Returns[1].Items) != 1 {
		t.Fatalf("all = %+v", page)
	}
	for _, q := range []string{"status=lost", "limit=0", "limit=201", "limit=x", "cursor=zzz"} {
		e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "GET", "/api/v1/returns?"+q, nil)
	}
}

// A return approved while a card refund is on its way back gets a refund of what is
// still refundable (paid less refunded less pending), as the contract's approve says
// ("a refund for its amount", never more than may be refunded). Found by the model
// (internal/model): torture seed 24552838.
func TestApproveReturnWhileACardRefundIsPending(t *testing.T) {
	proxy := &stripeProxy{pendingReply: true}
	e := newStripeEnvWith(t, func(base string, _ *service.Config) string { return proxy.start(t, base) })
	e.product("TEE-M", "20.00", 10)
	o, _ := e.paidByCard("pending@example.com")
	var f fulfillmentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{}).JSON(t, &f)
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f.ID+"/events", map[string]any{"status": "delivered"})
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "15.00", "reason": "goodwill"})
	e.sendRefunds() // the gateway says pending: 15.00 on its way back
	if o = e.fetchOrder(o.ID); o.RefundPending != "15.00" || o.Status != "delivered" {
		t.Fatalf("order %s, refund pending %s", o.Status, o.RefundPending)
	}
	r := e.requestReturn(o.ID, line(o.Items[0].ID, 1))
	e.must(http.StatusOK, "POST", "/api/v1/returns/"+r.ID+"/approve", map[string]any{}).JSON(t, &r)
	if r.Status != "approved" || r.RefundAmount != "5.00" {
		t.Fatalf("approved return %s refunds %s, want approved and 5.00 (20.00 paid, 15.00 on its way back)", r.Status, r.RefundAmount)
	}
	if o = e.fetchOrder(o.ID); o.Status != "returned" || o.RefundPending != "20.00" {
		t.Errorf("order %s, refund pending %s: want returned and 20.00", o.Status, o.RefundPending)
	}
}
