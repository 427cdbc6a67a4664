package web

import (
	"net/http"
	"slices"
	"sync"
	"testing"
)

func TestRecordPayment(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 50)

	t.Run("FullPaymentMakesOrderPaidThroughPending", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 2))
		p := e.recordPayment(o.ID, o.Total)
		if p.Amount != o.Total || p.Gateway != "manual" || p.Status != "completed" || p.Reference != "bank" ||
			p.OrderNumber != o.OrderNumber || p.PaymentStatus != "completed" || p.OrderStatus != "paid" {
			t.Fatalf("payment = %+v", p)
		}
		o = e.fetchOrder(o.ID)
		if o.Status != "paid" || o.PaymentStatus != "completed" || o.Paid != o.Total || o.PaidAt == nil || len(o.Payments) != 1 {
			t.Fatalf("order = %s %s paid %s of %s, paid_at %v", o.Status, o.PaymentStatus, o.Paid, o.Total, o.PaidAt)
		}
		want := []string{"status:created", "payment:completed", "status:pending", "status:paid"}
		if got := historyKinds(o); !slices.Equal(got, want) {
			t.Errorf("history = %v, want %v", got, want)
		}
		for _, h := range changes(o)[1:] {
			if h.By != "test" {
				t.Errorf("history %s by %q, want the token's name", h.Status, h.By)
			}
		}
		// Each row's note is its own: the payment says what was paid, the step to paid
		// why, the step passed through nothing.
		var notes []string
		for _, h := range changes(o)[1:] {
			notes = append(notes, h.Note)
		}
		if want := []string{"manual payment of 40.00 USD (reference bank)", "", "paid in full"}; !slices.Equal(notes, want) {
			t.Errorf("notes = %q, want %q", notes, want)
		}
	})

	t.Run("PartialPaymentsAddUp", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 5)) // 100.00
		if p := e.recordPayment(o.ID, "40"); p.PaymentStatus != "partially_paid" || p.OrderStatus != "created" || p.Amount != "40.00" {
			t.Fatalf("after 40: %+v", p)
		}
		if p := e.recordPayment(o.OrderNumber, "60.00"); p.PaymentStatus != "completed" || p.OrderStatus != "paid" {
			t.Fatalf("after 60: %+v", p)
		}
		if o = e.fetchOrder(o.ID); o.Paid != "100.00" || len(o.Payments) != 2 {
			t.Fatalf("paid %s with %d payments", o.Paid, len(o.Payments))
		}
	})

	t.Run("PendingOrderBecomesPaid", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/transitions", map[string]any{"status": "pending"})
		e.recordPayment(o.ID, o.Total)
		o = e.fetchOrder(o.ID)
		if got := historyKinds(o); !slices.Equal(got, []string{"status:created", "status:pending", "payment:completed", "status:paid"}) {
			t.Errorf("history = %v", got)
		}
	})

	t.Run("ErrPaymentExceedsOutstanding", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1)) // 20.00
		e.recordPayment(o.ID, "15")
		r := e.mustCode(http.StatusUnprocessableEntity, "payment_exceeds_outstanding", "POST", "/api/v1/orders/"+o.ID+"/payments",
			map[string]any{"amount": "5.01", "gateway": "manual"})
		var b errorBody
		r.JSON(t, &b)
		if b.Error.Fields["amount"] != "must be at most 5.00" {
			t.Errorf("fields = %v", b.Error.Fields)
		}
		if o = e.fetchOrder(o.ID); o.Paid != "15.00" || len(o.Payments) != 1 {
			t.Errorf("paid %s, %d payments", o.Paid, len(o.Payments))
		}
	})

	t.Run("ErrInvalidTransition", func(t *testing.T) {
		paid := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		e.recordPayment(paid.ID, paid.Total)
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+paid.ID+"/payments", map[string]any{"amount": "1"})
		cancelled := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		e.must(http.StatusOK, "POST", "/api/v1/orders/"+cancelled.ID+"/cancel", map[string]any{"reason": "changed mind"})
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+cancelled.ID+"/payments", map[string]any{"amount": "1"})
	})

	t.Run("ErrValidationFailed", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		for _, body := range []map[string]any{
			{"gateway": "manual"},
			{"amount": "0"},
			{"amount": "-1"},
			{"amount": "1.001"},
			{"amount": "1", "gateway": "paypal"},
			{"amount": "1", "gateway": "stripe"},
			{"amount": "1", "reference": string(make([]byte, 256))},
		} {
			e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/orders/"+o.ID+"/payments", body)
		}
		for _, body := range []any{`{"amount": 1}`, `{"amount": "1", "extra": true}`, `{`, `[]`} {
			e.mustCode(http.StatusBadRequest, "bad_request", "POST", "/api/v1/orders/"+o.ID+"/payments", body)
		}
		if o = e.fetchOrder(o.ID); len(o.Payments) != 0 || len(o.History) != 1 {
			t.Errorf("refused payments changed the order: %+v", o.Payments)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/orders/ORD-000000-999999/payments", map[string]any{"amount": "1"})
		e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/orders/0194a1d5-7c2e-7000-8000-000000000000/payments", map[string]any{"amount": "1"})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		e.mustCode(http.StatusUnauthorized, "unauthorized", "POST", "/api/v1/orders/x/payments", map[string]any{"amount": "1"}, "Authorization", "")
	})
	e.checkMoneyAndStock()
}

