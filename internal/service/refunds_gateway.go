package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/queries"
)

// The refund outbox: a card refund is written pending in the transaction that decides
// it, with a SendRefundArgs job; the job calls the gateway after commit, with a context
// and a timeout of its own and an idempotency key made from the refund row, and settles
// the refund from the answer. Stripe's webhooks (refund.updated, charge.refunded) and
// ReconcileRefunds settle what the answer left pending.

// RefundStaleAfter is how long a refund may stay pending before reconciliation asks the
// gateway about it again.
const RefundStaleAfter = 10 * time.Minute

// SendRefundArgs is the job that sends a pending refund to its gateway.
type SendRefundArgs struct {
	RefundID uuid.UUID `json:"refund_id"`
}

// Kind names the job in the queue.
func (SendRefundArgs) Kind() string { return "send_refund" }

// InsertOpts: one job per refund while it is waiting or running; retried with river's
// backoff (seconds, then minutes, then hours) for about three weeks.
func (SendRefundArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: oncePerArgs}
}

// oncePerArgs makes a job unique by its arguments while it waits, runs or is to be
// retried: enqueueing it again meanwhile adds nothing.
var oncePerArgs = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}}

// refundKey is the idempotency key of one part of a refund: the same part is the same
// refund at the gateway, however often the job is run.
func refundKey(refundID, paymentID uuid.UUID) string {
	return "oms-refund-" + refundID.String() + "-" + paymentID.String()
}

// SendRefund sends a refund's pending parts to their gateway and settles each from the
// answer. A part already sent (its gateway id known) is asked about instead. An error is
// one the job should retry (the gateway could not be reached, the commit failed); a
// refusal settles the part as failed.
func (s *Service) SendRefund(ctx context.Context, refundID uuid.UUID) error {
	parts, err := queries.New(s.pool).GatewayAllocations(ctx, refundID)
	if err != nil {
		return fmt.Errorf("parts of refund %s: %w", refundID, err)
	}
	for _, p := range parts {
		res, err := s.askGateway(ctx, p)
		if err != nil && !payment.IsPermanent(err) {
			return err
		}
		if err != nil {
			res = payment.RefundResult{Status: payment.RefundFailed, Failure: err.Error()}
		}
		if s.cfg.AfterGatewayCall != nil {
			if err := s.cfg.AfterGatewayCall(); err != nil {
				return err
			}
		}
		if err := s.settleRefundPart(ctx, p.RefundID, p.PaymentID, res, domain.System); err != nil {
			return err
		}
	}
	return nil
}

// askGateway creates the part's refund at the gateway, or reads it when it exists.
func (s *Service) askGateway(ctx context.Context, p queries.GatewayAllocationsRow) (payment.RefundResult, error) {
	if p.Gateway != "stripe" || s.cfg.Stripe == nil {
		return payment.RefundResult{}, &payment.Error{Message: "no gateway to refund a " + p.Gateway + " payment", Permanent: p.Gateway != "stripe"}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.GatewayTimeout) // the job is retried after it
	defer cancel()
	if p.ExternalID != "" {
		return s.cfg.Stripe.GetRefund(ctx, p.ExternalID)
	}
	intent := ""
	if p.PaymentExternalID != nil {
		intent = *p.PaymentExternalID
	}
	return s.cfg.Stripe.Refund(ctx, intent, p.Amount, p.Currency, refundKey(p.RefundID, p.PaymentID))
}

// settleRefundPart records where a part of a refund stands: a pending answer keeps its
// gateway id; succeeded or failed settles it (once), the refund follows its parts and the
// order's money is summed again, with a history row saying what happened.
func (s *Service) settleRefundPart(ctx context.Context, refundID, paymentID uuid.UUID, res payment.RefundResult, actor domain.Actor) error {
	return s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		return s.settleRefundPartTx(ctx, q, refundID, paymentID, res, actor)
	})
}

func (s *Service) settleRefundPartTx(ctx context.Context, q *queries.Queries, refundID, paymentID uuid.UUID, res payment.RefundResult, actor domain.Actor) error {
	if res.Status == payment.RefundPending {
		return q.SetAllocationReference(ctx, queries.SetAllocationReferenceParams{RefundID: refundID, PaymentID: paymentID, ExternalID: res.ID})
	}
	ref, err := q.GetRefund(ctx, refundID)
	if err != nil {
		return fmt.Errorf("refund %s: %w", refundID, err)
	}
	row, err := lockOrder(ctx, q, ref.OrderID.String())
	if err != nil {
		return err
	}
	n, err := q.SettleAllocation(ctx, queries.SettleAllocationParams{RefundID: refundID, PaymentID: paymentID,
		Status: res.Status, Failure: res.Failure, ExternalID: res.ID})
	if err != nil || n == 0 {
		return err // settled before: a second answer or a replayed event changes nothing
	}
	// A change of the order's refund even while another part keeps it pending.
	if _, err := orderChanged(ctx, q, row.ID); err != nil {
		return err
	}
	if ref, err = q.FollowAllocations(ctx, refundID); err != nil {
		return fmt.Errorf("refund %s status: %w", refundID, err)
	}
	if ref.Status == payment.RefundPending {
		return nil // another part is still on its way
	}
	if err := publish(ctx, q, row.ID, refundNews(domain.EventRefundUpdated, ref.Status, ref.ID)); err != nil {
		return err
	}
	note := fmt.Sprintf("refund of %s %s succeeded at Stripe", domain.FormatAmount(ref.Amount, row.Currency), row.Currency)
	if ref.Status == payment.RefundFailed || ref.Failure != "" {
		note = fmt.Sprintf("refund of %s %s failed (%s); what failed may be refunded again", domain.FormatAmount(ref.Amount, row.Currency),
			row.Currency, ref.Failure)
	}
	_, err = s.applyMoney(ctx, q, row, actor, domain.HistoryRefund, note)
	return err
}

