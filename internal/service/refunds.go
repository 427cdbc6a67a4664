package service

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/queries"
)

// Refund gives back part or all of what was paid for an order, never more than paid
// minus already refunded. Stripe payments are refunded through Stripe; manual ones are
// recorded as given back. Once everything paid is refunded a returned order becomes
// refunded.
func (s *Service) Refund(ctx context.Context, actor domain.Actor, idOrNumber string, amount decimal.Decimal, reason string) (domain.Refund, domain.Order, error) {
	fe := domain.FieldErrors{}
	if !amount.IsPositive() {
		fe.Add("amount", "must be more than 0")
	}
	domain.ValidateNote(fe, "reason", reason)
	if err := fe.Err(); err != nil {
		return domain.Refund{}, domain.Order{}, err
	}
	var ref queries.Refund
	var out domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if err := checkAmount(amount, row.Currency, "amount"); err != nil {
			return err
		}
		if ref, _, err = s.refund(ctx, q, row, amount, reason, uuid.NullUUID{}, actor); err != nil {
			return err
		}
		out, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	if err != nil {
		return domain.Refund{}, domain.Order{}, err
	}
	return refundFromRow(ref), out, nil
}

// refund is the one way money goes back, for refunds, cancellations and returns. The
// order row must be locked: that lock serialises concurrent refunds, so paid - refunded
// read here stays true until commit (and the CHECK refunded <= paid backs it). The
// amount is drawn from the order's completed payments, newest first.
func (s *Service) refund(ctx context.Context, q *queries.Queries, row queries.Order, amount decimal.Decimal, reason string,
	returnID uuid.NullUUID, actor domain.Actor) (queries.Refund, queries.Order, error) {
	if err := domain.CheckRefund(amount, row.Paid.Sub(row.Refunded), amountIn(row.Currency)); err != nil {
		return queries.Refund{}, row, err
	}
	pays, err := q.RefundablePayments(ctx, row.ID)
	if err != nil {
		return queries.Refund{}, row, fmt.Errorf("refundable payments of %s: %w", row.OrderNumber, err)
	}
	type part struct {
		pay      queries.RefundablePaymentsRow
		amount   decimal.Decimal
		external string
	}
	var parts []part
	left := amount
	for _, p := range pays {
		if !left.IsPositive() {
			break
		}
		take := decimal.Min(left, p.Refundable)
		parts = append(parts, part{pay: p, amount: take})
		left = left.Sub(take)
	}
	if left.IsPositive() {
		return queries.Refund{}, row, fmt.Errorf("refund %s of %s: payments cover %s less than paid - refunded",
			amount, row.OrderNumber, left)
	}

	id := newID()
	status := payment.RefundCompleted
	for i, p := range parts {
		gw, err := s.gateway(p.pay.Gateway)
		if err != nil {
			return queries.Refund{}, row, err
		}
		var external string
		if p.pay.ExternalID != nil {
			external = *p.pay.ExternalID
		}
		// The gateway call cannot be rolled back with this transaction, so its idempotency key
		// names the refund by what it changes (this payment, from what is still refundable of
		// it, by this amount): if the commit fails after the gateway paid out, the retry sends
		// the same key and the gateway answers with that refund instead of paying again.
		key := fmt.Sprintf("oms-refund-%s-%s-%s", p.pay.ID, p.pay.Refundable.String(), p.amount.String())
		res, err := gw.Refund(ctx, external, p.amount, row.Currency, key)
		if err != nil {
			return queries.Refund{}, row, gatewayFailure(err)
		}
		parts[i].external = res.ID
		if res.Status == payment.RefundPending {
			status = payment.RefundPending
		}
	}

	params := queries.InsertRefundParams{ID: id, OrderID: row.ID, Amount: amount, Reason: reason, Status: status, ReturnID: returnID}
	if len(parts) == 1 {
		params.PaymentID = uuid.NullUUID{UUID: parts[0].pay.ID, Valid: true}
		params.Reference = parts[0].external
	}
	ref, err := q.InsertRefund(ctx, params)
	if err != nil {
		return queries.Refund{}, row, fmt.Errorf("insert refund of %s: %w", row.OrderNumber, err)
	}
	for _, p := range parts {
		if err := q.InsertRefundAllocation(ctx, queries.InsertRefundAllocationParams{RefundID: id, PaymentID: p.pay.ID,
			Amount: p.amount, ExternalID: p.external}); err != nil {
			return queries.Refund{}, row, fmt.Errorf("refund allocation of %s: %w", row.OrderNumber, err)
		}
	}
	note := fmt.Sprintf("refund of %s %s", domain.FormatAmount(amount, row.Currency), row.Currency)
	if reason != "" {
		note += ": " + reason
	}
	row, err = s.applyMoney(ctx, q, row, actor, "refund", note)
	return ref, row, err
}

// gateway returns the gateway that took payments recorded under name.
func (s *Service) gateway(name string) (payment.Gateway, error) {
	switch name {
	case "manual":
		return payment.Manual{}, nil
	case "stripe":
		if s.cfg.Stripe == nil {
			return nil, domain.Errorf(domain.CodeUnavailable, "Stripe is not configured, so a card payment cannot be refunded")
		}
		return s.cfg.Stripe, nil
	}
	return nil, fmt.Errorf("unknown payment gateway %q", name)
}

// amountIn writes amounts of currency for messages: "45.00".
func amountIn(currency string) func(decimal.Decimal) string {
	return func(d decimal.Decimal) string { return domain.FormatAmount(d, currency) }
}

func refundFromRow(r queries.Refund) domain.Refund {
	out := domain.Refund{ID: r.ID.String(), Amount: r.Amount, Reason: r.Reason, Status: r.Status, CreatedAt: r.CreatedAt}
	if r.PaymentID.Valid {
		out.PaymentID = r.PaymentID.UUID.String()
	}
	if r.ReturnID.Valid {
		out.ReturnID = r.ReturnID.UUID.String()
	}
	return out
}
