package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/oms/oms/internal/domain"
)

// StripeConfig is how to reach Stripe.
type StripeConfig struct {
	SecretKey     string // STRIPE_SECRET_KEY; empty: Stripe is disabled
	APIBase       string // STRIPE_API_BASE; empty: api.stripe.com (tests point it at stripe-mock)
	WebhookSecret string // STRIPE_WEBHOOK_SECRET, to verify webhook signatures
}

// Stripe is the Stripe gateway, through the official client.
type Stripe struct {
	client        *stripe.Client
	webhookSecret string
}

// NewStripe returns the Stripe gateway, or nil when no secret key is configured.
func NewStripe(cfg StripeConfig) *Stripe {
	if cfg.SecretKey == "" {
		return nil
	}
	var opts []stripe.ClientOption
	if cfg.APIBase != "" {
		bc := &stripe.BackendConfig{URL: stripe.String(strings.TrimRight(cfg.APIBase, "/"))}
		opts = append(opts, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
	}
	return &Stripe{client: stripe.NewClient(cfg.SecretKey, opts...), webhookSecret: cfg.WebhookSecret}
}

// Name implements Gateway.
func (*Stripe) Name() string { return "stripe" }

// CreateIntent implements Gateway with a PaymentIntent; the order id is kept in its metadata.
func (s *Stripe) CreateIntent(ctx context.Context, amount decimal.Decimal, currency, orderID, idempotencyKey string) (Intent, error) {
	minor, err := ToMinor(amount, currency)
	if err != nil {
		return Intent{}, err
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:                  stripe.Int64(minor),
		Currency:                stripe.String(strings.ToLower(currency)),
		AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
	}
	params.AddMetadata("order_id", orderID)
	params.SetIdempotencyKey(idempotencyKey)
	pi, err := s.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return Intent{}, gatewayError("create payment intent", err)
	}
	return Intent{ID: pi.ID, ClientSecret: pi.ClientSecret}, nil
}

// Refund implements Gateway: a Stripe refund of the PaymentIntent paymentExternalID.
func (s *Stripe) Refund(ctx context.Context, paymentExternalID string, amount decimal.Decimal, currency, idempotencyKey string) (RefundResult, error) {
	minor, err := ToMinor(amount, currency)
	if err != nil {
		return RefundResult{}, &Error{Message: err.Error(), Err: err, Permanent: true}
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(paymentExternalID), Amount: stripe.Int64(minor)}
	params.SetIdempotencyKey(idempotencyKey)
	r, err := s.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return RefundResult{}, gatewayError("refund "+paymentExternalID, err)
	}
	return refundResult(r.ID, r.Status, r.FailureReason), nil
}

// GetRefund asks Stripe where a refund stands (reconciliation of a refund pending too long).
func (s *Stripe) GetRefund(ctx context.Context, id string) (RefundResult, error) {
	r, err := s.client.V1Refunds.Retrieve(ctx, id, nil)
	if err != nil {
		return RefundResult{}, gatewayError("read refund "+id, err)
	}
	return refundResult(r.ID, r.Status, r.FailureReason), nil
}

// refundResult turns a Stripe refund's status into the OMS's.
func refundResult(id string, status stripe.RefundStatus, reason stripe.RefundFailureReason) RefundResult {
	switch status {
	case stripe.RefundStatusSucceeded:
		return RefundResult{ID: id, Status: RefundSucceeded}
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		failure := "Stripe refund " + string(status)
		if reason != "" {
			failure += ": " + strings.ReplaceAll(string(reason), "_", " ")
		}
		return RefundResult{ID: id, Status: RefundFailed, Failure: failure}
	default: // pending, requires_action: the money is on its way back
		return RefundResult{ID: id, Status: RefundPending}
	}
}

// Intent statuses the OMS acts on (Stripe's own words).
const (
	IntentSucceeded = "succeeded"
	IntentCanceled  = "canceled"
)

// CancelIntent cancels a PaymentIntent (an order that expired unpaid). It returns the
// intent's status afterwards: canceled, or succeeded when the customer paid first (the
// money is then real and must be booked: received says how much).
func (s *Stripe) CancelIntent(ctx context.Context, intentID, idempotencyKey string) (status string, received *Money, err error) {
	params := &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("abandoned")}
	params.SetIdempotencyKey(idempotencyKey)
	pi, err := s.client.V1PaymentIntents.Cancel(ctx, intentID, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.Code == stripe.ErrorCodePaymentIntentUnexpectedState {
		// Already succeeded or canceled: say which.
		if got, gerr := s.client.V1PaymentIntents.Retrieve(ctx, intentID, nil); gerr == nil {
			pi, err = got, nil
		}
	}
	if err != nil {
		return "", nil, gatewayError("cancel payment intent "+intentID, err)
	}
	received, err = moneyOf(&pi.AmountReceived, string(pi.Currency))
	return string(pi.Status), received, err
}

// Money is an amount as Stripe reports it, in the currency's major units.
type Money struct {
	Amount   decimal.Decimal
	Currency string // ISO 4217, upper case
}

func (m Money) String() string { return domain.FormatAmount(m.Amount, m.Currency) + " " + m.Currency }

