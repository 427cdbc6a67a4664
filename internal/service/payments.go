package service

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/queries"
)

// Payment statuses. A card payment (a Stripe PaymentIntent) is pending until Stripe
// says; failed may still succeed (the shopper tries another card on the same intent);
// canceled is final; unapplied is money captured for an order that could not take it,
// refunded automatically.
const (
	paymentPending   = "pending"
	paymentCompleted = "completed"
	paymentFailed    = "failed"
	paymentCanceled  = "canceled"
	paymentUnapplied = "unapplied"
)

// NewPayment is money received outside the OMS (bank transfer, cash), recorded by staff
// or an integration.
type NewPayment struct {
	Amount    decimal.Decimal
	Gateway   string // "manual" (the default)
	Reference string // e.g. the bank transfer's reference
}

// RecordPayment records a manual payment of an order that is still created or pending.
// A payment covering the total makes the order paid (through pending).
func (s *Service) RecordPayment(ctx context.Context, actor domain.Actor, idOrNumber string, in NewPayment) (domain.Payment, domain.Order, error) {
	fe := domain.FieldErrors{}
	switch in.Gateway {
	case "", "manual":
		in.Gateway = "manual"
	case "stripe":
		fe.Add("gateway", "card payments are taken through payment_intents and confirmed by Stripe")
	default:
		fe.Add("gateway", "must be manual")
	}
	if utf8.RuneCountInString(in.Reference) > domain.MaxName {
		fe.Add("reference", fmt.Sprintf("must be at most %d characters", domain.MaxName))
	}
	if !in.Amount.IsPositive() {
		fe.Add("amount", "must be more than 0")
	}
	if err := fe.Err(); err != nil {
		return domain.Payment{}, domain.Order{}, err
	}
	var pay queries.Payment
	var out domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if err := checkAmount(in.Amount, row.Currency, "amount"); err != nil {
			return err
		}
		if err := checkPayable(row); err != nil {
			return err
		}
		if outstanding := balanceOf(row).Outstanding; in.Amount.GreaterThan(outstanding) {
			return exceedsOutstanding(row, outstanding)
		}
		pay, err = q.InsertPayment(ctx, queries.InsertPaymentParams{ID: newID(), OrderID: row.ID, Gateway: in.Gateway,
			Amount: in.Amount, Currency: row.Currency, Status: paymentCompleted, Reference: in.Reference})
		if err != nil {
			return fmt.Errorf("insert payment of %s: %w", row.OrderNumber, err)
		}
		note := fmt.Sprintf("%s payment of %s %s", in.Gateway, domain.FormatAmount(in.Amount, row.Currency), row.Currency)
		if in.Reference != "" {
			note += " (reference " + in.Reference + ")"
		}
		if _, err := s.applyMoney(ctx, q, row, actor, domain.HistoryPayment, note); err != nil {
			return err
		}
		out, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	if err != nil {
		return domain.Payment{}, domain.Order{}, err
	}
	return paymentFromRow(pay), out, nil
}

// stripeActor is who history names for changes Stripe's webhooks make.
var stripeActor = domain.Actor{Type: domain.ActorSystem, Name: "stripe"}

// HandleStripeWebhook verifies a Stripe event and applies it once: the event id is
// recorded in the same transaction as its effect, so a replayed event changes nothing,
// and each effect moves a payment or refund only from where it may come from, so late or
// out-of-order events change nothing either. Unknown event types are recorded and ignored.
func (s *Service) HandleStripeWebhook(ctx context.Context, payload []byte, signature string) error {
	if !s.cfg.Stripe.WebhookEnabled() {
		return domain.Errorf(domain.CodeUnavailable, "Stripe webhooks are not configured")
	}
	ev, err := s.cfg.Stripe.ParseWebhook(payload, signature)
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "the Stripe-Signature header is missing or does not match the payload")
	}
	return s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		fresh, err := q.RecordStripeEvent(ctx, queries.RecordStripeEventParams{ID: ev.ID, Type: ev.Type})
		if err != nil {
			return fmt.Errorf("record stripe event %s: %w", ev.ID, err)
		}
		if fresh == 0 {
			return nil
		}
		switch ev.Type {
		case "payment_intent.succeeded":
			return s.intentSucceeded(ctx, tx, q, ev.PaymentIntentID, ev.Amount)
		case "payment_intent.payment_failed":
			return s.intentFailed(ctx, q, ev)
		case "payment_intent.canceled":
			return s.intentCanceled(ctx, q, ev.PaymentIntentID, "")
		case "charge.refunded", "refund.updated", "refund.failed":
			return s.settleRefundsFromEvent(ctx, tx, q, ev)
		case "charge.dispute.created":
			return s.disputeCreated(ctx, q, ev)
		}
		return nil
	})
}

