package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

// What an order owes is counted on the money it holds, not on what was ever paid.
func TestBalanceCountsTheMoneyHeld(t *testing.T) {
	d := decimal.RequireFromString
	cases := []struct {
		name                           string
		status                         Status
		total, paid, refunded, pending string
		outstanding, refundDue         string
	}{
		{"unpaid", StatusPending, "120", "0", "0", "0", "120", "0"},
		{"paid in full", StatusPaid, "120", "120", "0", "0", "0", "0"},
		{"an edit lowered the total", StatusPaid, "100", "120", "0", "0", "0", "20"},
		{"the refund due on its way", StatusPaid, "100", "120", "0", "20", "0", "0"},
		{"refunded, then the total went back up (issue 20)", StatusPaid, "120", "120", "20", "0", "20", "0"},
		{"a refund pending counts as gone", StatusProcessing, "120", "120", "0", "20", "20", "0"},
		{"paid again after a refund", StatusProcessing, "120", "140", "20", "0", "0", "0"},
		{"a return's refund after shipping is no debt", StatusDelivered, "120", "120", "40", "0", "0", "0"},
		{"refunded in full", StatusRefunded, "120", "120", "120", "0", "0", "0"},
		{"a refund still due after shipping", StatusShipped, "100", "120", "0", "0", "0", "20"},
		{"cancelled owes nothing", StatusCancelled, "120", "50", "0", "0", "0", "0"},
	}
	for _, c := range cases {
		b := BalanceIn(c.status, Money{Total: d(c.total), Paid: d(c.paid), Refunded: d(c.refunded), RefundPending: d(c.pending)})
		if !b.Outstanding.Equal(d(c.outstanding)) || !b.RefundDue.Equal(d(c.refundDue)) {
			t.Errorf("%s: outstanding %s, refund due %s; want %s, %s", c.name, b.Outstanding, b.RefundDue, c.outstanding, c.refundDue)
		}
		if b.PaidInFull() != b.Outstanding.IsZero() {
			t.Errorf("%s: PaidInFull %v with %s outstanding", c.name, b.PaidInFull(), b.Outstanding)
		}
	}
	o := Order{Number: "ORD-1", Status: StatusPaid, Currency: "USD", Total: d("220"), Paid: d("220"), Refunded: d("20")}
	if err := CheckPaidToShip(o); ErrorCode(err) != CodeInvalidTransition || err.(*Error).Message != "order ORD-1 owes 20.00 USD (total 220.00, paid 220.00, refunded or on its way back 20.00): record the payment before shipping" {
		t.Errorf("CheckPaidToShip = %v", err)
	}
	o.Paid = d("240")
	if err := CheckPaidToShip(o); err != nil {
		t.Errorf("paid again: %v", err)
	}
}
