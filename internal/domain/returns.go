package domain

import "github.com/shopspring/decimal"

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
