package service_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// newEditEnv is a shop with two products, a 10 % US tax and 5.00 shipping, free from
// 100.00: A at 10.00 (20 in stock), B at 4.50 (5 in stock).
func newEditEnv(t *testing.T) *opsEnv {
	e := newOpsEnv(t)
	e.stock("A", "10.00", 20)
	e.stock("B", "4.50", 5)
	e.exec("INSERT INTO tax_rates (country, region, rate) VALUES ('US', '', 0.10)")
	e.exec("INSERT INTO shipping_rates (country, currency, amount, free_above) VALUES ('*', 'USD', 5, 100)")
	return e
}

func (e *opsEnv) pay(o domain.Order) domain.Order {
	e.t.Helper()
	_, paid, err := e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: o.Total.Sub(o.Paid)})
	if err != nil {
		e.t.Fatalf("pay %s: %v", o.Number, err)
	}
	return paid
}

func (e *opsEnv) edit(o domain.Order, ed domain.OrderEdit) (domain.Order, error) {
	e.t.Helper()
	if ed.Reason == "" {
		ed.Reason = "customer called"
	}
	return e.svc.EditOrder(e.ctx, opsStaff, o.ID, ed)
}

func mustMoney(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(decimal.RequireFromString(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func lastEdit(o domain.Order) string {
	note := ""
	for _, h := range o.History {
		if h.Kind == "edit" {
			note = h.Note
		}
	}
	return note
}

func mustCode(t *testing.T, err error, code string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	return de
}

func TestEditAddsALineAtTodaysPriceReservesStockAndLeavesAnOutstandingBalance(t *testing.T) {
	e := newEditEnv(t)
	o := e.order("ann@example.com", "A", 2) // 20.00 + 2.00 tax + 5.00 shipping
	mustMoney(t, "total", o.Total, "27.00")
	o = e.pay(o)
	e.exec("UPDATE products SET price = 11.00 WHERE sku = 'A'") // the sold line keeps 10.00

	o, err := e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "B", Quantity: 2}, {SKU: "A", Quantity: 1}}})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if len(o.Items) != 3 || o.Items[0].UnitPrice.String() != "10" || o.Items[2].SKU != "A" || o.Items[2].UnitPrice.String() != "11" {
		t.Fatalf("lines %+v: want the sold A at 10.00 and new lines B and A (at 11.00) after it", o.Items)
	}
	// 20.00 + 9.00 + 11.00 = 40.00; tax 4.00; shipping 5.00.
	mustMoney(t, "subtotal", o.Subtotal, "40.00")
	mustMoney(t, "tax", o.Tax, "4.00")
	mustMoney(t, "shipping", o.Shipping, "5.00")
	mustMoney(t, "total", o.Total, "49.00")
	if o.PaymentStatus != domain.PaymentPartiallyPaid || o.Status != domain.StatusPaid {
		t.Errorf("status %s / %s, want paid / partially_paid", o.Status, o.PaymentStatus)
	}
	mustMoney(t, "outstanding", o.Balance().Outstanding, "22.00")
	if e.reserved("B") != 2 || e.reserved("A") != 3 || o.ItemCount != 5 {
		t.Errorf("reserved A %d, B %d, item_count %d: want 3, 2, 5", e.reserved("A"), e.reserved("B"), o.ItemCount)
	}
	note := lastEdit(o)
	for _, want := range []string{"+2 × B at 4.50", "+1 × A at 11.00", "total 27.00 → 49.00 USD", "Reason: customer called"} {
		if !strings.Contains(note, want) {
			t.Errorf("history %q lacks %q", note, want)
		}
	}
	e.mustBeClean()

	_, _, err = e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1"})
	mustCode(t, err, domain.CodeInvalidTransition) // not before the rest is paid
	o = e.pay(o)
	if o.PaymentStatus != domain.PaymentCompleted || !o.Balance().Outstanding.IsZero() {
		t.Errorf("after paying: %s, outstanding %s", o.PaymentStatus, o.Balance().Outstanding)
	}
	if _, _, err := e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1"}); err != nil {
		t.Fatalf("fulfill: %v", err)
	}
	e.mustBeClean()
}