// stripePayment finds the payment of a PaymentIntent and locks its order; ok is false
// when the intent is not one of ours.
func stripePayment(ctx context.Context, q *queries.Queries, intentID string) (queries.Payment, queries.Order, bool, error) {
	if intentID == "" {
		return queries.Payment{}, queries.Order{}, false, nil
	}
	pay, err := q.GetPaymentByExternalID(ctx, &intentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return queries.Payment{}, queries.Order{}, false, nil
	}
	if err != nil {
		return queries.Payment{}, queries.Order{}, false, fmt.Errorf("payment of intent %s: %w", intentID, err)
	}
	row, err := lockOrder(ctx, q, pay.OrderID.String())
	if err != nil {
		return queries.Payment{}, queries.Order{}, false, err
	}
	// Read again under the order's lock: a concurrent event may have moved it.
	if pay, err = q.GetPayment(ctx, pay.ID); err != nil {
		return queries.Payment{}, queries.Order{}, false, fmt.Errorf("payment %s: %w", pay.ID, err)
	}
	return pay, row, true, nil
}

// intentSucceeded books what a PaymentIntent received (Stripe's amount_received, never
// what was asked): on the order when it can take it (still taking payments, no more than
// is outstanding), whether the intent had failed or been cancelled before, flagged when
// it is less or more than asked; otherwise as unapplied money, flagged and refunded
// automatically. Money in another currency than asked, or of which Stripe did not say
// how much, is recorded as it is and flagged, never booked.
func (s *Service) intentSucceeded(ctx context.Context, tx pgx.Tx, q *queries.Queries, intentID string, received *payment.Money) error {
	pay, row, ok, err := stripePayment(ctx, q, intentID)
	if !ok || err != nil || pay.Status == paymentCompleted || pay.Status == paymentUnapplied {
		return err
	}
	if received == nil || received.Currency != pay.Currency || !received.Amount.IsPositive() {
		return s.receivedOtherwise(ctx, q, pay, row, intentID, received)
	}
	asked := payment.Money{Amount: pay.Amount, Currency: pay.Currency}
	settle := queries.SettlePaymentParams{ID: pay.ID, Amount: decimal.NullDecimal{Decimal: received.Amount, Valid: true},
		FromStatuses: succeedsFrom}
	if checkPayable(row) == nil && !received.Amount.GreaterThan(balanceOf(row).Outstanding) {
		note := fmt.Sprintf("Stripe payment %s of %s succeeded", intentID, received)
		switch received.Amount.Cmp(pay.Amount) {
		case -1:
			settle.Attention = fmt.Sprintf("Stripe received %s of the %s asked: the rest is still owed.", received, asked)
		case 1:
			settle.Attention = fmt.Sprintf("Stripe received %s, more than the %s asked.", received, asked)
		}
		if settle.Attention != "" {
			note += " (" + asked.String() + " was asked)"
		}
		settle.Status = paymentCompleted
		if _, err := q.SettlePayment(ctx, settle); err != nil {
			return fmt.Errorf("complete payment %s: %w", pay.ID, err)
		}
		_, err = s.applyMoney(ctx, q, row, stripeActor, domain.HistoryPayment, note)
		return err
	}
	why := fmt.Sprintf("succeeded while the order was %s", row.Status)
	if checkPayable(row) == nil {
		why = "succeeded after the order was paid in full"
	}
	settle.Status, settle.Attention = paymentUnapplied, "Stripe payment "+why+": it is refunded automatically"
	if _, err := q.SettlePayment(ctx, settle); err != nil {
		return fmt.Errorf("unapplied payment %s: %w", pay.ID, err)
	}
	if _, err := s.insertRefund(ctx, tx, q, row.ID, received.Amount, "payment "+why, uuid.NullUUID{},
		[]refundPart{{paymentID: pay.ID, gateway: pay.Gateway, amount: received.Amount}}); err != nil {
		return err
	}
	return addHistory(ctx, q, row, domain.HistoryPayment, paymentUnapplied, fmt.Sprintf(
		"Stripe payment %s of %s %s: not booked on the order, refunded automatically", intentID, received, why), stripeActor)
}

// succeedsFrom are the statuses a card payment may succeed from: a declined or cancelled
// intent may still bring money (a retry on it, a cancellation too late).
var succeedsFrom = []string{paymentPending, paymentFailed, paymentCanceled}