func TestConcurrentPaymentsNeverOverpay(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "10.00", 50)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 10)) // 100.00
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			r := e.do("POST", "/api/v1/orders/"+o.ID+"/payments", map[string]any{"amount": "10", "gateway": "manual"})
			statuses[i] = r.Status
			if r.Status != http.StatusCreated && r.ErrorCode() != "payment_exceeds_outstanding" && r.ErrorCode() != "invalid_transition" {
				t.Errorf("unexpected answer %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		}
	}
	o = e.fetchOrder(o.ID)
	if created != 10 || o.Paid != "100.00" || o.Status != "paid" || len(o.Payments) != 10 {
		t.Fatalf("%d payments taken, paid %s, status %s", created, o.Paid, o.Status)
	}
	e.checkMoneyAndStock()
}

func TestRefunds(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 50)

	t.Run("PartialThenFull", func(t *testing.T) {
		o := e.paidOrderOf("ann@example.com", "TEE-M", 4) // 100.00
		var r orderRefundJSON
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "30", "reason": "late"}).JSON(t, &r)
		if r.Amount != "30.00" || r.Reason != "late" || r.Status != "succeeded" || r.PaymentStatus != "partially_refunded" || r.OrderStatus != "paid" || r.ID == "" {
			t.Fatalf("refund = %+v", r)
		}
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.OrderNumber+"/refunds", map[string]any{"amount": "70.00"}).JSON(t, &r)
		if r.PaymentStatus != "refunded" {
			t.Fatalf("refund = %+v", r)
		}
		o = e.fetchOrder(o.ID)
		if o.Refunded != "100.00" || o.Paid != "100.00" || len(o.Refunds) != 2 || o.Status != "paid" {
			t.Fatalf("order refunded %s of %s, %d refunds, %s", o.Refunded, o.Paid, len(o.Refunds), o.Status)
		}
		if got := historyKinds(o); got[len(got)-2] != "refund:partially_refunded" || got[len(got)-1] != "refund:refunded" {
			t.Errorf("history = %v", got)
		}
	})

	t.Run("ErrRefundExceedsPaid", func(t *testing.T) {
		o := e.paidOrderOf("ann@example.com", "TEE-M", 1)
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "20"})
		e.mustCode(http.StatusUnprocessableEntity, "refund_exceeds_paid", "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "5.01"})
		unpaid := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		e.mustCode(http.StatusUnprocessableEntity, "refund_exceeds_paid", "POST", "/api/v1/orders/"+unpaid.ID+"/refunds", map[string]any{"amount": "1"})
		if o = e.fetchOrder(o.ID); o.Refunded != "20.00" {
			t.Errorf("refunded %s", o.Refunded)
		}
	})

	t.Run("DrawsOnSeveralPayments", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 4))
		e.recordPayment(o.ID, "30")
		e.recordPayment(o.ID, "70")
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "90"})
		var n int
		e.scalar(&n, `SELECT count(*) FROM refund_allocations a JOIN refunds r ON r.id = a.refund_id WHERE r.order_id = $1`, o.ID)
		if n != 2 {
			t.Errorf("%d allocations, want 2 (70 then 20)", n)
		}
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "10"})
		e.mustCode(http.StatusUnprocessableEntity, "refund_exceeds_paid", "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "0.01"})
	})

	t.Run("ErrValidationFailed", func(t *testing.T) {
		o := e.paidOrderOf("ann@example.com", "TEE-M", 1)
		for _, body := range []map[string]any{{"reason": "x"}, {"amount": "0"}, {"amount": "-3"}, {"amount": "1.005"},
			{"amount": "1", "reason": string(make([]rune, 5001))}} {
			e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/orders/"+o.ID+"/refunds", body)
		}
		e.mustCode(http.StatusBadRequest, "bad_request", "POST", "/api/v1/orders/"+o.ID+"/refunds", `{"amount": 5}`)
		e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/orders/nope/refunds", map[string]any{"amount": "1"})
	})
	e.checkMoneyAndStock()
}