func TestEditRemovingUnitsReleasesStockAndOwesARefund(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 3, "B", 1)) // 34.50 + 3.45 + 5.00 = 42.95
	mustMoney(t, "total", o.Total, "42.95")

	o, err := e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}, {OrderItemID: o.Items[1].ID, Quantity: 1}}})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if len(o.Items) != 1 || o.Items[0].Quantity != 2 {
		t.Fatalf("lines %+v: want A x2 alone (B's line gone)", o.Items)
	}
	mustMoney(t, "total", o.Total, "27.00")
	mustMoney(t, "refund due", o.Balance().RefundDue, "15.95")
	if e.reserved("A") != 2 || e.reserved("B") != 0 {
		t.Errorf("reserved A %d, B %d: want 2, 0", e.reserved("A"), e.reserved("B"))
	}
	if note := lastEdit(o); !strings.Contains(note, "−1 × A") || !strings.Contains(note, "−1 × B") {
		t.Errorf("history %q", note)
	}
	e.mustBeClean()

	_, o, err = e.svc.Refund(e.ctx, opsStaff, o.ID, decimal.RequireFromString("15.95"), "edit")
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if b := o.Balance(); !b.RefundDue.IsZero() || !b.Outstanding.IsZero() {
		t.Errorf("balance after the refund %+v", b)
	}
	e.mustBeClean()
}

func TestEditRefusesRemovingShippedUnits(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 2, "B", 1))
	line := o.Items[0].ID
	if _, _, err := e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1",
		Items: []domain.LineQuantity{{OrderItemID: line, Quantity: 1}}}); err != nil {
		t.Fatalf("fulfill: %v", err)
	}
	_, err := e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: line, Quantity: 2}}})
	de := mustCode(t, err, domain.CodeInvalidTransition)
	if de.Fields["remove[0].quantity"] == "" {
		t.Errorf("fields %v: want remove[0].quantity", de.Fields)
	}
	// What is left unshipped may go; then everything left has shipped.
	o, err = e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: line, Quantity: 1}, {OrderItemID: o.Items[1].ID, Quantity: 1}}})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if o.Status != domain.StatusShipped || o.FulfillmentStatus != domain.FulfillmentFulfilled {
		t.Errorf("status %s / %s, want shipped / fulfilled", o.Status, o.FulfillmentStatus)
	}
	_, err = e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "B", Quantity: 1}}})
	mustCode(t, err, domain.CodeInvalidTransition)
	e.mustBeClean()
}

func TestEditOutOfStockChangesNothing(t *testing.T) {
	e := newEditEnv(t)
	o := e.order("ann@example.com", "A", 1)
	_, err := e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 6}},
		Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}}})
	de := mustCode(t, err, domain.CodeOutOfStock)
	if !strings.Contains(de.Fields["add[1].sku"], "requested 6, 5 available") || de.Fields["add[0].sku"] != "" {
		t.Errorf("fields %v: want add[1].sku alone", de.Fields)
	}
	after, err := e.svc.GetOrder(e.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Total.Equal(o.Total) || len(after.Items) != 1 || lastEdit(after) != "" || e.reserved("A") != 1 || e.reserved("B") != 0 {
		t.Errorf("after a refused edit: total %s, %d lines, history %q, reserved A %d B %d", after.Total, len(after.Items),
			lastEdit(after), e.reserved("A"), e.reserved("B"))
	}
	e.mustBeClean()
}

func TestEditRecomputesShippingTaxAndCoupon(t *testing.T) {
	e := newEditEnv(t)
	e.exec("INSERT INTO coupons (code, kind, value, min_subtotal) VALUES ('SAVE10', 'percent', 10, 50)")
	o, _, err := e.svc.CreateOrder(e.ctx, opsStaff, domain.NewOrder{Customer: domain.Customer{Email: "ann@example.com"},
		ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St", City: "Springfield", Country: "US"},
		Items:           []domain.ItemRequest{{SKU: "A", Quantity: 6}}, CouponCode: "SAVE10"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "total", o.Total, "64.40") // 60.00 - 6.00 + 5.40 tax + 5.00 shipping

	// Below the coupon's minimum: refused, nothing changes.
	_, err = e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 2}}})
	mustCode(t, err, domain.CodeCouponInvalid)

	o, err = e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "discount", o.Discount, "5.00")
	mustMoney(t, "tax", o.Tax, "4.50")
	mustMoney(t, "total", o.Total, "54.50")

	// Over 100.00 after the discount: shipping is free.
	o, err = e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "A", Quantity: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "subtotal", o.Subtotal, "120.00")
	mustMoney(t, "discount", o.Discount, "12.00")
	mustMoney(t, "shipping", o.Shipping, "0.00")
	mustMoney(t, "tax", o.Tax, "10.80")
	mustMoney(t, "total", o.Total, "118.80")
	e.mustBeClean()
}

