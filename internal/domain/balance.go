package domain

import "github.com/shopspring/decimal"

// Money is what an order has to be paid and what it holds: the amounts the one rule of
// "paid enough" reads.
type Money struct {
	Total         decimal.Decimal
	Paid          decimal.Decimal // completed payments
	Refunded      decimal.Decimal // succeeded refunds
	RefundPending decimal.Decimal // refunds on their way back
}

// Held is the money the shop keeps of what was paid: paid, less what went back or is on
// its way back.
func (m Money) Held() decimal.Decimal { return m.Paid.Sub(m.Refunded).Sub(m.RefundPending) }

// Balance is what an order still owes or is owed back, on the money it holds against
// its total. This is the one rule of whether an order is paid enough: to become paid, to
// ship, to take another payment and how much, the order page's "Record payment" and
// balance, and `oms check` (whose SQL twin, oms_outstanding, a test keeps equal). Gross
// paid is no measure: a refund followed by a higher total (an edit, a destination with
// more tax) would look paid and ship goods nobody paid for.
type Balance struct {
	Outstanding decimal.Decimal // the total less the money held
	RefundDue   decimal.Decimal // the money held beyond the total
}

// Balance of the amounts alone, whatever the order's status.
func (m Money) Balance() Balance {
	held := m.Held()
	return Balance{Outstanding: decimal.Max(m.Total.Sub(held), decimal.Zero), RefundDue: decimal.Max(held.Sub(m.Total), decimal.Zero)}
}

// PaidInFull reports whether nothing is outstanding.
func (b Balance) PaidInFull() bool { return !b.Outstanding.IsPositive() }

// BalanceIn is the balance of an order in status with these amounts. A cancelled order
// owes nothing and is owed nothing (its refund is the cancellation's). Once an order has
// shipped in full, money given back (a return's refund, a goodwill gesture) is no debt:
// the goods were paid for when they left, since none leave while anything is outstanding
// (CheckPaidToShip); a refund still due stays due.
func BalanceIn(status Status, m Money) Balance {
	switch status {
	case StatusCancelled:
		return Balance{}
	case StatusShipped, StatusDelivered, StatusReturned, StatusRefunded:
		return Balance{Outstanding: decimal.Zero, RefundDue: m.Balance().RefundDue}
	}
	return m.Balance()
}

// Money is the order's amounts.
func (o Order) Money() Money {
	return Money{Total: o.Total, Paid: o.Paid, Refunded: o.Refunded, RefundPending: o.RefundPending}
}

// Balance is what the order still owes or is owed back (BalanceIn).
func (o Order) Balance() Balance { return BalanceIn(o.Status, o.Money()) }

// CheckPaidToShip refuses to ship any of an order that owes money (invalid_transition,
// saying how much and why): an edit raised its total, or money went back before it
// shipped.
func CheckPaidToShip(o Order) error {
	b := o.Balance()
	if b.PaidInFull() {
		return nil
	}
	money := func(d decimal.Decimal) string { return FormatAmount(d, o.Currency) }
	return Errorf(CodeInvalidTransition, "order %s owes %s %s (total %s, paid %s, refunded or on its way back %s): record the payment before shipping",
		o.Number, money(b.Outstanding), o.Currency, money(o.Total), money(o.Paid), money(o.Refunded.Add(o.RefundPending)))
}
