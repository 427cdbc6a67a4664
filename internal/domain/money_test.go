package domain_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

func decOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestMinorUnitsPerCurrency(t *testing.T) {
	tests := []struct {
		currency string
		known    bool
		places   int32
	}{
		{"USD", true, 2}, {"EUR", true, 2}, {"GBP", true, 2},
		{"JPY", true, 0}, {"KRW", true, 0},
		{"KWD", true, 3}, {"BHD", true, 3}, {"OMR", true, 3},
		{"XXX", false, 2}, {"usd", false, 2}, {"", false, 2},
	}
	for _, tt := range tests {
		if got := domain.KnownCurrency(tt.currency); got != tt.known {
			t.Errorf("KnownCurrency(%q) = %v, want %v", tt.currency, got, tt.known)
		}
		if got := domain.MinorUnits(tt.currency); got != tt.places {
			t.Errorf("MinorUnits(%q) = %d, want %d", tt.currency, got, tt.places)
		}
	}
}

func TestRoundIsHalfEvenToMinorUnits(t *testing.T) {
	tests := []struct {
		name     string
		amount   string
		currency string
		want     string
	}{
		{"USD tie rounds down to even", "0.125", "USD", "0.12"},
		{"USD tie rounds up to even", "0.135", "USD", "0.14"},
		{"USD tie 0.145 to even", "0.145", "USD", "0.14"},
		{"USD tie 0.155 to even", "0.155", "USD", "0.16"},
		{"USD above the tie rounds up", "0.1251", "USD", "0.13"},
		{"USD below the tie rounds down", "0.1249", "USD", "0.12"},
		{"USD tie with many zeros", "0.12500000", "USD", "0.12"},
		{"USD already rounded is unchanged", "19.90", "USD", "19.90"},
		{"USD fewer places is unchanged", "19.9", "USD", "19.90"},
		{"USD negative tie to even", "-0.125", "USD", "-0.12"},
		{"USD negative tie up to even", "-0.135", "USD", "-0.14"},
		{"JPY tie 2.5 to even", "2.5", "JPY", "2"},
		{"JPY tie 3.5 to even", "3.5", "JPY", "4"},
		{"JPY tie 0.5 to even", "0.5", "JPY", "0"},
		{"JPY tie 1200.5 to even", "1200.5", "JPY", "1200"},
		{"JPY above the tie", "2.51", "JPY", "3"},
		{"JPY below the tie", "3.49", "JPY", "3"},
		{"KWD tie rounds down to even", "1.0005", "KWD", "1.000"},
		{"KWD tie rounds up to even", "1.0015", "KWD", "1.002"},
		{"KWD tie 1.0025 to even", "1.0025", "KWD", "1.002"},
		{"KWD above the tie", "1.00051", "KWD", "1.001"},
		{"BHD tie to even", "2.3455", "BHD", "2.346"},
		{"unknown currency uses 2 places", "0.125", "XXX", "0.12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.Round(decOf(tt.amount), tt.currency)
			if !got.Equal(decOf(tt.want)) {
				t.Errorf("Round(%s, %s) = %s, want %s", tt.amount, tt.currency, got.String(), tt.want)
			}
			if !domain.HasMinorUnits(got, tt.currency) {
				t.Errorf("Round(%s, %s) = %s still has more than the minor units", tt.amount, tt.currency, got.String())
			}
		})
	}
}

