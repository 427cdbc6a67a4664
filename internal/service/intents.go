package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/queries"
)

// PaymentIntent is a Stripe PaymentIntent for an order's outstanding amount; the
// storefront completes it with the client secret.
type PaymentIntent struct {
	ID           string
	ClientSecret string
	Amount       decimal.Decimal
	Currency     string
	PaymentID    string // the pending payment recorded for it
	OrderVersion int64  // the order's version after it
}

// CreatePaymentIntent gives the storefront a Stripe PaymentIntent for what is left to
// pay of an order that still takes payments; Stripe's webhook later settles its pending
// payment. Stripe is never called inside a transaction: the payment is written first
// (pending, without an intent) and committed, Stripe is asked with the gateway's timeout
// and an idempotency key made from the payment, and its answer is recorded in a second
// transaction. Requests for the same order and amount, at once or later, reuse that
// payment and its intent: Stripe is asked once, and everyone gets the same answer.
func (s *Service) CreatePaymentIntent(ctx context.Context, actor domain.Actor, idOrNumber string) (PaymentIntent, error) {
	if s.cfg.Stripe == nil {
		return PaymentIntent{}, domain.Errorf(domain.CodeUnavailable, "card payments are not available: Stripe is not configured")
	}
	for {
		pay, version, mine, err := s.requestIntent(ctx, idOrNumber)
		switch {
		case err != nil:
			return PaymentIntent{}, err
		case pay.ExternalID != nil:
			return intentOf(pay, version), nil
		case mine:
			pi, err := s.askForIntent(ctx, actor, pay)
			if errors.Is(err, errIntentOutdated) {
				continue // the order's total changed meanwhile: ask for what it owes now
			}
			return pi, err
		}
		if err := s.awaitIntent(ctx, pay.ID); err != nil {
			return PaymentIntent{}, err
		}
	}
}

func intentOf(p queries.Payment, orderVersion int64) PaymentIntent {
	return PaymentIntent{ID: *p.ExternalID, ClientSecret: p.ClientSecret, Amount: p.Amount, Currency: p.Currency,
		PaymentID: p.ID.String(), OrderVersion: orderVersion}
}

// requestIntent finds or writes, under the order's lock, the payment the intent is for:
// one already answered (its ExternalID set), one this request now holds to ask Stripe
// (mine), or one another request is asking for (neither); and the order's version. A
// payment still waiting for its intent is no change of the order (its reads leave it out).
func (s *Service) requestIntent(ctx context.Context, idOrNumber string) (pay queries.Payment, version int64, mine bool, err error) {
	hold := (s.cfg.GatewayTimeout + intentCallMargin).Milliseconds()
	err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if err := checkPayable(row); err != nil {
			return err
		}
		version = row.Version
		outstanding := balanceOf(row).Outstanding
		if !outstanding.IsPositive() {
			return domain.Errorf(domain.CodeConflict, "order %s has nothing left to pay", row.OrderNumber)
		}
		pay, err = q.ReusableIntent(ctx, queries.ReusableIntentParams{OrderID: row.ID, Amount: outstanding, Currency: row.Currency})
		if errors.Is(err, pgx.ErrNoRows) {
			pay, err = q.InsertPayment(ctx, queries.InsertPaymentParams{ID: newID(), OrderID: row.ID, Gateway: "stripe",
				Amount: outstanding, Currency: row.Currency, Status: paymentPending})
		}
		if err != nil || pay.ExternalID != nil {
			return err
		}
		n, err := q.HoldIntentCall(ctx, queries.HoldIntentCallParams{ID: pay.ID, HoldMs: hold})
		mine = n == 1
		return err
	})
	return pay, version, mine, err
}

// intentCallMargin is how long, beyond the gateway's timeout, the request asking Stripe
// for an intent has to record the answer before another request may take over.
const intentCallMargin = 5 * time.Second

// errIntentOutdated: the intent Stripe made is for an amount the order no longer owes.
var errIntentOutdated = errors.New("the order changed while Stripe made its intent")

