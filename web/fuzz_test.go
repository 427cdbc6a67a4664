package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// An order body of any shape gets an answer, never a panic.
func FuzzDecodeOrderJSON(f *testing.F) {
	for _, s := range []string{`{"customer":{"email":"a@b.c"},"items":[{"sku":"A","quantity":1}]}`, `{}`, `[]`, `{"items":[{"quantity":1e999}]}`,
		`{"shipping_address":{"city":"\u0000"}}`, `{"coupon_code":"X","notes":"` + "\xff" + `"}`, `{"items":null}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req domain.NewOrder
		if decodeJSON(b, &req) == nil {
			req.Normalize()
			_ = req.Validate() // an answer for anything decoded, never a panic
		}
	})
}

// A list URL of any shape is parsed and validated or refused, never a panic.
func FuzzParseOrderFilter(f *testing.F) {
	for _, s := range []string{"status=paid&sort=-total", "created_from=2026-01-01&created_to=2025-01-01", "total_min=-1", "limit=99999",
		"cursor=%%%", "status=paid&status=bogus", "q=ORD-2612", "total_max=1e9999", "total_min=1e-5", "total_min=0.00001",
		"total_min=\u22125"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := parseOrderFilter(v)
		if err != nil {
			return
		}
		fl.Normalize()
		_ = fl.Validate()
	})
}

// An amount of any shape is a decimal or is refused naming its field, never a panic and
// never a number that lost precision or has more digits than NUMERIC(19,4) holds.
func FuzzMoney(f *testing.F) {
	for _, s := range []string{`"19.99"`, `19.99`, `"1e3"`, `"-0.00"`, `"  1"`, `null`, `"9999999999999999999999999999.9999"`, `"0x10"`, `"1_000"`,
		`"1E-5"`, `"0.00001"`, `"\u22125"`, `"19.990000"`, `".5"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Money
		if err := m.UnmarshalJSON(b); err != nil {
			t.Fatalf("%q: %v (a bad amount is remembered, not an error)", b, err)
		}
		// JSON's whitespace may stand before a string (encoding/json trims it before a
		// type's decoder sees the value; a direct call need not).
		if m.refused != nil {
			return
		}
		if !strings.HasPrefix(strings.TrimLeft(string(b), " \t\r\n"), `"`) {
			t.Fatalf("%q accepted although it is not a JSON string", b)
		}
		if !m.Equal(m.Truncate(4)) || m.Abs().GreaterThanOrEqual(decimal.New(1, 15)) {
			t.Fatalf("%q accepted as %s, which NUMERIC(19,4) does not hold", b, m.Decimal)
		}
	})
}
