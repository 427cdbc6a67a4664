package domain_test

import (
	"slices"
	"testing"

	"github.com/oms/oms/internal/domain"
)

func TestParseOrderSearchPicksTheIndexThatAnswers(t *testing.T) {
	tests := []struct {
		q     string
		kind  domain.SearchKind
		term  string
		words []string
	}{
		{"", domain.SearchNone, "", nil},
		{"   ", domain.SearchNone, "", nil},
		{"ORD-261125-000042", domain.SearchOrderNumber, "ORD-261125-000042", nil},
		{" ord-261125-00 ", domain.SearchOrderNumber, "ORD-261125-00", nil},
		{"ORD-2611", domain.SearchOrderNumber, "ORD-2611", nil},
		{"ord", domain.SearchOrderNumber, "ORD", nil},
		{"Ann@Example.COM", domain.SearchEmail, "ann@example.com", nil},
		{"ann@", domain.SearchEmail, "ann@", nil},
		{"+1 (555) 010-0100", domain.SearchPhone, "15550100100", nil},
		{"0100", domain.SearchPhone, "0100", nil},
		{"555", domain.SearchWords, "", []string{"555"}},
		{"Ava  Nguyen", domain.SearchWords, "", []string{"Ava", "Nguyen"}},
		{"o'connor", domain.SearchWords, "", []string{"connor"}},
		{"wu", domain.SearchWords, "", []string{"wu"}},
		{"Müller", domain.SearchWords, "", []string{"Müller"}},
		{"lee LEE", domain.SearchWords, "", []string{"lee"}},
		{"customer 99", domain.SearchWords, "", []string{"customer", "99"}},
	}
	for _, tt := range tests {
		got, err := domain.ParseOrderSearch(tt.q)
		if err != nil {
			t.Errorf("%q: %v", tt.q, err)
			continue
		}
		if got.Kind != tt.kind || got.Term != tt.term || !slices.Equal(got.Words, tt.words) {
			t.Errorf("%q: %+v, want kind %d term %q words %q", tt.q, got, tt.kind, tt.term, tt.words)
		}
	}
	for _, q := range []string{"a", "a b", "-", "a b c d e f", "ab cd ef gh ij"} {
		if _, err := domain.ParseOrderSearch(q); domain.ErrorCode(err) != domain.CodeValidationFailed {
			t.Errorf("%q: %v, want validation_failed", q, err)
		}
	}
}