func TestConcurrentRefundsNeverExceedPaid(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 50)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 4)) // 100.00
	e.recordPayment(o.ID, "40")
	e.recordPayment(o.ID, "60")
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, refused := 0, 0
	for range 20 {
		wg.Go(func() {
			r := e.do("POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "7", "reason": "race"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Status == http.StatusCreated:
				created++
			case r.Status == http.StatusUnprocessableEntity && r.ErrorCode() == "refund_exceeds_paid":
				refused++
			default:
				t.Errorf("unexpected answer %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	o = e.fetchOrder(o.ID)
	if created != 14 || refused != 6 || o.Refunded != "98.00" || len(o.Refunds) != 14 || o.PaymentStatus != "partially_refunded" {
		t.Fatalf("%d refunds taken, %d refused; refunded %s (%s)", created, refused, o.Refunded, o.PaymentStatus)
	}
	e.checkMoneyAndStock()
}

func TestCancel(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "25.00", 10)

	t.Run("ReleasesReservedStock", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 3))
		if inv := e.inventory("TEE-M"); inv.Reserved != 3 {
			t.Fatalf("reserved %d", inv.Reserved)
		}
		var c orderJSON
		e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"reason": "customer asked"}).JSON(t, &c)
		if c.Status != "cancelled" || c.CancelledAt == nil || len(c.Refunds) != 0 {
			t.Fatalf("cancelled order = %s %v", c.Status, c.CancelledAt)
		}
		if h := changes(c)[len(changes(c))-1]; h.Status != "cancelled" || h.Note != "customer asked" || h.By != "test" {
			t.Errorf("history = %+v", h)
		}
		if inv := e.inventory("TEE-M"); inv.Reserved != 0 || inv.OnHand != 10 {
			t.Fatalf("after cancel: on hand %d, reserved %d", inv.OnHand, inv.Reserved)
		}
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{})
	})

	t.Run("RefundsCompletedPaymentsWhenAsked", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 2))
		e.recordPayment(o.ID, "20")
		e.recordPayment(o.ID, "30")
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/refunds", map[string]any{"amount": "5"})
		var c orderJSON
		e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"reason": "fraud", "refund": true}).JSON(t, &c)
		if c.Status != "cancelled" || c.PaymentStatus != "refunded" || c.Refunded != c.Paid || len(c.Refunds) != 2 {
			t.Fatalf("cancelled = %s %s refunded %s of %s", c.Status, c.PaymentStatus, c.Refunded, c.Paid)
		}
		if c.Refunds[1].Amount != "45.00" || c.Refunds[1].Reason != "order cancelled: fraud" {
			t.Errorf("refund = %+v", c.Refunds[1])
		}
	})

	t.Run("KeepsMoneyWithoutRefund", func(t *testing.T) {
		o := e.paidOrderOf("ann@example.com", "TEE-M", 1)
		var c orderJSON
		e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"refund": false}).JSON(t, &c)
		if c.Status != "cancelled" || c.PaymentStatus != "completed" || c.Refunded != "0.00" {
			t.Fatalf("cancelled = %s %s refunded %s", c.Status, c.PaymentStatus, c.Refunded)
		}
	})

	t.Run("ErrInvalidTransitionOnceShipped", func(t *testing.T) {
		o := e.paidOrderOf("ann@example.com", "TEE-M", 1)
		e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "UPS", "tracking_number": "1Z"})
		e.mustCode(http.StatusConflict, "invalid_transition", "POST", "/api/v1/orders/"+o.ID+"/cancel", map[string]any{"refund": true})
		if o = e.fetchOrder(o.ID); o.Status != "shipped" || o.Refunded != "0.00" {
			t.Fatalf("order = %s refunded %s", o.Status, o.Refunded)
		}
	})

	t.Run("ErrBadRequestAndNotFound", func(t *testing.T) {
		o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
		e.mustCode(http.StatusBadRequest, "bad_request", "POST", "/api/v1/orders/"+o.ID+"/cancel", `{"refund": "yes"}`)
		e.mustCode(http.StatusNotFound, "not_found", "POST", "/api/v1/orders/ORD-nope/cancel", map[string]any{})
	})
	e.checkMoneyAndStock()
}
