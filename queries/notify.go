package queries

// Hand-written: pg_notify is a function call with no table behind it, so sqlc has
// nothing to type; it must run on the transaction's connection to be sent at commit.

import (
	"context"

	"github.com/google/uuid"
)

// OrderChangedChannel is the PostgreSQL channel on which a committed change of an order
// is announced, with the order's id as payload. Every `oms serve` process LISTENs on it.
const OrderChangedChannel = "oms_order_changed"

// NotifyOrderChanged queues the announcement of a change of order id; PostgreSQL sends
// it when (and only if) the transaction commits, and folds duplicates within it.
func (q *Queries) NotifyOrderChanged(ctx context.Context, id uuid.UUID) error {
	_, err := q.db.Exec(ctx, "SELECT pg_notify('"+OrderChangedChannel+"', $1)", id.String())
	return err
}