// moneyOf reads Stripe's integer of minor units in currency; nil when Stripe did not say.
func moneyOf(minor *int64, currency string) (*Money, error) {
	if minor == nil || currency == "" {
		return nil, nil
	}
	if *minor < 0 {
		return nil, fmt.Errorf("negative amount %d %s", *minor, currency)
	}
	c := strings.ToUpper(currency)
	return &Money{Amount: decimal.New(*minor, -domain.MinorUnits(c)), Currency: c}, nil
}

// Event is the part of a Stripe event the OMS acts on.
type Event struct {
	ID   string
	Type string
	// The PaymentIntent the event is about (payment_intent.*, charge.refunded,
	// charge.dispute.created), and why its payment failed.
	PaymentIntentID string
	FailureMessage  string
	// The money the event is about, nil when it does not say: what a succeeded
	// PaymentIntent received, how much of a charge is refunded in all (charge.refunded),
	// how much is disputed (charge.dispute.created).
	Amount *Money
	// For charge.dispute.created: the dispute and the reason the bank gave.
	DisputeID, DisputeReason string
	// For refund.updated and charge.refunded: where each refund stands.
	Refunds []RefundResult
}

// ErrBadSignature is returned for a webhook whose signature does not verify.
var ErrBadSignature = errors.New("stripe webhook signature does not verify")

// ParseWebhook verifies payload against the Stripe-Signature header with the webhook
// secret and returns the event. The endpoint's API version may differ from the client's,
// so only the fields read here matter.
func (s *Stripe) ParseWebhook(payload []byte, signature string) (Event, error) {
	if s.webhookSecret == "" || signature == "" {
		return Event{}, ErrBadSignature
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, s.webhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	out := Event{ID: ev.ID, Type: string(ev.Type)}
	if ev.Data != nil {
		if err := out.readObject(ev.Data.Raw); err != nil {
			return Event{}, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
	}
	if out.ID == "" {
		return Event{}, fmt.Errorf("%w: the event has no id", ErrBadSignature)
	}
	return out, nil
}

// readObject reads what the OMS needs of the event's object: a PaymentIntent, a Refund
// (refund.updated), a Charge with its refunds (charge.refunded) or a Dispute.
func (e *Event) readObject(raw []byte) error {
	type refund struct {
		ID            string                     `json:"id"`
		Status        stripe.RefundStatus        `json:"status"`
		FailureReason stripe.RefundFailureReason `json:"failure_reason"`
	}
	var obj struct {
		ID               string  `json:"id"`
		PaymentIntent    *string `json:"payment_intent"`
		Currency         string  `json:"currency"`
		Amount           *int64  `json:"amount"`
		AmountReceived   *int64  `json:"amount_received"`
		AmountRefunded   *int64  `json:"amount_refunded"`
		Reason           string  `json:"reason"`
		LastPaymentError *struct {
			Message string `json:"message"`
		} `json:"last_payment_error"`
		Refunds *struct {
			Data []refund `json:"data"`
		} `json:"refunds"`
	}
	var amount *int64
	switch {
	case strings.HasPrefix(e.Type, "payment_intent."):
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		e.PaymentIntentID, amount = obj.ID, obj.AmountReceived
		if obj.LastPaymentError != nil {
			e.FailureMessage = obj.LastPaymentError.Message
		}
	case e.Type == "refund.updated" || e.Type == "refund.failed":
		var r refund
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		e.Refunds = []RefundResult{refundResult(r.ID, r.Status, r.FailureReason)}
		return nil
	case e.Type == "charge.refunded":
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		amount = obj.AmountRefunded
		if obj.Refunds != nil {
			for _, r := range obj.Refunds.Data {
				e.Refunds = append(e.Refunds, refundResult(r.ID, r.Status, r.FailureReason))
			}
		}
	case e.Type == "charge.dispute.created":
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		amount, e.DisputeID, e.DisputeReason = obj.Amount, obj.ID, strings.ReplaceAll(obj.Reason, "_", " ")
	default:
		return nil
	}
	if obj.PaymentIntent != nil && e.PaymentIntentID == "" {
		e.PaymentIntentID = *obj.PaymentIntent
	}
	var err error
	e.Amount, err = moneyOf(amount, obj.Currency)
	return err
}

// WebhookEnabled reports whether webhooks can be verified.
func (s *Stripe) WebhookEnabled() bool { return s != nil && s.webhookSecret != "" }

// ToMinor converts amount to an integer of the currency's minor units (19.99 USD -> 1999,
// 1200 JPY -> 1200), refusing amounts with more decimals than the currency has.
func ToMinor(amount decimal.Decimal, currency string) (int64, error) {
	if !domain.HasMinorUnits(amount, currency) {
		return 0, fmt.Errorf("amount %s has more decimals than %s allows", amount, currency)
	}
	return amount.Shift(domain.MinorUnits(currency)).IntPart(), nil
}

// Error is a gateway's refusal or failure, with a message fit for staff. Permanent: the
// gateway refused the request itself (see IsPermanent).
type Error struct {
	Message   string
	Err       error
	Permanent bool
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func gatewayError(what string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		// 4xx other than 409 (an idempotent request still in flight) and 429 (slow down)
		// will be refused again.
		permanent := se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 && se.HTTPStatusCode != 409 && se.HTTPStatusCode != 429
		msg := se.Msg
		if msg == "" {
			msg = err.Error()
		}
		return &Error{Message: "Stripe could not " + what + ": " + msg, Err: err, Permanent: permanent}
	}
	return &Error{Message: "Stripe could not " + what + ": " + err.Error(), Err: err}
}
