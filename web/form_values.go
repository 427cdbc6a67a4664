package web

import (
	"encoding/json"
	"strings"
)

// Forms that edit a customer or an address name their inputs after the API's JSON paths
// (customer.email, shipping_address.city), so that a struct and its inputs map by the
// struct's own JSON names and a field added to it appears in both.

// flatten puts a struct of strings into form values named by JSON path (prefix.field).
func flatten(into map[string]string, prefix string, v any) {
	b, _ := json.Marshal(v) // a struct of strings always marshals
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	for k, val := range m {
		into[prefix+"."+k] = val
	}
}

// unflatten reads the form values named prefix.field into v, a struct of strings.
func unflatten(values map[string]string, prefix string, v any) {
	m := map[string]string{}
	for k, val := range values {
		if field, ok := strings.CutPrefix(k, prefix+"."); ok {
			m[field] = val
		}
	}
	b, _ := json.Marshal(m)
	_ = json.Unmarshal(b, v) // strings into a struct of strings
}