// receivedOtherwise records a success the order cannot book as it stands: money in
// another currency than asked (kept in its own currency) or of an amount Stripe did not
// say. It is unapplied and flagged for staff, who settle it in Stripe's dashboard.
func (s *Service) receivedOtherwise(ctx context.Context, q *queries.Queries, pay queries.Payment, row queries.Order, intentID string, received *payment.Money) error {
	asked := payment.Money{Amount: pay.Amount, Currency: pay.Currency}
	settle := queries.SettlePaymentParams{ID: pay.ID, Status: paymentUnapplied, FromStatuses: succeedsFrom,
		Attention: "Stripe did not say what it received for the " + asked.String() + " asked: not booked on the order; check it in Stripe's dashboard."}
	if received != nil {
		settle.Attention = fmt.Sprintf("Stripe received %s instead of the %s asked: not booked on the order; refund it in Stripe's dashboard.", received, asked)
		if received.Amount.IsPositive() && domain.KnownCurrency(received.Currency) {
			settle.Amount, settle.Currency = decimal.NullDecimal{Decimal: received.Amount, Valid: true}, &received.Currency
		}
	}
	if _, err := q.SettlePayment(ctx, settle); err != nil {
		return fmt.Errorf("unapplied payment %s: %w", pay.ID, err)
	}
	return addHistory(ctx, q, row, domain.HistoryPayment, paymentUnapplied, "Stripe payment "+intentID+" succeeded: "+settle.Attention, stripeActor)
}

// disputeCreated flags the payment a customer's bank disputes, with the amount and the
// bank's reason, and says so in the history: Stripe takes the money back while the
// dispute is decided, so staff must not ship on it.
func (s *Service) disputeCreated(ctx context.Context, q *queries.Queries, ev payment.Event) error {
	pay, row, ok, err := stripePayment(ctx, q, ev.PaymentIntentID)
	if !ok || err != nil {
		return err
	}
	what, reason := "an amount it did not say", ev.DisputeReason
	if ev.Amount != nil {
		what = ev.Amount.String()
	}
	if reason == "" {
		reason = "no reason given"
	}
	note := fmt.Sprintf("Stripe dispute %s: the customer's bank disputes %s (%s); Stripe has taken the money back until the dispute is decided: do not ship.",
		ev.DisputeID, what, reason)
	if err := q.FlagPayment(ctx, queries.FlagPaymentParams{ID: pay.ID, Note: note}); err != nil {
		return fmt.Errorf("flag payment %s: %w", pay.ID, err)
	}
	return addHistory(ctx, q, row, domain.HistoryPayment, "disputed", note, stripeActor)
}

// intentFailed records a declined attempt; the intent stays usable, so a later success
// on it is still booked.
func (s *Service) intentFailed(ctx context.Context, q *queries.Queries, ev payment.Event) error {
	pay, row, ok, err := stripePayment(ctx, q, ev.PaymentIntentID)
	if !ok || err != nil {
		return err
	}
	if _, err := q.SettlePayment(ctx, queries.SettlePaymentParams{ID: pay.ID, Status: paymentFailed,
		FromStatuses: []string{paymentPending, paymentFailed}}); errors.Is(err, pgx.ErrNoRows) {
		return nil // it succeeded or was cancelled already: this attempt is history
	} else if err != nil {
		return fmt.Errorf("fail payment %s: %w", pay.ID, err)
	}
	note := fmt.Sprintf("Stripe payment %s failed", ev.PaymentIntentID)
	if ev.FailureMessage != "" {
		note += ": " + ev.FailureMessage
	}
	return addHistory(ctx, q, row, domain.HistoryPayment, paymentFailed, note, stripeActor)
}

// intentCanceled records that an intent can no longer be paid (by Stripe, the storefront
// or the OMS's expiry, why says which).
func (s *Service) intentCanceled(ctx context.Context, q *queries.Queries, intentID, why string) error {
	pay, row, ok, err := stripePayment(ctx, q, intentID)
	if !ok || err != nil {
		return err
	}
	if _, err := q.SettlePayment(ctx, queries.SettlePaymentParams{ID: pay.ID, Status: paymentCanceled,
		FromStatuses: []string{paymentPending, paymentFailed}}); errors.Is(err, pgx.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("cancel payment %s: %w", pay.ID, err)
	}
	note := fmt.Sprintf("Stripe payment %s cancelled", intentID)
	if why != "" {
		note += ": " + why
	}
	return addHistory(ctx, q, row, domain.HistoryPayment, paymentCanceled, note, stripeActor)
}