func TestEditRefusesEmptyingOrCancelledOrders(t *testing.T) {
	e := newEditEnv(t)
	o := e.order("ann@example.com", "A", 1)
	_, err := e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}}})
	de := mustCode(t, err, domain.CodeValidationFailed)
	if !strings.Contains(de.Fields["remove"], "cancel") {
		t.Errorf("fields %v", de.Fields)
	}
	if _, _, err := e.svc.Cancel(e.ctx, opsStaff, o.ID, "test", false); err != nil {
		t.Fatal(err)
	}
	_, err = e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "A", Quantity: 1}}})
	mustCode(t, err, domain.CodeInvalidTransition)
	if o, _ := e.svc.GetOrder(e.ctx, o.ID); !o.Balance().Outstanding.IsZero() {
		t.Errorf("a cancelled order owes nothing, got %s", o.Balance().Outstanding)
	}
	e.mustBeClean()
}

func TestPreviewPricesAnEditWithoutMakingIt(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 2))
	ed := domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "B", Quantity: 2}}, Reason: "phone"}
	p, err := e.svc.PreviewEdit(e.ctx, o.Number, ed)
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "preview total", p.After.Total, "36.90")
	mustMoney(t, "preview outstanding", p.After.Balance().Outstanding, "9.90")
	if e.reserved("B") != 0 {
		t.Error("a preview reserved stock")
	}
	done, err := e.edit(o, ed)
	if err != nil {
		t.Fatal(err)
	}
	if !done.Total.Equal(p.After.Total) || !done.Tax.Equal(p.After.Tax) {
		t.Errorf("made %s (tax %s), previewed %s (tax %s)", done.Total, done.Tax, p.After.Total, p.After.Tax)
	}
}

// An edit racing a fulfillment of the same line: one wins, the other is refused, the
// stock and `oms check` agree.
func TestEditRacingAFulfillmentOfTheSameLine(t *testing.T) {
	e := newEditEnv(t)
	for round := range 8 {
		o := e.pay(e.order("ann@example.com", "A", 2))
		line := o.Items[0].ID
		var editErr, shipErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, editErr = e.svc.EditOrder(e.ctx, opsStaff, o.ID, domain.OrderEdit{Reason: "race",
				Remove: []domain.LineQuantity{{OrderItemID: line, Quantity: 1}}})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, _, shipErr = e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1",
				Items: []domain.LineQuantity{{OrderItemID: line, Quantity: 2}}})
		}()
		close(start)
		wg.Wait()
		switch {
		case editErr == nil && shipErr != nil:
			mustCode(t, shipErr, domain.CodeQuantityExceedsFulfillable)
		case shipErr == nil && editErr != nil:
			mustCode(t, editErr, domain.CodeInvalidTransition)
		default:
			t.Fatalf("round %d: edit %v, fulfillment %v: want exactly one to win", round, editErr, shipErr)
		}
	}
	e.mustBeClean()
}

func TestPatchToAnotherCountryRepricesTaxAndSaysWhatChanged(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 2)) // 20.00 + 2.00 US tax + 5.00
	ship := o.ShippingAddress
	ship.Country, ship.Region, ship.City = "de", "", "Berlin"
	o, err := e.svc.PatchOrder(e.ctx, opsStaff, o.Number, domain.OrderPatch{ShippingAddress: &ship})
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "tax", o.Tax, "0.00")
	mustMoney(t, "refund due", o.Balance().RefundDue, "2.00")
	note := lastEdit(o)
	for _, want := range []string{"shipping_address.city: Springfield → Berlin", "shipping_address.country: US → DE",
		"shipping_address.region: IL → (empty)", "total 27.00 → 25.00 USD"} {
		if !strings.Contains(note, want) {
			t.Errorf("history %q lacks %q", note, want)
		}
	}
	e.mustBeClean()
}

