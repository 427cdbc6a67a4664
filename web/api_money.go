package web

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// Money is an amount as the API reads it: a decimal string such as "19.99", read by
// domain.ParseDecimal. Numbers are refused, since a JSON number may already have lost
// precision in the client.
type Money struct {
	decimal.Decimal
	// refused says why the value sent is not an amount; decodeJSON refuses it naming the
	// field (which encoding/json no longer tells a type's own decoder).
	refused *domain.DecimalError
}

var moneyType = reflect.TypeFor[Money]()

// moneyWant is what a value that is not a decimal string at all must be.
const moneyWant = `must be a decimal string such as "19.99"`

// UnmarshalJSON accepts a JSON string holding a plain decimal, and remembers why it
// refused anything else for badValue.
func (m *Money) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		m.refused = &domain.DecimalError{Malformed: true, Msg: moneyWant}
		return nil
	}
	d, err := domain.ParseDecimal(s, domain.MoneyDigits)
	if errors.As(err, &m.refused) {
		return nil
	}
	m.Decimal = d
	return nil
}

// badValue refuses the first value in v that no field may hold, naming its field as the
// API names fields (items[0].price): a Money that is not a decimal string (400) or has
// more digits than its column holds (422), or text with a NUL character (which JSON can
// carry and PostgreSQL cannot store: 422).
func badValue(v any) error {
	if path, msg, code, ok := findBadValue(reflect.ValueOf(v), ""); ok {
		return &domain.Error{Code: code, Message: path + " " + msg, Fields: map[string]string{path: msg}}
	}
	return nil
}

// findBadValue returns the path of the first bad value in v, what is wrong with it and
// the error code that says so.
func findBadValue(v reflect.Value, path string) (string, string, string, bool) {
	switch v.Kind() {
	case reflect.String:
		return path, "must be text without NUL characters", domain.CodeValidationFailed, strings.ContainsRune(v.String(), 0)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", "", "", false
		}
		return findBadValue(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == moneyType {
			r := v.Interface().(Money).refused
			if r == nil {
				return "", "", "", false
			}
			if r.Malformed {
				return path, moneyWant, domain.CodeBadRequest, true // the wrong kind of value
			}
			return path, r.Msg, domain.CodeValidationFailed, true
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
			if p, msg, code, ok := findBadValue(v.Field(i), name); ok {
				return p, msg, code, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, msg, code, ok := findBadValue(v.Index(i), path+"["+strconv.Itoa(i)+"]"); ok {
				return p, msg, code, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p, msg, code, ok := findBadValue(it.Value(), path+"."+it.Key().String()); ok {
				return p, msg, code, true
			}
		}
	}
	return "", "", "", false
}
