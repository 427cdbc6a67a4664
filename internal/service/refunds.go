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
// less what is refunded or on its way back. Manual payments are given back at once;
// card payments through Stripe, after commit (see SendRefund): the refund is pending
// until Stripe says. Once everything paid is refunded a returned order becomes refunded.
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
	err := s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if err := checkAmount(amount, row.Currency, "amount"); err != nil {
			return err
		}
		if ref, _, err = s.refund(ctx, tx, q, row, amount, reason, uuid.NullUUID{}, actor); err != nil {
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

// refundPart is what one refund takes from one payment.
type refundPart struct {
	paymentID uuid.UUID
	gateway   string
	amount    decimal.Decimal
	// settled: already given back at the gateway (made outside the OMS), not to be sent.
	settled bool
}

// status is where the part stands when it is written: manual and settled parts are given
// back already; card parts are pending until the gateway says.
func (p refundPart) status() string {
	if p.gateway == "manual" || p.settled {
		return payment.RefundSucceeded
	}
	return payment.RefundPending
}

// refund is the one way money goes back, for refunds, cancellations and returns. The
// order row must be locked: that lock serialises concurrent refunds, so what is still
// refundable (paid - refunded - pending) stays true until commit, and the CHECK on orders
// backs it. The amount is drawn from the order's completed payments, newest first.
func (s *Service) refund(ctx context.Context, tx pgx.Tx, q *queries.Queries, row queries.Order, amount decimal.Decimal, reason string,
	returnID uuid.NullUUID, actor domain.Actor) (queries.Refund, queries.Order, error) {
	if err := domain.CheckRefund(amount, refundableOf(row), amountIn(row.Currency)); err != nil {
		return queries.Refund{}, row, err
	}
	pays, err := q.RefundablePayments(ctx, row.ID)
	if err != nil {
		return queries.Refund{}, row, fmt.Errorf("refundable payments of %s: %w", row.OrderNumber, err)
	}
	var parts []refundPart
	left := amount
	for _, p := range pays {
		if !left.IsPositive() {
			break
		}
		if p.Gateway == "stripe" && s.cfg.Stripe == nil {
			return queries.Refund{}, row, domain.Errorf(domain.CodeUnavailable, "Stripe is not configured, so a card payment cannot be refunded")
		}
		take := decimal.Min(left, p.Refundable)
		parts = append(parts, refundPart{paymentID: p.ID, gateway: p.Gateway, amount: take})
		left = left.Sub(take)
	}
	if left.IsPositive() {
		return queries.Refund{}, row, fmt.Errorf("refund %s of %s: payments cover %s less than refundable", amount, row.OrderNumber, left)
	}
	ref, err := s.insertRefund(ctx, tx, q, row.ID, amount, reason, returnID, parts)
	if err != nil {
		return queries.Refund{}, row, err
	}
	note := fmt.Sprintf("refund of %s %s", domain.FormatAmount(amount, row.Currency), row.Currency)
	if ref.Status == payment.RefundPending {
		note += " sent to Stripe"
	}
	if reason != "" {
		note += ": " + reason
	}
	row, err = s.applyMoney(ctx, q, row, actor, domain.HistoryRefund, note)
	return ref, row, err
}

// refundableOf is what an order may still refund: paid, less what is refunded and what
// is on its way back.
func refundableOf(row queries.Order) decimal.Decimal {
	return row.Paid.Sub(row.Refunded).Sub(row.RefundPending)
}

// insertRefund writes a refund and its parts. Manual parts are given back by hand, and
// settled ones were at the gateway, so they succeed at once; card parts are pending, and the job that sends them to the
// gateway is enqueued in the same transaction (the outbox): a rollback sends nothing, a
// commit is sent even if this process dies right after.
func (s *Service) insertRefund(ctx context.Context, tx pgx.Tx, q *queries.Queries, orderID uuid.UUID, amount decimal.Decimal,
	reason string, returnID uuid.NullUUID, parts []refundPart) (queries.Refund, error) {
	id := newID()
	status := payment.RefundSucceeded
	for _, p := range parts {
		if p.status() == payment.RefundPending {
			status = payment.RefundPending
		}
	}
	params := queries.InsertRefundParams{ID: id, OrderID: orderID, Amount: amount, Reason: reason, Status: status, ReturnID: returnID}
	if len(parts) == 1 {
		params.PaymentID = uuid.NullUUID{UUID: parts[0].paymentID, Valid: true}
	}
	ref, err := q.InsertRefund(ctx, params)
	if err != nil {
		return queries.Refund{}, fmt.Errorf("insert refund: %w", err)
	}
	for _, p := range parts {
		if err := q.InsertRefundAllocation(ctx, queries.InsertRefundAllocationParams{RefundID: id, PaymentID: p.paymentID,
			Amount: p.amount, Status: p.status()}); err != nil {
			return queries.Refund{}, fmt.Errorf("refund allocation: %w", err)
		}
	}
	if status == payment.RefundPending {
		if _, err := s.queue.InsertTx(ctx, tx, SendRefundArgs{RefundID: id}, nil); err != nil {
			return queries.Refund{}, fmt.Errorf("enqueue refund %s: %w", id, err)
		}
	}
	if err := publish(ctx, q, orderID, refundNews(domain.EventRefundCreated, status, id)); err != nil {
		return queries.Refund{}, err
	}
	return ref, nil
}

// amountIn writes amounts of currency for messages: "45.00".
func amountIn(currency string) func(decimal.Decimal) string {
	return func(d decimal.Decimal) string { return domain.FormatAmount(d, currency) }
}

func refundFromRow(r queries.Refund) domain.Refund {
	out := domain.Refund{ID: r.ID.String(), Amount: r.Amount, Reason: r.Reason, Status: r.Status, Failure: r.Failure, CreatedAt: r.CreatedAt}
	if r.PaymentID.Valid {
		out.PaymentID = r.PaymentID.UUID.String()
	}
	if r.ReturnID.Valid {
		out.ReturnID = r.ReturnID.UUID.String()
	}
	return out
}

// refundNews is what a refund's creation or settling tells: the event, and the
// customer's email once the money is on its way back (a card refund when the gateway
// says it succeeded).
func refundNews(ev domain.EventType, status string, id uuid.UUID) news {
	n := news{events: []domain.EventType{ev}, ref: id}
	if status == payment.RefundSucceeded {
		n.email = domain.EmailRefundIssued
	}
	return n
}