func TestFormatAmountHasExactlyTheMinorUnits(t *testing.T) {
	tests := []struct {
		amount   decimal.Decimal
		currency string
		want     string
	}{
		{decOf("19.9"), "USD", "19.90"},
		{decOf("19.90"), "USD", "19.90"},
		{decOf("19.900"), "USD", "19.90"},
		{decOf("5"), "USD", "5.00"},
		{decOf("0"), "USD", "0.00"},
		{decimal.Decimal{}, "USD", "0.00"}, // zero value, as in an unset Totals field
		{decOf("-5"), "USD", "-5.00"},
		{decOf("0.125"), "USD", "0.12"},
		{decOf("0.135"), "USD", "0.14"},
		{decOf("1234567.89"), "EUR", "1234567.89"},
		{decOf("1200"), "JPY", "1200"},
		{decOf("1200.0"), "JPY", "1200"},
		{decOf("1200.5"), "JPY", "1200"},
		{decOf("1201.5"), "JPY", "1202"},
		{decOf("1.5"), "KWD", "1.500"},
		{decOf("1.0015"), "KWD", "1.002"},
		{decOf("0"), "BHD", "0.000"},
	}
	for _, tt := range tests {
		if got := domain.FormatAmount(tt.amount, tt.currency); got != tt.want {
			t.Errorf("FormatAmount(%s, %s) = %q, want %q", tt.amount.String(), tt.currency, got, tt.want)
		}
	}
}

