package domain_test

import (
	"slices"
	"testing"

	"github.com/oms/oms/internal/domain"
)

func TestCheckLineQuantitiesNamesEachFaultOnce(t *testing.T) {
	lines := []domain.LineLimit{{ID: "a", SKU: "TEE", Most: 2}, {ID: "b", SKU: "MUG", Most: 0}}
	q := func(id string, n int) domain.LineQuantity { return domain.LineQuantity{OrderItemID: id, Quantity: n} }
	for _, tc := range []struct {
		name  string
		items []domain.LineQuantity
		want  []domain.LineFaultKind
	}{
		{"within", []domain.LineQuantity{q("a", 2)}, nil},
		{"unknown", []domain.LineQuantity{q("a", 1), q("z", 1)}, []domain.LineFaultKind{domain.NotALine}},
		{"twice", []domain.LineQuantity{q("a", 1), q("a", 1)}, []domain.LineFaultKind{domain.RepeatedLine}},
		{"twice, the first too many", []domain.LineQuantity{q("a", 3), q("a", 1)}, []domain.LineFaultKind{domain.TooMany, domain.RepeatedLine}},
		{"too many", []domain.LineQuantity{q("a", 3), q("b", 1)}, []domain.LineFaultKind{domain.TooMany, domain.TooMany}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []domain.LineFaultKind
			for _, f := range domain.CheckLineQuantities(lines, tc.items) {
				got = append(got, f.Kind)
				if f.Kind != domain.NotALine && f.Line.ID != tc.items[f.Index].OrderItemID {
					t.Errorf("fault of line %d names %q", f.Index, f.Line.ID)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("faults = %v, want %v", got, tc.want)
			}
		})
	}
}
