package domain

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// A search box never panics, and what it asks the database for stays within the limits.
func FuzzParseOrderSearch(f *testing.F) {
	for _, s := range []string{"", "ORD-261201-0001", "ann@ex", "+1 555 0100", "ava ngu", "a", "%_\\", "ORD-", "\x00", "ÄÖÜ ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := ParseOrderSearch(q)
		if err != nil {
			return
		}
		if got.Kind == SearchWords && (len(got.Words) == 0 || len(got.Words) > MaxSearchWords) {
			t.Fatalf("%q: %d words", q, len(got.Words))
		}
		for _, w := range got.Words {
			if utf8.RuneCountInString(w) < MinSearchWord {
				t.Fatalf("%q: word %q too short", q, w)
			}
		}
	})
}

// Amounts of money are written exactly as decimal's own fixed-point formatting writes them.
func FuzzFormatAmount(f *testing.F) {
	for _, s := range []string{"0", "19.99", "-0.5", "1234567.891", "1e3", "0.0001", "-99999999999999999999.99"} {
		f.Add(s, "USD")
		f.Add(s, "JPY")
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		d, err := decimal.NewFromString(s)
		if err != nil || len(s) > 40 || !strings.Contains("USD EUR JPY GBP KWD", currency) || currency == "" ||
			!HasMinorUnits(d, currency) {
			return // money always has the currency's decimals at most (validated, rounded)
		}
		want := d.StringFixed(int32(MinorUnits(currency)))
		if got := FormatAmount(d, currency); got != want {
			t.Fatalf("FormatAmount(%s, %s) = %q, want %q", s, currency, got, want)
		}
	})
}

// Whatever comes in, ParseDecimal answers without a panic; what it accepts has no
// exponent, fits the column and is the value shopspring/decimal reads; and everything
// decimal reads that has no exponent and fits is accepted (no valid amount refused).
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"19.99", "1e-5", "1E2", "1e9999", "\u22125", "+.5", "5.", ".", "", "-", "-0.00", "1,234.50", " 1",
		"0x10", "1_000", "NaN", "\u0661", "99999999999999999999", "0.00001", "0000000000000000000000000000000000000001.5", ".-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []Digits{MoneyDigits, TaxPercentDigits} {
			got, err := ParseDecimal(s, d)
			if len(s) > maxDecimalLen || strings.ContainsAny(s, "eE") {
				if err == nil {
					t.Fatalf("ParseDecimal(%q, %v) = %s: an exponent or a long number was accepted", s, d, got)
				}
				continue // and decimal may take long to read it
			}
			want, werr := decimal.NewFromString(s)
			fits := werr == nil && want.Equal(want.Truncate(int32(d.Frac))) && want.Abs().LessThan(decimal.New(1, int32(d.Int)))
			switch {
			case err == nil && (!fits || !got.Equal(want)):
				t.Fatalf("ParseDecimal(%q, %v) = %s; decimal reads %s (%v)", s, d, got, want, werr)
			case err != nil && fits:
				t.Fatalf("ParseDecimal(%q, %v) refused a plain decimal that fits: %v", s, d, err)
			case err == nil:
				if again, err := ParseDecimal(got.String(), d); err != nil || !again.Equal(got) {
					t.Fatalf("%q: %s does not read back (%s, %v)", s, got, again, err)
				}
			}
		}
	})
}