func TestHasMinorUnits(t *testing.T) {
	tests := []struct {
		amount   string
		currency string
		want     bool
	}{
		{"19.99", "USD", true},
		{"19.9", "USD", true},
		{"19.990", "USD", true},
		{"20", "USD", true},
		{"0", "USD", true},
		{"19.999", "USD", false},
		{"0.001", "USD", false},
		{"-19.999", "USD", false},
		{"1200", "JPY", true},
		{"1200.0", "JPY", true},
		{"1200.5", "JPY", false},
		{"1.500", "KWD", true},
		{"1.5", "KWD", true},
		{"1.5005", "KWD", false},
	}
	for _, tt := range tests {
		if got := domain.HasMinorUnits(decOf(tt.amount), tt.currency); got != tt.want {
			t.Errorf("HasMinorUnits(%s, %s) = %v, want %v", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func totalsLine(price string, qty int) domain.Line {
	return domain.Line{UnitPrice: decOf(price), Quantity: qty}
}

func flatShipping(amount string) *domain.ShippingRate {
	return &domain.ShippingRate{Amount: decOf(amount)}
}

func shippingFreeAt(amount, threshold string) *domain.ShippingRate {
	return &domain.ShippingRate{Amount: decOf(amount), FreeAbove: decimal.NewNullDecimal(decOf(threshold))}
}

func percentOff(pct string) *domain.Coupon {
	return &domain.Coupon{Code: "PCT" + pct, Percent: true, Value: decOf(pct)}
}

func fixedOff(amount, currency string) *domain.Coupon {
	return &domain.Coupon{Code: "FIX" + amount, Value: decOf(amount), Currency: currency}
}

func TestComputeTotals(t *testing.T) {
	type want struct{ subtotal, discount, shipping, tax, total string }
	tests := []struct {
		name string
		in   domain.TotalsInput
		want want
	}{
		{
			name: "no coupon: lines summed, flat shipping, tax rounded",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("19.90", 2), totalsLine("5.00", 1)},
				Shipping: flatShipping("5.00"), TaxRate: decOf("0.08")},
			// tax 44.80 * 0.08 = 3.584 -> 3.58
			want: want{"44.80", "0", "5.00", "3.58", "53.38"},
		},
		{
			name: "no coupon, no shipping rate, no tax",
			in:   domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("12.34", 1)}},
			want: want{"12.34", "0", "0", "0", "12.34"},
		},
		{
			name: "percent coupon rounds the discount",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("12.34", 1)},
				Coupon: percentOff("10")},
			// 1.234 -> 1.23
			want: want{"12.34", "1.23", "0", "0", "11.11"},
		},
		{
			name: "percent coupon discount on a tie rounds half-even",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("10.30", 1)},
				Coupon: percentOff("15")},
			// 10.30 * 15% = 1.545 -> 1.54 (half-up would give 1.55)
			want: want{"10.30", "1.54", "0", "0", "8.76"},
		},
		{
			name: "percent coupon of 100 discounts the whole subtotal",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("30.00", 1)},
				Coupon: percentOff("100"), Shipping: flatShipping("4.00"), TaxRate: decOf("0.10")},
			want: want{"30.00", "30.00", "4.00", "0", "4.00"},
		},
		{
			name: "fixed coupon",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("25.00", 2)},
				Coupon: fixedOff("7.50", "USD"), Shipping: shippingFreeAt("4.99", "100.00"), TaxRate: decOf("0.10")},
			// discounted 42.50; tax 4.25
			want: want{"50.00", "7.50", "4.99", "4.25", "51.74"},
		},
		{
			name: "fixed coupon larger than subtotal is capped, total not negative",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("20.00", 1)},
				Coupon: fixedOff("25.00", "USD"), TaxRate: decOf("0.10")},
			want: want{"20.00", "20.00", "0", "0", "0"},
		},
		{
			name: "fixed coupon larger than subtotal still pays shipping",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("20.00", 1)},
				Coupon: fixedOff("25.00", "USD"), Shipping: shippingFreeAt("5.00", "50.00"), TaxRate: decOf("0.10")},
			want: want{"20.00", "20.00", "5.00", "0", "5.00"},
		},
		{
			name: "coupon with min_subtotal met exactly applies",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("25.00", 2)},
				Coupon: &domain.Coupon{Code: "MIN50", Value: decOf("5.00"), Currency: "USD", MinSubtotal: decimal.NewNullDecimal(decOf("50.00"))}},
			want: want{"50.00", "5.00", "0", "0", "45.00"},
		},
		{
			name: "tax on the discounted subtotal, not on shipping",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("100.00", 1)},
				Coupon: percentOff("10"), Shipping: flatShipping("10.00"), TaxRate: decOf("0.20")},
			// tax 90.00 * 0.20 = 18.00 (not 20.00 on the subtotal, not 20.00 on discounted+shipping)
			want: want{"100.00", "10.00", "10.00", "18.00", "118.00"},
		},
		{
			name: "free shipping when discounted subtotal reaches the threshold exactly",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("60.00", 1)},
				Coupon: fixedOff("10.00", "USD"), Shipping: shippingFreeAt("6.95", "50.00")},
			want: want{"60.00", "10.00", "0", "0", "50.00"},
		},
		{
			name: "free shipping with no coupon at the threshold exactly",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("25.00", 2)},
				Shipping: shippingFreeAt("6.95", "50.00")},
			want: want{"50.00", "0", "0", "0", "50.00"},
		},
		{
			name: "shipping charged one cent below the threshold",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("49.99", 1)},
				Shipping: shippingFreeAt("6.95", "50.00")},
			want: want{"49.99", "0", "6.95", "0", "56.94"},
		},
		{
			name: "shipping charged when subtotal reaches the threshold but discounted subtotal does not",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("55.00", 1)},
				Coupon: fixedOff("10.00", "USD"), Shipping: shippingFreeAt("6.95", "50.00")},
			want: want{"55.00", "10.00", "6.95", "0", "51.95"},
		},
		{
			name: "JPY tax rounds to whole yen",
			in: domain.TotalsInput{Currency: "JPY", Lines: []domain.Line{totalsLine("1234", 1)},
				Shipping: flatShipping("500"), TaxRate: decOf("0.10")},
			// 123.4 -> 123
			want: want{"1234", "0", "500", "123", "1857"},
		},
		{
			name: "JPY tax tie rounds to even (down)",
			in:   domain.TotalsInput{Currency: "JPY", Lines: []domain.Line{totalsLine("1225", 1)}, TaxRate: decOf("0.10")},
			// 122.5 -> 122
			want: want{"1225", "0", "0", "122", "1347"},
		},
		{
			name: "JPY tax tie rounds to even (up)",
			in:   domain.TotalsInput{Currency: "JPY", Lines: []domain.Line{totalsLine("1235", 1)}, TaxRate: decOf("0.10")},
			// 123.5 -> 124
			want: want{"1235", "0", "0", "124", "1359"},
		},
		{
			name: "JPY percent coupon rounds to whole yen",
			in: domain.TotalsInput{Currency: "JPY", Lines: []domain.Line{totalsLine("999", 1)},
				Coupon: percentOff("15"), TaxRate: decOf("0.08")},
			// discount 149.85 -> 150; discounted 849; tax 67.92 -> 68
			want: want{"999", "150", "0", "68", "917"},
		},
		{
			name: "KWD order keeps 3 decimals",
			in: domain.TotalsInput{Currency: "KWD", Lines: []domain.Line{totalsLine("1.250", 3)},
				Coupon: fixedOff("0.500", "KWD"), Shipping: flatShipping("1.500"), TaxRate: decOf("0.05")},
			// discounted 3.250; tax 0.1625 -> 0.162 (tie, 2 is even)
			want: want{"3.750", "0.500", "1.500", "0.162", "4.912"},
		},
		{
			name: "KWD tax tie rounds up to even",
			in:   domain.TotalsInput{Currency: "KWD", Lines: []domain.Line{totalsLine("1.250", 3)}, TaxRate: decOf("0.05")},
			// 0.1875 -> 0.188
			want: want{"3.750", "0", "0", "0.188", "3.938"},
		},
		{
			name: "USD tax of exactly .xx5 rounds down to even",
			in:   domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("10.50", 1)}, TaxRate: decOf("0.05")},
			// 0.525 -> 0.52 (half-up would give 0.53)
			want: want{"10.50", "0", "0", "0.52", "11.02"},
		},
		{
			name: "USD tax of exactly .xx5 rounds up to even",
			in:   domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("10.70", 1)}, TaxRate: decOf("0.05")},
			// 0.535 -> 0.54
			want: want{"10.70", "0", "0", "0.54", "11.24"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ComputeTotals(tt.in)
			if err != nil {
				t.Fatalf("ComputeTotals: %v", err)
			}
			check := func(field string, got decimal.Decimal, want string) {
				t.Helper()
				if !got.Equal(decOf(want)) {
					t.Errorf("%s = %s, want %s", field, got.String(), want)
				}
				if !domain.HasMinorUnits(got, tt.in.Currency) {
					t.Errorf("%s = %s is not rounded to %s minor units", field, got.String(), tt.in.Currency)
				}
			}
			check("subtotal", got.Subtotal, tt.want.subtotal)
			check("discount", got.Discount, tt.want.discount)
			check("shipping", got.Shipping, tt.want.shipping)
			check("tax", got.Tax, tt.want.tax)
			check("total", got.Total, tt.want.total)
			assertTotalsInvariant(t, got)
		})
	}
}

