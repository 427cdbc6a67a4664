package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// Return statuses.
const (
	ReturnRequested = "requested"
	ReturnApproved  = "approved"
	ReturnRejected  = "rejected"
	ReturnReceived  = "received"
)

// ReturnStatuses lists every return status in the order a return goes through them.
var ReturnStatuses = []string{ReturnRequested, ReturnApproved, ReturnReceived, ReturnRejected}

// OrderReturn is a return with the order it belongs to, as the returns queue and the API
// show it.
type OrderReturn struct {
	Return
	OrderID       string
	OrderNumber   string
	OrderStatus   Status
	OrderVersion  int64
	Currency      string
	CustomerName  string
	CustomerEmail string
}

// ReturnLine is one order line as a return's refund sees it.
type ReturnLine struct {
	UnitPrice decimal.Decimal
	Quantity  int // ordered
	Returned  int // returned by earlier, approved returns
	Returning int // in this return
}

// ReturnRefund is what a return gives back: the returned lines' share of what was paid.
// The order discount is spread over the lines in proportion to their value, so a line's
// share of the discounted goods is its share of the subtotal; shipping and tax paid go
// back in the same proportion. The share is taken cumulatively (everything returned so
// far, minus what earlier returns already got), so returning every line, in any number of
// returns, gives back exactly what was paid and rounding never loses or adds a minor unit.
func ReturnRefund(currency string, paid, discount decimal.Decimal, lines []ReturnLine) decimal.Decimal {
	var base, before, after decimal.Decimal
	weight := func(l ReturnLine, qty int) decimal.Decimal {
		return l.UnitPrice.Mul(decimal.NewFromInt(int64(qty)))
	}
	for _, l := range lines {
		base = base.Add(weight(l, l.Quantity))
	}
	subtotal := base
	if !base.IsPositive() || !subtotal.Sub(discount).IsPositive() {
		// Free or fully discounted goods: what was paid (shipping, tax) goes back by quantity.
		weight = func(_ ReturnLine, qty int) decimal.Decimal { return decimal.NewFromInt(int64(qty)) }
		base = decimal.Zero
		for _, l := range lines {
			base = base.Add(weight(l, l.Quantity))
		}
		if !base.IsPositive() {
			return decimal.Zero
		}
	}
	for _, l := range lines {
		before = before.Add(weight(l, l.Returned))
		after = after.Add(weight(l, l.Returned+l.Returning))
	}
	share := func(part decimal.Decimal) decimal.Decimal { return Round(paid.Mul(part).Div(base), currency) }
	return share(after).Sub(share(before))
}

// AcceptsReturns reports whether an order in status st may have a return opened: once
// delivered, and again after a first return (lines may be left).
func AcceptsReturns(st Status) bool { return st == StatusDelivered || st == StatusReturned }

// Returnable is how many units of each line (by id) may still be asked back: those
// delivered, less those returned and those open (requested) returns ask for.
func (o Order) Returnable() map[string]int {
	requested := map[string]int{}
	for _, r := range o.Returns {
		if r.Status == ReturnRequested {
			for _, it := range r.Items {
				requested[it.OrderItemID] += it.Quantity
			}
		}
	}
	out := make(map[string]int, len(o.Items))
	for _, it := range o.Items {
		out[it.ID] = max(it.FulfilledQuantity-it.ReturnedQuantity-requested[it.ID], 0)
	}
	return out
}

// CustomerReturnsUntil is until when the customer may ask for a return themselves: window
// after the delivery; nil when the order takes no returns.
func CustomerReturnsUntil(o Order, window time.Duration) *time.Time {
	if !AcceptsReturns(o.Status) || o.DeliveredAt == nil {
		return nil
	}
	until := o.DeliveredAt.Add(window)
	return &until
}

// CheckCustomerReturn is what a customer's own request for items must meet, besides the
// rules of every return (RequestReturn): a delivered order, within the window, and not
// the very request already waiting (a double submit).
func CheckCustomerReturn(o Order, items []LineQuantity, window time.Duration, now time.Time) error {
	until := CustomerReturnsUntil(o, window)
	switch {
	case until == nil:
		return Errorf(CodeReturnNotAllowed, "order %s is %s: only a delivered order can be returned", o.Number, o.Status)
	case now.After(*until):
		return Errorf(CodeReturnNotAllowed, "returns of order %s were possible until %s", o.Number, until.UTC().Format("Jan 2, 2006"))
	}
	for _, r := range o.Returns {
		if r.Status == ReturnRequested && sameUnits(r.Items, items) {
			return Errorf(CodeConflict, "this return is already requested and waiting for the shop's answer")
		}
	}
	return nil
}

// sameUnits reports whether a and b ask for the same units of the same lines.
func sameUnits(a, b []LineQuantity) bool {
	count := map[string]int{}
	for _, l := range a {
		count[l.OrderItemID] += l.Quantity
	}
	for _, l := range b {
		count[l.OrderItemID] -= l.Quantity
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