// A staff-made order's manual discount survives an edit, and shrinks to what is left of
// the subtotal when the lines left are worth less than it.
func TestEditKeepsTheManualDiscountOrShrinksIt(t *testing.T) {
	e := newEditEnv(t)
	in := domain.NewOrder{Customer: domain.Customer{Email: "ann@example.com", Name: "Ann Lee"},
		ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St",
			City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
		Items:          []domain.ItemRequest{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 2}},
		ManualDiscount: decimal.RequireFromString("8.00"), ManualDiscountReason: "late delivery last time"}
	o, _, err := e.svc.CreateOrder(e.ctx, opsStaff, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "total", o.Total, "17.10") // 19.00 - 8.00 = 11.00; tax 1.10; shipping 5.00

	o, err = e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "A", Quantity: 1}}})
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	mustMoney(t, "manual discount after adding", o.ManualDiscount, "8.00")
	mustMoney(t, "total after adding", o.Total, "28.10") // 29.00 - 8.00 = 21.00; tax 2.10; shipping 5.00

	o, err = e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}, {OrderItemID: o.Items[2].ID, Quantity: 1}}})
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	mustMoney(t, "manual discount after removing", o.ManualDiscount, "8.00") // 9.00 of B left
	o, err = e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}}})
	if err != nil {
		t.Fatalf("remove B: %v", err)
	}
	mustMoney(t, "manual discount shrunk", o.ManualDiscount, "4.50") // 4.50 of B left
	mustMoney(t, "discount", o.Discount, "4.50")
	mustMoney(t, "total", o.Total, "5.00") // shipping alone
	if note := lastEdit(o); !strings.Contains(note, "manual discount 8.00 → 4.50 USD") {
		t.Errorf("history %q", note)
	}
	e.mustBeClean()
}

func TestEditThatLeavesAPartlyPaidOrderFullyPaidMakesItPaid(t *testing.T) {
	e := newEditEnv(t)
	o := e.order("ann@example.com", "A", 3, "B", 1) // 34.50 + 3.45 + 5.00 = 42.95
	_, o, err := e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: decimal.RequireFromString("30.00")})
	if err != nil {
		t.Fatalf("pay part: %v", err)
	}
	if o.Status != domain.StatusCreated || o.PaymentStatus != domain.PaymentPartiallyPaid {
		t.Fatalf("status %s / %s, want created / partially_paid", o.Status, o.PaymentStatus)
	}
	// 20.00 + 2.00 tax + 5.00 shipping = 27.00: the 30.00 paid covers it.
	o, err = e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}, {OrderItemID: o.Items[1].ID, Quantity: 1}}})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	mustMoney(t, "total", o.Total, "27.00")
	if o.PaymentStatus != domain.PaymentCompleted || o.Status != domain.StatusPaid || o.PaidAt == nil {
		t.Fatalf("status %s / %s (paid_at %v), want paid / completed: nothing is left to pay, so the order can ship",
			o.Status, o.PaymentStatus, o.PaidAt)
	}
	mustMoney(t, "refund due", o.Balance().RefundDue, "3.00")
	if _, _, err := e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1"}); err != nil {
		t.Fatalf("fulfill: %v", err)
	}
	e.mustBeClean()
}

func TestOrderListShowsTheManualDiscountAsTheOrderDoes(t *testing.T) {
	e := newEditEnv(t)
	in := domain.NewOrder{Source: "staff", Customer: domain.Customer{Email: "ann@example.com", Name: "Ann Lee"},
		ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St",
			City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
		Items:          []domain.ItemRequest{{SKU: "A", Quantity: 2}},
		ManualDiscount: decimal.RequireFromString("3.00"), ManualDiscountReason: "parcel was late"}
	o, _, err := e.svc.CreateOrder(e.ctx, opsStaff, in, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	mustMoney(t, "manual discount", o.ManualDiscount, "3.00")
	for _, detail := range []service.Detail{service.RowsOnly, service.WithLines, service.Everything} {
		page, err := e.svc.ListOrders(e.ctx, domain.OrderFilter{IDs: []string{o.ID}}, detail)
		if err != nil || len(page.Orders) != 1 {
			t.Fatalf("list: %v, %d orders", err, len(page.Orders))
		}
		got := page.Orders[0]
		if !got.ManualDiscount.Equal(o.ManualDiscount) || got.ManualDiscountReason != o.ManualDiscountReason {
			t.Errorf("detail %v: listed manual discount %s (%q), the order has %s (%q)",
				detail, got.ManualDiscount, got.ManualDiscountReason, o.ManualDiscount, o.ManualDiscountReason)
		}
	}
}

// A refund followed by an added line left the order looking paid by its gross paid
// while the shop kept less than its total, so adding lines after a refund was refused.
// What an order owes is now counted on the money it holds: the line is added, and the
// order owes what it lacks (the refund taken back included) and does not ship until paid.
func TestEditAddingLinesAfterARefundOwesWhatTheOrderLacks(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 2)) // 27.00
	o, err := e.edit(o, domain.OrderEdit{Remove: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "refund due", o.Balance().RefundDue, "11.00")
	if _, _, err := e.svc.Refund(e.ctx, opsStaff, o.ID, decimal.RequireFromString("11.00"), "edit"); err != nil {
		t.Fatal(err)
	}
	if o, err = e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "A", Quantity: 1}}}); err != nil {
		t.Fatalf("add after a refund: %v", err)
	}
	mustMoney(t, "total", o.Total, "27.00")
	mustMoney(t, "outstanding", o.Balance().Outstanding, "11.00")
	if e.reserved("A") != 2 {
		t.Errorf("reserved A %d, want 2", e.reserved("A"))
	}
	_, _, err = e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS"})
	mustCode(t, err, domain.CodeInvalidTransition)
	e.mustBeClean()
}