// assertTotalsInvariant: total = subtotal - discount + shipping + tax; the discount
// never exceeds the subtotal; nothing is negative.
func assertTotalsInvariant(t *testing.T, tot domain.Totals) {
	t.Helper()
	sum := tot.Subtotal.Sub(tot.Discount).Add(tot.Shipping).Add(tot.Tax)
	if !tot.Total.Equal(sum) {
		t.Errorf("total %s != subtotal %s - discount %s + shipping %s + tax %s = %s",
			tot.Total.String(), tot.Subtotal.String(), tot.Discount.String(), tot.Shipping.String(), tot.Tax.String(), sum.String())
	}
	if tot.Discount.GreaterThan(tot.Subtotal) {
		t.Errorf("discount %s exceeds subtotal %s", tot.Discount.String(), tot.Subtotal.String())
	}
	for name, v := range map[string]decimal.Decimal{"subtotal": tot.Subtotal, "discount": tot.Discount,
		"shipping": tot.Shipping, "tax": tot.Tax, "total": tot.Total} {
		if v.IsNegative() {
			t.Errorf("%s = %s is negative", name, v.String())
		}
	}
}

func TestComputeTotalsManualDiscountComesAfterTheCoupon(t *testing.T) {
	type want struct{ manual, discount, shipping, tax, total string }
	tests := []struct {
		name   string
		in     domain.TotalsInput
		manual string
		want   want
	}{
		{"taken off the subtotal; tax on what is left",
			domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("50.00", 2)}, TaxRate: decOf("0.10")},
			"5.00", want{"5.00", "5.00", "0", "9.50", "104.50"}},
		{"after a percent coupon, which is computed on the whole subtotal",
			domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("100.00", 1)}, Coupon: percentOff("10")},
			"20.00", want{"20.00", "30.00", "0", "0", "70.00"}},
		{"rounded to the currency, half to even",
			domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("10.00", 1)}},
			"1.125", want{"1.12", "1.12", "0", "0", "8.88"}},
		{"JPY has no minor units",
			domain.TotalsInput{Currency: "JPY", Lines: []domain.Line{totalsLine("1200", 1)}},
			"100.5", want{"100", "100", "0", "0", "1100"}},
		{"never more than what the coupon left",
			domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("30.00", 1)}, Coupon: fixedOff("10.00", "USD"),
				Shipping: flatShipping("4.00"), TaxRate: decOf("0.10")},
			"50.00", want{"20.00", "30.00", "4.00", "0", "4.00"}},
		{"can bring the order under the free shipping threshold",
			domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("55.00", 1)}, Shipping: shippingFreeAt("5.00", "50.00")},
			"10.00", want{"10.00", "10.00", "5.00", "0", "50.00"}},
		{"none: the totals of before",
			domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("55.00", 1)}, Shipping: shippingFreeAt("5.00", "50.00")},
			"0", want{"0", "0", "0", "0", "55.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ManualDiscount = decOf(tt.manual)
			got, err := domain.ComputeTotals(tt.in)
			if err != nil {
				t.Fatalf("ComputeTotals: %v", err)
			}
			for _, c := range []struct {
				field string
				got   decimal.Decimal
				want  string
			}{{"manual discount", got.ManualDiscount, tt.want.manual}, {"discount", got.Discount, tt.want.discount},
				{"shipping", got.Shipping, tt.want.shipping}, {"tax", got.Tax, tt.want.tax}, {"total", got.Total, tt.want.total}} {
				if !c.got.Equal(decOf(c.want)) {
					t.Errorf("%s = %s, want %s", c.field, c.got, c.want)
				}
			}
			assertTotalsInvariant(t, got)
		})
	}
}

