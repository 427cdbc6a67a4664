package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestReturnRefund(t *testing.T) {
	d := decimal.RequireFromString
	line := func(price string, qty, returned, returning int) ReturnLine {
		return ReturnLine{UnitPrice: d(price), Quantity: qty, Returned: returned, Returning: returning}
	}
	tests := []struct {
		name     string
		currency string
		paid     string
		discount string
		lines    []ReturnLine
		want     string
	}{
		{"whole order gives back everything paid", "USD", "107.50", "0",
			[]ReturnLine{line("60", 1, 0, 1), line("40", 1, 0, 1)}, "107.50"},
		{"one line of two, no discount", "USD", "100", "0",
			[]ReturnLine{line("60", 1, 0, 1), line("40", 1, 0, 0)}, "60"},
		{"discount prorated over the lines", "USD", "90", "10",
			[]ReturnLine{line("60", 1, 0, 1), line("40", 1, 0, 0)}, "54"},
		{"shipping and tax paid go back in proportion", "USD", "110", "0",
			[]ReturnLine{line("25", 4, 0, 1)}, "27.50"},
		{"part of a line", "USD", "30", "0",
			[]ReturnLine{line("10", 3, 0, 2)}, "20"},
		{"rounded half to even once", "USD", "10.01", "0",
			[]ReturnLine{line("5", 2, 0, 1)}, "5"}, // 5.005 -> 5.00
		{"the last return gets the remainder", "USD", "10.01", "0",
			[]ReturnLine{line("5", 2, 1, 1)}, "5.01"},
		{"thirds add up to paid", "USD", "100", "0",
			[]ReturnLine{line("1", 3, 2, 1)}, "33.33"}, // 100 - 66.67
		{"zero-decimal currency", "JPY", "1000", "0",
			[]ReturnLine{line("300", 3, 0, 1)}, "333"},
		{"three-decimal currency", "KWD", "1", "0",
			[]ReturnLine{line("1", 3, 0, 1)}, "0.333"},
		{"fully discounted goods return shipping by quantity", "USD", "10", "50",
			[]ReturnLine{line("25", 2, 0, 1)}, "5"},
		{"nothing paid, nothing back", "USD", "0", "0",
			[]ReturnLine{line("25", 2, 0, 2)}, "0"},
		{"nothing returned, nothing back", "USD", "50", "0",
			[]ReturnLine{line("25", 2, 0, 0)}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReturnRefund(tt.currency, d(tt.paid), d(tt.discount), tt.lines)
			if !got.Equal(d(tt.want)) {
				t.Errorf("ReturnRefund = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReturnRefundPartsAddUpToPaid(t *testing.T) {
	paid := decimal.RequireFromString("99.99")
	lines := []ReturnLine{{UnitPrice: decimal.RequireFromString("19.99"), Quantity: 7},
		{UnitPrice: decimal.RequireFromString("3.33"), Quantity: 3}}
	sum := decimal.Zero
	// Return one unit at a time, alternating lines.
	for done := false; !done; {
		done = true
		for i := range lines {
			if lines[i].Returned < lines[i].Quantity {
				lines[i].Returning = 1
				sum = sum.Add(ReturnRefund("USD", paid, decimal.RequireFromString("5"), lines))
				lines[i].Returned++
				lines[i].Returning = 0
				done = false
			}
		}
	}
	if !sum.Equal(paid) {
		t.Fatalf("returns one by one gave back %s, want exactly %s", sum, paid)
	}
}

func TestCustomerReturnsWithinTheWindowOfADeliveredOrder(t *testing.T) {
	delivered := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	window := 30 * 24 * time.Hour
	o := Order{Number: "ORD-1", Status: StatusDelivered, DeliveredAt: &delivered,
		Items:   []OrderItem{{ID: "a", Quantity: 3, FulfilledQuantity: 3, ReturnedQuantity: 1}, {ID: "b", Quantity: 1, FulfilledQuantity: 1}},
		Returns: []Return{{Status: ReturnRequested, Items: []LineQuantity{{OrderItemID: "a", Quantity: 1}}}, {Status: ReturnRejected, Items: []LineQuantity{{OrderItemID: "b", Quantity: 1}}}}}
	if r := o.Returnable(); r["a"] != 1 || r["b"] != 1 {
		t.Errorf("returnable = %v, want a:1 (one returned, one requested) b:1 (the rejected return frees it)", r)
	}
	if err := CheckCustomerReturn(o, []LineQuantity{{OrderItemID: "b", Quantity: 1}}, window, delivered.Add(window)); err != nil {
		t.Errorf("on the window's last moment: %v", err)
	}
	if err := CheckCustomerReturn(o, []LineQuantity{{OrderItemID: "b", Quantity: 1}}, window, delivered.Add(window+time.Second)); ErrorCode(err) != CodeReturnNotAllowed ||
		!strings.Contains(err.Error(), "until Mar 31, 2026") {
		t.Errorf("after the window: %v", err)
	}
	if err := CheckCustomerReturn(o, []LineQuantity{{OrderItemID: "a", Quantity: 1, Reason: "again"}}, window, delivered); ErrorCode(err) != CodeConflict {
		t.Errorf("the same units as a waiting request: %v, want conflict", err)
	}
	for _, st := range []Status{StatusShipped, StatusRefunded, StatusCancelled} {
		o := o
		o.Status = st
		if err := CheckCustomerReturn(o, nil, window, delivered); ErrorCode(err) != CodeReturnNotAllowed {
			t.Errorf("%s: %v", st, err)
		}
	}
}
