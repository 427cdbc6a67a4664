package web

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// Money is an amount as the API reads it: a decimal string such as "19.99". Numbers are
// refused, since a JSON number may already have lost precision in the client.
type Money struct {
	decimal.Decimal
	// bad is what the client sent when it was not a decimal string; decodeJSON refuses
	// it naming the field (which encoding/json no longer tells a type's own decoder).
	bad string
}

var moneyType = reflect.TypeFor[Money]()

const moneyWant = `a decimal string such as "19.99"`

// UnmarshalJSON accepts a JSON string holding a plain decimal, and remembers anything
// else for badMoney.
func (m *Money) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil || s == "" || strings.ContainsAny(s, "eE") || len(s) > 40 {
		m.bad = string(b)
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		m.bad = string(b)
		return nil
	}
	m.Decimal = d
	return nil
}

// badMoney refuses the first Money in v that was not a decimal string, naming its field
// as the API names fields (items[0].price).
func badMoney(v any) error {
	if path, ok := findBadMoney(reflect.ValueOf(v), ""); ok {
		return &domain.Error{Code: domain.CodeBadRequest, Message: path + " must be " + moneyWant,
			Fields: map[string]string{path: "must be " + moneyWant}}
	}
	return nil
}

func findBadMoney(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return findBadMoney(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == moneyType {
			return path, v.Interface().(Money).bad != ""
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			if p, ok := findBadMoney(v.Field(i), name); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, ok := findBadMoney(v.Index(i), path+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	}
	return "", false
}