func TestComputeTotalsRefusesCouponThatDoesNotApply(t *testing.T) {
	tests := []struct {
		name        string
		in          domain.TotalsInput
		msgContains []string
	}{
		{
			name: "min_subtotal not met",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("49.99", 1)},
				Coupon: &domain.Coupon{Code: "MIN50", Percent: true, Value: decOf("10"), MinSubtotal: decimal.NewNullDecimal(decOf("50"))}},
			msgContains: []string{"MIN50", "50.00"},
		},
		{
			name: "min_subtotal judged on the subtotal before the discount",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("10.00", 4)},
				Coupon: &domain.Coupon{Code: "MIN45", Value: decOf("5.00"), Currency: "USD", MinSubtotal: decimal.NewNullDecimal(decOf("45.00"))}},
			msgContains: []string{"MIN45", "45.00"},
		},
		{
			name: "fixed coupon in another currency",
			in: domain.TotalsInput{Currency: "USD", Lines: []domain.Line{totalsLine("100.00", 1)},
				Coupon: fixedOff("10.00", "EUR")},
			msgContains: []string{"FIX10.00", "EUR"},
		},
		{
			name: "fixed USD coupon on a JPY order",
			in: domain.TotalsInput{Currency: "JPY", Lines: []domain.Line{totalsLine("5000", 1)},
				Coupon: fixedOff("10.00", "USD")},
			msgContains: []string{"USD"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ComputeTotals(tt.in)
			de := requireDomainError(t, err)
			if de.Code != domain.CodeCouponInvalid {
				t.Errorf("code = %q, want %q", de.Code, domain.CodeCouponInvalid)
			}
			if msg, ok := de.Fields["coupon_code"]; !ok || msg == "" {
				t.Errorf("fields = %v, want a message for \"coupon_code\"", de.Fields)
			}
			for _, s := range tt.msgContains {
				if !strings.Contains(de.Message, s) {
					t.Errorf("message %q should contain %q", de.Message, s)
				}
			}
			if !got.Total.IsZero() || !got.Subtotal.IsZero() {
				t.Errorf("totals %+v returned alongside the error, want zero Totals", got)
			}
		})
	}
}