// settleRefundsFromEvent settles the parts a Stripe refund event is about. A refund the
// OMS did not make (in Stripe's dashboard) is recorded from charge.refunded (see
// recordOutsideRefunds).
func (s *Service) settleRefundsFromEvent(ctx context.Context, tx pgx.Tx, q *queries.Queries, ev payment.Event) error {
	for _, r := range ev.Refunds {
		if r.Status == payment.RefundPending || r.ID == "" {
			continue
		}
		a, err := q.AllocationByExternalID(ctx, r.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("refund %s: %w", r.ID, err)
		}
		if err := s.settleRefundPartTx(ctx, q, a.RefundID, a.PaymentID, r, stripeActor); err != nil {
			return err
		}
	}
	if ev.Type != "charge.refunded" || ev.Amount == nil {
		return nil
	}
	return s.recordOutsideRefunds(ctx, tx, q, ev.PaymentIntentID, *ev.Amount)
}

// recordOutsideRefunds records what Stripe says is refunded of a card payment (refunded:
// its running total, charge.refunded's amount_refunded) beyond what the OMS knows it
// refunded or is refunding: a refund made in Stripe's dashboard, recorded as a succeeded
// refund of the difference and flagged on the payment, so that the order's refunded
// stays true. Since the total only grows, an event repeated, late or out of order finds
// nothing more to record; one that comes before its payment's success is refused (503)
// and sent again by Stripe. A refund of the OMS's still on its way to Stripe counts as
// known: the difference it hides shows in the next event.
func (s *Service) recordOutsideRefunds(ctx context.Context, tx pgx.Tx, q *queries.Queries, intentID string, refunded payment.Money) error {
	pay, row, ok, err := stripePayment(ctx, q, intentID)
	if ok && err == nil && pay.Status == paymentPending && refunded.Amount.IsPositive() {
		// Events come out of order: a refund of a payment whose success has not come yet
		// is refused, so that Stripe sends it again once the payment is booked.
		return domain.Errorf(domain.CodeUnavailable, "the refund's payment %s has not succeeded here yet; send the event again", intentID)
	}
	if !ok || err != nil || (pay.Status != paymentCompleted && pay.Status != paymentUnapplied) ||
		refunded.Currency != pay.Currency || pay.Currency != row.Currency {
		return err // money the order never booked in its currency is settled in Stripe's dashboard
	}
	known, err := q.RefundsOfPayment(ctx, pay.ID)
	if err != nil {
		return fmt.Errorf("refunds of payment %s: %w", pay.ID, err)
	}
	outside := decimal.Min(refunded.Amount, pay.Amount).Sub(known)
	if !outside.IsPositive() {
		return nil
	}
	money := payment.Money{Amount: outside, Currency: pay.Currency}
	if _, err := s.insertRefund(ctx, tx, q, row.ID, outside, "refunded in Stripe's dashboard, outside the OMS", uuid.NullUUID{},
		[]refundPart{{paymentID: pay.ID, gateway: pay.Gateway, amount: outside, settled: true}}); err != nil {
		return err
	}
	if err := q.FlagPayment(ctx, queries.FlagPaymentParams{ID: pay.ID, Note: money.String() + " refunded at Stripe outside the OMS."}); err != nil {
		return fmt.Errorf("flag payment %s: %w", pay.ID, err)
	}
	_, err = s.applyMoney(ctx, q, row, stripeActor, domain.HistoryRefund, "refund of "+money.String()+" made at Stripe outside the OMS")
	return err
}

// ReconcileRefunds asks the gateway again about up to limit refunds pending since
// before olderThan (an answer lost, a webhook never sent) and settles them. It returns
// how many it asked about.
func (s *Service) ReconcileRefunds(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	ids, err := queries.New(s.pool).StaleRefunds(ctx, queries.StaleRefundsParams{OlderThan: olderThan, Lim: int32(limit)})
	if err != nil {
		return 0, fmt.Errorf("stale refunds: %w", err)
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.SendRefund(ctx, id))
	}
	return len(ids), errors.Join(errs...)
}
