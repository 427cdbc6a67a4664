package web

import (
	"cmp"
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
		m.bad = cmp.Or(string(b), "(nothing)")
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

// badValue refuses the first value in v that no field may hold, naming its field as the
// API names fields (items[0].price): a Money that was not a decimal string, or text with
// a NUL character (which JSON can carry and PostgreSQL cannot store).
func badValue(v any) error {
	if path, want, ok := findBadValue(reflect.ValueOf(v), ""); ok {
		code := domain.CodeBadRequest // the wrong JSON type
		if want == noNUL {
			code = domain.CodeValidationFailed // a string, but one no field may hold
		}
		return &domain.Error{Code: code, Message: path + " must be " + want, Fields: map[string]string{path: "must be " + want}}
	}
	return nil
}

const noNUL = "text without NUL characters"

func findBadValue(v reflect.Value, path string) (string, string, bool) {
	switch v.Kind() {
	case reflect.String:
		return path, noNUL, strings.ContainsRune(v.String(), 0)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", "", false
		}
		return findBadValue(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == moneyType {
			return path, moneyWant, v.Interface().(Money).bad != ""
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
			if p, want, ok := findBadValue(v.Field(i), name); ok {
				return p, want, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, want, ok := findBadValue(v.Index(i), path+"["+strconv.Itoa(i)+"]"); ok {
				return p, want, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p, want, ok := findBadValue(it.Value(), path+"."+it.Key().String()); ok {
				return p, want, true
			}
		}
	}
	return "", "", false
}