func TestDerivePaymentStatus(t *testing.T) {
	tests := []struct {
		name                  string
		total, paid, refunded string
		want                  domain.PaymentStatus
	}{
		{"nothing paid", "100.00", "0", "0", domain.PaymentPending},
		{"part paid", "100.00", "40.00", "0", domain.PaymentPartiallyPaid},
		{"one cent short", "100.00", "99.99", "0", domain.PaymentPartiallyPaid},
		{"paid in full", "100.00", "100.00", "0", domain.PaymentCompleted},
		{"paid in full, other scale", "100", "100.000", "0", domain.PaymentCompleted},
		{"paid in full then partly refunded", "100.00", "100.00", "30.00", domain.PaymentPartiallyRefunded},
		{"paid in full then fully refunded", "100.00", "100.00", "100.00", domain.PaymentRefunded},
		{"part paid then partly refunded", "100.00", "40.00", "10.00", domain.PaymentPartiallyRefunded},
		{"part paid then all of it refunded", "100.00", "40.00", "40.00", domain.PaymentRefunded},
		{"JPY paid in full", "1857", "1857", "0", domain.PaymentCompleted},
		{"KWD one fils short", "4.912", "4.911", "0", domain.PaymentPartiallyPaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.DerivePaymentStatus(decOf(tt.total), decOf(tt.paid), decOf(tt.refunded)); got != tt.want {
				t.Errorf("DerivePaymentStatus(total %s, paid %s, refunded %s) = %q, want %q",
					tt.total, tt.paid, tt.refunded, got, tt.want)
			}
		})
	}
}

func TestDeriveFulfillmentStatus(t *testing.T) {
	tests := []struct {
		name               string
		ordered, fulfilled int
		want               domain.FulfillmentStatus
	}{
		{"nothing shipped", 3, 0, domain.FulfillmentUnfulfilled},
		{"some shipped", 3, 1, domain.FulfillmentPartiallyFulfilled},
		{"all but one shipped", 3, 2, domain.FulfillmentPartiallyFulfilled},
		{"all shipped", 3, 3, domain.FulfillmentFulfilled},
		{"single item shipped", 1, 1, domain.FulfillmentFulfilled},
		{"empty order", 0, 0, domain.FulfillmentUnfulfilled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.DeriveFulfillmentStatus(tt.ordered, tt.fulfilled); got != tt.want {
				t.Errorf("DeriveFulfillmentStatus(%d, %d) = %q, want %q", tt.ordered, tt.fulfilled, got, tt.want)
			}
		})
	}
}

// FormatAmount's integer fast path writes exactly what decimal's StringFixedBank writes,
// for every scale, sign and currency, including the halves banker's rounding keeps even.
func TestFormatAmountMatchesStringFixedBank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []string{"0", "-0", "0.005", "0.015", "0.025", "-0.005", "-0.015", "1.5", "2.5", "-2.5", "0.0001",
		"12345678901234.5678", "99999999999999.9999", "-99999999999999.9999", "1200", "1200.5", "1201.5",
		"0.9995", "0.99949", "123.456789012345678", "1e5", "7e-19", "9223372036854775807", "12345678901234567.89"}
	for range 20000 {
		coef := rng.Int64N(1_000_000_000_000) - 500_000_000_000
		values = append(values, decimal.New(coef, -rng.Int32N(9)).String())
	}
	for _, v := range values {
		d := decimal.RequireFromString(v)
		for _, cur := range []string{"USD", "JPY", "KWD"} {
			if got, want := domain.FormatAmount(d, cur), d.StringFixedBank(domain.MinorUnits(cur)); got != want {
				t.Errorf("FormatAmount(%s, %s) = %q, want %q", v, cur, got, want)
			}
		}
	}
}