// applyMoney is the one place an order's money summary changes: after a payment or refund
// row is written it recomputes paid and refunded from the payments and refunds tables,
// derives payment_status, writes the history row (kind payment or refund), and moves the
// order on when the money now allows it: a fully paid created/pending order becomes paid
// (through pending), a fully refunded returned order becomes refunded.
func (s *Service) applyMoney(ctx context.Context, q *queries.Queries, row queries.Order, actor domain.Actor, kind domain.HistoryKind, note string) (queries.Order, error) {
	updated, err := q.SumOrderPayments(ctx, row.ID)
	if err != nil {
		if _, constraint := pgCode(err); constraint == "orders_refunded_within_paid" {
			return row, domain.RefundExceedsPaid(row.Paid.Sub(row.Refunded), amountIn(row.Currency))
		}
		return row, fmt.Errorf("sum payments of %s: %w", row.OrderNumber, err)
	}
	ps := domain.DerivePaymentStatus(updated.Total, updated.Paid, updated.Refunded)
	if string(ps) != updated.PaymentStatus {
		if updated, err = q.SetOrderPaymentStatus(ctx, queries.SetOrderPaymentStatusParams{ID: row.ID, PaymentStatus: string(ps)}); err != nil {
			return row, fmt.Errorf("payment status of %s: %w", row.OrderNumber, err)
		}
	}
	if err := addHistory(ctx, q, updated, kind, string(ps), note, actor); err != nil {
		return row, err
	}
	return s.followMoney(ctx, q, updated, actor)
}

// followMoney moves an order along the workflow as its money allows (see applyMoney):
// a created or pending order that money was paid for and that owes nothing becomes paid.
func (s *Service) followMoney(ctx context.Context, q *queries.Queries, row queries.Order, actor domain.Actor) (queries.Order, error) {
	status := domain.Status(row.Status)
	switch {
	case (status == domain.StatusCreated || status == domain.StatusPending) && row.Paid.IsPositive() && balanceOf(row).PaidInFull():
		// Each step is a history row of its own; only the one to paid says why (the
		// payment's row before them says what was paid): a step passed through says nothing.
		for _, step := range domain.PathTo(status, domain.StatusPaid) {
			note := ""
			if step == domain.StatusPaid {
				note = "paid in full"
			}
			var err error
			if row, err = s.changeStatus(ctx, q, row, step, actor, note); err != nil {
				return row, err
			}
		}
	case row.PaymentStatus == string(domain.PaymentRefunded) && status == domain.StatusReturned:
		return s.changeStatus(ctx, q, row, domain.StatusRefunded, actor, "refunded in full")
	}
	return row, nil
}

// checkPayable refuses payments for orders past the point of taking money: a paid or
// processing order takes one only while it owes money (an edit added to its total, or
// money went back before it shipped).
func checkPayable(row queries.Order) error {
	switch domain.Status(row.Status) {
	case domain.StatusCreated, domain.StatusPending:
		return nil
	case domain.StatusPaid, domain.StatusProcessing:
		if !balanceOf(row).PaidInFull() {
			return nil
		}
	}
	return domain.Errorf(domain.CodeInvalidTransition, "order %s is %s: payments are taken only while an order is created or pending, or owes money",
		row.OrderNumber, row.Status)
}

// balanceOf is what an order row owes or is owed back, by the one rule (domain.BalanceIn).
func balanceOf(row queries.Order) domain.Balance {
	return domain.BalanceIn(domain.Status(row.Status), domain.Money{Total: row.Total, Paid: row.Paid,
		Refunded: row.Refunded, RefundPending: row.RefundPending})
}

// checkAmount refuses an amount with more decimals than the currency has.
func checkAmount(amount decimal.Decimal, currency, field string) error {
	if domain.HasMinorUnits(amount, currency) {
		return nil
	}
	return domain.FieldErrors{field: fmt.Sprintf("must have at most %d decimals in %s", domain.MinorUnits(currency), currency)}.Err()
}

func exceedsOutstanding(row queries.Order, outstanding decimal.Decimal) error {
	return &domain.Error{Code: domain.CodePaymentExceedsOutstanding,
		Message: fmt.Sprintf("order %s has only %s %s left to pay", row.OrderNumber, domain.FormatAmount(outstanding, row.Currency), row.Currency),
		Fields:  map[string]string{"amount": "must be at most " + domain.FormatAmount(outstanding, row.Currency)}}
}

// gatewayFailure turns a gateway's refusal into a 503 with its message, so the caller
// may try again; anything else stays internal.
func gatewayFailure(err error) error {
	var ge *payment.Error
	if errors.As(err, &ge) {
		return domain.Errorf(domain.CodeUnavailable, "%s", ge.Message)
	}
	return err
}

func paymentFromRow(p queries.Payment) domain.Payment {
	return domain.Payment{ID: p.ID.String(), Gateway: p.Gateway, Amount: p.Amount, Currency: p.Currency, Status: p.Status,
		Reference: p.Reference, Attention: p.Attention, CreatedAt: p.CreatedAt}
}
