package web

import (
	"testing"

	"github.com/oms/oms/internal/domain"
)

// A money field that is not a decimal string is refused naming its field, wherever it
// is in the body; encoding/json's own type errors are named the same way.
func TestBadMoneyAndTypesAreNamedByTheirPath(t *testing.T) {
	type line struct {
		Price *Money `json:"price"`
		Qty   int    `json:"quantity"`
	}
	type body struct {
		Amount *Money `json:"amount"`
		Lines  []line `json:"lines"`
	}
	for in, field := range map[string]string{
		`{"amount": 12.5}`:  "amount",
		`{"amount": "1e3"}`: "amount",
		`{"amount": ""}`:    "amount",
		`{"lines": [{"price": "1.00"}, {"price": "abc"}]}`:    "lines[1].price",
		`{"lines": [{"price": "1.00"}, {"quantity": "two"}]}`: "lines[1].quantity",
	} {
		var b body
		err := decodeJSON([]byte(in), &b)
		de, _ := err.(*domain.Error)
		if de == nil || de.Code != domain.CodeBadRequest || de.Fields[field] == "" {
			t.Errorf("%s: %v, want bad_request naming %s", in, err, field)
		}
	}
	var b body
	if err := decodeJSON([]byte(`{"amount": "19.99", "lines": [{"price": "0.5", "quantity": 2}]}`), &b); err != nil ||
		b.Amount.String() != "19.99" || b.Lines[0].Price.String() != "0.5" {
		t.Errorf("valid body: %v %+v", err, b)
	}
}
