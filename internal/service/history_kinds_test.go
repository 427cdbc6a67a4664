package service_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/testdb"
)

// TestHistoryKindsMatchTheCheck holds domain.HistoryKinds and the migrated database's
// order_history_kind_check together: a kind added on one side only fails here, not when
// an order first records it.
func TestHistoryKindsMatchTheCheck(t *testing.T) {
	var def string
	if err := testdb.New(t).QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conname = 'order_history_kind_check' AND conrelid = 'order_history'::regclass`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	var checked []string
	for _, m := range regexp.MustCompile(`'([a-z_]+)'::text`).FindAllStringSubmatch(def, -1) {
		checked = append(checked, m[1])
	}
	var kinds []string
	for _, k := range domain.HistoryKinds {
		kinds = append(kinds, string(k))
	}
	slices.Sort(checked)
	slices.Sort(kinds)
	if len(checked) == 0 || !slices.Equal(checked, kinds) {
		t.Errorf("order_history_kind_check allows %v, domain.HistoryKinds is %v (constraint: %s)", checked, kinds, def)
	}
}
