package views

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/oms/oms/internal/domain"
)

func renderString(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestAriaInvalidOnlyOnFieldsWithAnError: a bare aria-invalid (an empty value) is read by
// screen readers as "not invalid"; fields say aria-invalid="true", pointing at their error,
// when they have one, and carry no aria-invalid otherwise.
func TestAriaInvalidOnlyOnFieldsWithAnError(t *testing.T) {
	bare := regexp.MustCompile(`aria-invalid(\s|/?>)`)
	p := Page{User: &User{Name: "Ann", Role: domain.RoleAdmin}, CSRF: "tok"}
	o := domain.Order{Number: "ORD-1", Currency: "USD"}
	for _, tc := range []struct {
		name    string
		ok, bad templ.Component
		wantBad []string
	}{
		{"reason", textArea("Reason", "reason", Form{}, "Shown in the timeline."),
			textArea("Reason", "reason", Form{Errors: Errors{"reason": "is required"}}, "Shown in the timeline."),
			[]string{`aria-invalid="true"`, `aria-describedby="hint-reason err-reason"`, `id="err-reason"`}},
		{"comment", orderTimeline(p, OrderDetail{Order: o}),
			orderTimeline(p, OrderDetail{Order: o, Comment: Form{Errors: Errors{"comment": "must not be empty"}}}),
			[]string{`aria-invalid="true"`, `aria-describedby="err-comment"`, `id="err-comment"`}},
		{"fulfill qty", FulfillPage(p, FulfillForm{Order: o, Lines: []QuantityLine{{ItemID: "i1", SKU: "MUG", Most: 2, Quantity: "2"}}}),
			FulfillPage(p, FulfillForm{Order: o, Lines: []QuantityLine{{ItemID: "i1", SKU: "MUG", Most: 2, Quantity: "3", Error: "at most 2"}}}),
			[]string{`aria-invalid="true"`, `aria-describedby="err-qty-i1"`, `id="err-qty-i1"`}},
		{"return qty", ReturnRequestPage(p, ReturnRequestForm{Order: o, Lines: []QuantityLine{{ItemID: "i1", SKU: "MUG", Most: 2, Quantity: "1"}}}),
			ReturnRequestPage(p, ReturnRequestForm{Order: o, Lines: []QuantityLine{{ItemID: "i1", SKU: "MUG", Most: 2, Quantity: "3", Error: "at most 2"}}}),
			[]string{`aria-invalid="true"`, `aria-describedby="err-qty-i1"`, `id="err-qty-i1"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok := renderString(t, tc.ok)
			if strings.Contains(ok, "aria-invalid") {
				t.Errorf("a field without an error has aria-invalid")
			}
			bad := renderString(t, tc.bad)
			if bare.MatchString(bad) {
				t.Errorf("a bare aria-invalid: %s", bare.FindString(bad))
			}
			for _, want := range tc.wantBad {
				if !strings.Contains(bad, want) {
					t.Errorf("with an error, no %s", want)
				}
			}
		})
	}
}