// askForIntent asks Stripe for the intent of the payment this request holds and records
// the answer. A failure or a timeout removes the payment (no intent is known, so nothing
// can be paid on it): the caller may simply try again. Until the answer is recorded the
// payment is no part of the order (nothing waits on it); so when the order changed
// meanwhile (its total edited, or it stopped taking payments), the intent, whose secret
// nobody has yet, is dropped and cancelled at Stripe, and nothing is recorded.
func (s *Service) askForIntent(ctx context.Context, actor domain.Actor, pay queries.Payment) (PaymentIntent, error) {
	// What is asked of Stripe is finished and recorded even if the client goes away.
	ctx = context.WithoutCancel(ctx)
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.GatewayTimeout)
	intent, err := s.cfg.Stripe.CreateIntent(callCtx, pay.Amount, pay.Currency, pay.OrderID.String(), "oms-payment-"+pay.ID.String())
	cancel()
	if err != nil {
		if _, derr := queries.New(s.pool).DeleteIntentRequest(ctx, queries.DeleteIntentRequestParams{ID: pay.ID, Held: true}); derr != nil {
			return PaymentIntent{}, errors.Join(err, fmt.Errorf("remove payment %s: %w", pay.ID, derr))
		}
		return PaymentIntent{}, gatewayFailure(err)
	}
	var refused error // the order stopped taking payments while Stripe answered
	var version int64
	err = s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, pay.OrderID.String())
		if err != nil {
			return err
		}
		version = row.Version
		refused = checkPayable(row)
		if refused != nil || !balanceOf(row).Outstanding.Equal(pay.Amount) {
			if refused == nil {
				refused = errIntentOutdated
			}
			return s.dropIntent(ctx, tx, q, pay.ID, intent.ID)
		}
		recorded, err := q.RecordIntent(ctx, queries.RecordIntentParams{ID: pay.ID, ExternalID: &intent.ID, ClientSecret: intent.ClientSecret})
		if errors.Is(err, pgx.ErrNoRows) {
			// Answered too late: a request that took over recorded the intent first.
			if pay, err = q.GetPayment(ctx, pay.ID); err == nil && pay.ExternalID != nil {
				return nil
			}
			return domain.Errorf(domain.CodeUnavailable, "the payment was taken over while Stripe answered; try again")
		}
		if err != nil {
			return fmt.Errorf("record intent %s: %w", intent.ID, err)
		}
		pay = recorded
		note := fmt.Sprintf("Stripe payment %s of %s started", intent.ID, payment.Money{Amount: pay.Amount, Currency: pay.Currency})
		if err := addHistory(ctx, q, row, domain.HistoryPayment, paymentPending, note, actor); err != nil {
			return err
		}
		version, err = orderChanged(ctx, q, row.ID)
		return err
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return PaymentIntent{}, err
	}
	return intentOf(pay, version), nil
}

// awaitIntent waits while another request asks Stripe for the intent of payment id,
// until that request recorded the answer or its hold ran out (its process died: the
// caller takes over); either way the caller looks again. An error: it got no answer
// (Stripe refused or did not answer in time), and the caller may try again.
func (s *Service) awaitIntent(ctx context.Context, id uuid.UUID) error {
	q := queries.New(s.pool)
	for {
		c, err := q.IntentCall(ctx, id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return domain.Errorf(domain.CodeUnavailable, "Stripe made no payment intent for a request made at the same time; try again")
		case err != nil:
			return fmt.Errorf("payment %s: %w", id, err)
		case c.ExternalID != nil || !c.Held:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// dropIntent removes the payment an intent was asked for and enqueues the intent's
// cancellation at Stripe, in tx.
func (s *Service) dropIntent(ctx context.Context, tx pgx.Tx, q *queries.Queries, paymentID uuid.UUID, intentID string) error {
	if _, err := q.DeleteIntentRequest(ctx, queries.DeleteIntentRequestParams{ID: paymentID, Held: true}); err != nil {
		return fmt.Errorf("remove payment %s: %w", paymentID, err)
	}
	if _, err := s.queue.InsertTx(ctx, tx, CancelIntentArgs{PaymentID: paymentID, IntentID: intentID}, nil); err != nil {
		return fmt.Errorf("enqueue cancel of intent %s: %w", intentID, err)
	}
	return nil
}

// CancelIntentArgs is the job that cancels, at Stripe, the open PaymentIntent of an order
// that expired unpaid (the order is cancelled only once none of its intents can succeed),
// or one made for an order that changed before it was recorded (IntentID: its payment is
// gone, and nobody had its secret to pay on it).
type CancelIntentArgs struct {
	PaymentID uuid.UUID `json:"payment_id"`
	IntentID  string    `json:"intent_id,omitempty"`
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
func (s *Service) CancelIntent(ctx context.Context, paymentID uuid.UUID, droppedIntent string) error {
	if droppedIntent != "" {
		if s.cfg.Stripe == nil {
			return nil
		}
		callCtx, cancel := context.WithTimeout(ctx, s.cfg.GatewayTimeout)
		defer cancel()
		_, _, err := s.cfg.Stripe.CancelIntent(callCtx, droppedIntent, "oms-cancel-"+paymentID.String())
		return err
	}
	q := queries.New(s.pool)
	pay, err := q.GetPayment(ctx, paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // Stripe made no intent for it
	}
	if err != nil {
		return fmt.Errorf("payment %s: %w", paymentID, err)
	}
	if (pay.Status != paymentPending && pay.Status != paymentFailed) || s.cfg.Stripe == nil {
		return nil
	}
	if pay.ExternalID == nil {
		// Stripe was asked for its intent and has not answered: once no request waits for
		// the answer, nobody can pay on it and it goes; until then the job tries again.
		if n, err := q.DeleteIntentRequest(ctx, queries.DeleteIntentRequestParams{ID: paymentID}); err != nil || n == 1 {
			return err
		}
		return fmt.Errorf("payment %s: Stripe is being asked for its intent; cancel it once it is known", paymentID)
	}
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.GatewayTimeout)
	status, received, err := s.cfg.Stripe.CancelIntent(callCtx, *pay.ExternalID, "oms-cancel-"+paymentID.String())
	cancel()
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		if status == payment.IntentSucceeded {
			return s.intentSucceeded(ctx, tx, q, *pay.ExternalID, received)
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
