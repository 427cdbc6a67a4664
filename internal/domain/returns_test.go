package domain

import (
	"testing"

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
