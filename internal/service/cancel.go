package service

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Cancel cancels an order that has not shipped, releasing its reserved stock, and when
// refund is set gives back everything paid that is not yet refunded. It returns the order
// after it and what this cancellation refunded.
func (s *Service) Cancel(ctx context.Context, actor domain.Actor, idOrNumber, reason string, refund bool) (domain.Order, decimal.Decimal, error) {
	if err := domain.CheckNote("reason", reason); err != nil {
		return domain.Order{}, decimal.Zero, err
	}
	var out domain.Order
	var refunded decimal.Decimal
	err := s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		row, r, err := s.cancelTx(ctx, tx, q, actor, idOrNumber, reason, refund)
		if err != nil {
			return err
		}
		refunded = r
		out, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	if err != nil {
		return domain.Order{}, decimal.Zero, err
	}
	return out, refunded, nil
}

// cancelTx is Cancel inside the caller's transaction.
func (s *Service) cancelTx(ctx context.Context, tx pgx.Tx, q *queries.Queries, actor domain.Actor, idOrNumber, reason string,
	refund bool) (queries.Order, decimal.Decimal, error) {
	row, err := lockOrder(ctx, q, idOrNumber)
	if err != nil {
		return row, decimal.Zero, err
	}
	if row, err = s.changeStatus(ctx, q, row, domain.StatusCancelled, actor, reason); err != nil {
		return row, decimal.Zero, err
	}
	left := refundableOf(row)
	if !refund || !left.IsPositive() {
		return row, decimal.Zero, nil
	}
	why := "order cancelled"
	if reason != "" {
		why += ": " + reason
	}
	if _, row, err = s.refund(ctx, tx, q, row, left, why, uuid.NullUUID{}, actor); err != nil {
		return row, decimal.Zero, err
	}
	return row, left, nil
}
