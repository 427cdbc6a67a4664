package service

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/queries"
)

// CancelIntentArgs is the job that cancels, at Stripe, the open PaymentIntent of an order
// that expired unpaid: the order is cancelled only once none of its intents can succeed.
type CancelIntentArgs struct {
	PaymentID uuid.UUID `json:"payment_id"`
}

// Kind names the job in the queue.
func (CancelIntentArgs) Kind() string { return "cancel_payment_intent" }

// InsertOpts: one job per payment while it is waiting or running; the expiry run that
// finds the payment still open enqueues it again after a failure.
func (CancelIntentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: oncePerArgs}
}

// CancelExpiredIntents enqueues the cancellation of up to limit open intents of orders
// placed before olderThan and still unpaid; it returns how many it found.
func (s *Service) CancelExpiredIntents(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	ids, err := queries.New(s.pool).ExpiredOpenIntents(ctx, queries.ExpiredOpenIntentsParams{OlderThan: olderThan, Lim: int32(limit)})
	if err != nil {
		return 0, fmt.Errorf("expired open intents: %w", err)
	}
	for _, id := range ids {
		if _, err := s.queue.Insert(ctx, CancelIntentArgs{PaymentID: id}, nil); err != nil {
			return 0, fmt.Errorf("enqueue cancel of payment %s: %w", id, err)
		}
	}
	return len(ids), nil
}

// CancelIntent cancels an open card payment's PaymentIntent at Stripe and records it
// cancelled; when Stripe answers that it succeeded first, the money is booked as any
// success is (on the order if it can take it, else unapplied and refunded).
func (s *Service) CancelIntent(ctx context.Context, paymentID uuid.UUID) error {
	pay, err := queries.New(s.pool).GetPayment(ctx, paymentID)
	if err != nil {
		return fmt.Errorf("payment %s: %w", paymentID, err)
	}
	if (pay.Status != paymentPending && pay.Status != paymentFailed) || pay.ExternalID == nil || s.cfg.Stripe == nil {
		return nil
	}
	callCtx, cancel := context.WithTimeout(ctx, gatewayTimeout)
	status, err := s.cfg.Stripe.CancelIntent(callCtx, *pay.ExternalID, "oms-cancel-"+paymentID.String())
	cancel()
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		if status == payment.IntentSucceeded {
			return s.intentSucceeded(ctx, tx, q, *pay.ExternalID)
		}
		return s.intentCanceled(ctx, q, *pay.ExternalID, "the order expired unpaid")
	})
}

// cancelOpenIntents enqueues, in the cancelling transaction, the cancellation at Stripe
// of a cancelled order's card payments still open, so that none of them succeeds later.
func (s *Service) cancelOpenIntents(ctx context.Context, q *queries.Queries, row queries.Order) error {
	open, err := q.OpenIntents(ctx, row.ID)
	if err != nil || len(open) == 0 {
		return err
	}
	tx := q.Tx()
	if tx == nil {
		return fmt.Errorf("cancel intents of %s: not in a transaction", row.OrderNumber)
	}
	for _, p := range open {
		if _, err := s.queue.InsertTx(ctx, tx, CancelIntentArgs{PaymentID: p.ID}, nil); err != nil {
			return fmt.Errorf("enqueue cancel of payment %s: %w", p.ID, err)
		}
	}
	return nil
}
