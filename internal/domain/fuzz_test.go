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
