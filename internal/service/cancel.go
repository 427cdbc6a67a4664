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
	refunded := decimal.Zero
	err := s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if row, err = s.changeStatus(ctx, q, row, domain.StatusCancelled, actor, reason); err != nil {
			return err
		}
		if left := refundableOf(row); refund && left.IsPositive() {
			why := "order cancelled"
			if reason != "" {
				why += ": " + reason
			}
			if _, _, err := s.refund(ctx, tx, q, row, left, why, uuid.NullUUID{}, actor); err != nil {
				return err
			}
			refunded = left
		}
		out, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	if err != nil {
		return domain.Order{}, decimal.Zero, err
	}
	return out, refunded, nil
}
