package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Order versions (domain/versions.go): an order's version grows by exactly one with each
// transaction that changes it, however many of its rows the transaction writes, so that
// the versions of one order's changes have no gaps and no repeats. A transaction that
// locks an order and then changes nothing (a Stripe event that arrives twice, tags set to
// what they are) leaves it as it was. A precondition (If-Match, a form's version) is
// checked under the order's row lock, at the first lock of the order in the transaction:
// checked before the lock, another change could commit in between.

// orderTx is a use case's transaction (inTx) with what it did to the orders it touched.
type orderTx struct {
	pgx.Tx
	orders map[uuid.UUID]*txOrder
}

// txOrder is what one transaction did to one order.
type txOrder struct {
	version int64 // the version this transaction's change makes; 0 until it changes the order
}

func newOrderTx(tx pgx.Tx) *orderTx { return &orderTx{Tx: tx, orders: map[uuid.UUID]*txOrder{}} }

// txOf is the transaction q runs in.
func txOf(q *queries.Queries) (*orderTx, error) {
	if t, ok := q.Tx().(*orderTx); ok {
		return t, nil
	}
	return nil, errors.New("an order is locked and changed only in a use case's transaction (inTx)")
}

// orderChanged is the one place an order's version grows: the transaction's first change
// of the order makes the next version, later ones share it. The order row must be
// locked. Every change calls it: addHistory does, and the few changes that write no
// history row. It returns the version the change makes.
func orderChanged(ctx context.Context, q *queries.Queries, id uuid.UUID) (int64, error) {
	t, err := txOf(q)
	if err != nil {
		return 0, err
	}
	o := t.orders[id]
	if o == nil {
		o = &txOrder{}
		t.orders[id] = o
	}
	if o.version == 0 {
		if o.version, err = q.BumpOrderVersion(ctx, id); err != nil {
			return 0, fmt.Errorf("version of order %s: %w", id, err)
		}
	}
	return o.version, nil
}

// checkFirstLock checks the context's precondition against an order just locked, the
// first time the transaction locks it (later locks see the transaction's own change).
func checkFirstLock(ctx context.Context, q *queries.Queries, row queries.Order) error {
	t, err := txOf(q)
	if err != nil {
		return err
	}
	if _, seen := t.orders[row.ID]; seen {
		return nil
	}
	t.orders[row.ID] = &txOrder{}
	p, ok := ctx.Value(preconditionKey{}).(domain.Precondition)
	if !ok || p.Matches(row.Version) {
		return nil
	}
	orders, err := loadOrders(ctx, q, []queries.Order{row})
	if err != nil {
		return err
	}
	return p.Check(orders[0])
}

type preconditionKey struct{}

// IfMatch returns a context whose change of an order is made only if the order meets p
// when it is locked; otherwise the change fails with a *domain.StaleError carrying the
// order as it is (precondition_failed) and writes nothing.
func IfMatch(ctx context.Context, p domain.Precondition) context.Context {
	return context.WithValue(ctx, preconditionKey{}, p)
}
