package web

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// Money is an amount as the API reads it: a decimal string such as "19.99". Numbers are
// refused, since a JSON number may already have lost precision in the client.
type Money struct{ decimal.Decimal }

var moneyType = reflect.TypeFor[Money]()

// UnmarshalJSON accepts only a JSON string holding a plain decimal.
func (m *Money) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil || s == "" || strings.ContainsAny(s, "eE") || len(s) > 40 {
		return &json.UnmarshalTypeError{Value: string(b), Type: moneyType}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: s, Type: moneyType}
	}
	m.Decimal = d
	return nil
}