// A card payment in flight was asked for the order's total: an edit that changes the
// total waits until it succeeds or is cancelled, so that what it brings is booked whole.
func TestEditWaitsForAnOpenCardPayment(t *testing.T) {
	e := newEditEnv(t)
	o := e.order("ann@example.com", "A", 2) // 27.00
	e.exec("INSERT INTO payments (order_id, gateway, amount, currency, status, external_id) VALUES ($1, 'stripe', 27, 'USD', 'pending', 'pi_test_open')", o.ID)
	_, err := e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "B", Quantity: 1}}})
	de := mustCode(t, err, domain.CodeInvalidTransition)
	if !strings.Contains(de.Message, "card payment in progress") {
		t.Errorf("message %q", de.Message)
	}
	if e.reserved("B") != 0 {
		t.Errorf("reserved B %d after a refused edit", e.reserved("B"))
	}
	e.exec("UPDATE payments SET status = 'canceled' WHERE external_id = 'pi_test_open'")
	if _, err := e.edit(o, domain.OrderEdit{Add: []domain.ItemRequest{{SKU: "B", Quantity: 1}}}); err != nil {
		t.Fatalf("edit after the intent was cancelled: %v", err)
	}
	e.mustBeClean()
}

// Issue 20: an order moved to a country with lower tax, refunded the difference and moved
// back was "paid" by its gross paid (220.00 of 220.00) though the shop kept 200.00, and
// shipped. Whether an order owes money is counted on what it holds (paid, less refunded
// and refunds on their way): it owes 20.00, Fulfill refuses it, the payment of the 20.00
// is taken, and then it ships. oms check holds at every step.
func TestAnOrderOwingWhatARefundTookBackDoesNotShip(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 20)) // 200.00 + 20.00 US tax, shipping free from 100.00
	mustMoney(t, "total", o.Total, "220.00")
	us := o.ShippingAddress
	de := us
	de.Country, de.Region, de.City = "DE", "", "Berlin"
	o, err := e.svc.PatchOrder(e.ctx, opsStaff, o.ID, domain.OrderPatch{ShippingAddress: &de})
	if err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "refund due in Germany", o.Balance().RefundDue, "20.00")
	if _, _, err := e.svc.Refund(e.ctx, opsStaff, o.ID, o.Balance().RefundDue, "no US tax"); err != nil {
		t.Fatal(err)
	}
	if o, err = e.svc.PatchOrder(e.ctx, opsStaff, o.ID, domain.OrderPatch{ShippingAddress: &us}); err != nil {
		t.Fatal(err)
	}
	mustMoney(t, "total back in the US", o.Total, "220.00")
	mustMoney(t, "outstanding", o.Balance().Outstanding, "20.00")
	mustMoney(t, "refund due", o.Balance().RefundDue, "0")
	e.mustBeClean()

	_, _, err = e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS"})
	if de := mustCode(t, err, domain.CodeInvalidTransition); !strings.Contains(de.Message, "owes 20.00 USD") {
		t.Errorf("refusal %q does not say what is owed", de.Message)
	}
	if _, _, err := e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: decimal.RequireFromString("20.01")}); domain.ErrorCode(err) != domain.CodePaymentExceedsOutstanding {
		t.Errorf("paying more than is owed: %v", err)
	}
	if _, o, err = e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: decimal.RequireFromString("20.00")}); err != nil {
		t.Fatalf("paying what is owed: %v", err)
	}
	mustMoney(t, "outstanding after paying", o.Balance().Outstanding, "0")
	if _, o, err = e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS"}); err != nil || o.Status != domain.StatusShipped {
		t.Fatalf("fulfill once paid: %v, %s", err, o.Status)
	}
	e.mustBeClean()
}
