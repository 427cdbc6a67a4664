package service

import (
	"encoding/json"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// decodeAddress reads every stored address as encoding/json does: the plain ones
// directly, the rest (escapes, other types, broken JSON) through encoding/json.
func TestDecodeAddressReadsAsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"city": "Toronto", "phone": "+1 416 555 6167", "region": "ON", "country": "CA", "address1": "155 Queen St W", "address2": "", "last_name": "Ivanova", "first_name": "Tomás", "postal_code": "M5H 2N2"}`,
		`{"city":"A","country":"DE"}`,
		` { "city" : "A" , "extra": "x" } `,
		`{"city": "Line \"quoted\" \u00e9 \\ end", "country": "FR"}`,
		`{"city": "A", "n": 1}`,
		`{"city": {"nested": "x"}}`,
		`{}`,
		`{"city": "A",}`,
		`{"city": "A"`,
		`["city"]`,
		`{"city": "A"} x`,
		``,
	} {
		var want, got domain.Address
		werr := json.Unmarshal([]byte(in), &want)
		gerr := decodeAddress([]byte(in), &got)
		if (werr == nil) != (gerr == nil) || got != want {
			t.Errorf("%q: got %+v (%v), encoding/json %+v (%v)", in, got, gerr, want, werr)
		}
	}
}
