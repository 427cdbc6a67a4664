package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// stateCount is how many orders are in one combination of the three statuses.
type stateCount struct {
	state  queries.OrderState
	orders int64
}

// orderStates reads the status counters (migrations 00006): a few dozen rows however
// many orders there are.
func orderStates(ctx context.Context, q *queries.Queries) ([]stateCount, error) {
	rows, err := q.OrderStateCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("order state counts: %w", err)
	}
	out := make([]stateCount, len(rows))
	for i, r := range rows {
		out[i] = stateCount{queries.OrderState{Status: r.Status, PaymentStatus: r.PaymentStatus,
			FulfillmentStatus: r.FulfillmentStatus}, r.Orders}
	}
	return out, nil
}

// statesMatching are the combinations that hold orders and pass f's status filters, with
// how many orders they hold, and how many orders there are in all.
func statesMatching(all []stateCount, f domain.OrderFilter) (states []queries.OrderState, matched, total int64) {
	for _, c := range all {
		total += c.orders
		if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, domain.Status(c.state.Status)) ||
			len(f.PaymentStatuses) > 0 && !slices.Contains(f.PaymentStatuses, domain.PaymentStatus(c.state.PaymentStatus)) ||
			len(f.FulfillmentStatuses) > 0 && !slices.Contains(f.FulfillmentStatuses, domain.FulfillmentStatus(c.state.FulfillmentStatus)) {
			continue
		}
		states = append(states, c.state)
		matched += c.orders
	}
	return states, matched, total
}

// CompactOrderStats folds the order counters' deltas into the counters, so that readers
// add up a few rows rather than one per change. It returns how many deltas it folded;
// when another process is compacting, it does nothing.
func (s *Service) CompactOrderStats(ctx context.Context) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		locked, err := q.TryLockOrderStats(ctx)
		if err != nil || !locked {
			return err
		}
		n, err = q.CompactOrderStats(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("compact order stats: %w", err)
	}
	return n, nil
}
