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
// money is then real and must be booked).
func (s *Stripe) CancelIntent(ctx context.Context, intentID, idempotencyKey string) (string, error) {
	params := &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("abandoned")}
	params.SetIdempotencyKey(idempotencyKey)
	pi, err := s.client.V1PaymentIntents.Cancel(ctx, intentID, params)
	if err == nil {
		return string(pi.Status), nil
	}
	var se *stripe.Error
	if errors.As(err, &se) && se.Code == stripe.ErrorCodePaymentIntentUnexpectedState {
		// Already succeeded or canceled: say which.
		if pi, gerr := s.client.V1PaymentIntents.Retrieve(ctx, intentID, nil); gerr == nil {
			return string(pi.Status), nil
		}
	}
	return "", gatewayError("cancel payment intent "+intentID, err)
}

// Event is the part of a Stripe event the OMS acts on.
type Event struct {
	ID   string
	Type string
	// For payment_intent.* events:
	PaymentIntentID string
	FailureMessage  string
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
// (refund.updated) or a Charge with its refunds (charge.refunded).
func (e *Event) readObject(raw []byte) error {
	type refund struct {
		ID            string                     `json:"id"`
		Status        stripe.RefundStatus        `json:"status"`
		FailureReason stripe.RefundFailureReason `json:"failure_reason"`
	}
	switch {
	case strings.HasPrefix(e.Type, "payment_intent."):
		var obj struct {
			ID               string `json:"id"`
			LastPaymentError *struct {
				Message string `json:"message"`
			} `json:"last_payment_error"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		e.PaymentIntentID = obj.ID
		if obj.LastPaymentError != nil {
			e.FailureMessage = obj.LastPaymentError.Message
		}
	case e.Type == "refund.updated" || e.Type == "refund.failed":
		var r refund
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		e.Refunds = []RefundResult{refundResult(r.ID, r.Status, r.FailureReason)}
	case e.Type == "charge.refunded":
		var ch struct {
			Refunds *struct {
				Data []refund `json:"data"`
			} `json:"refunds"`
		}
		if err := json.Unmarshal(raw, &ch); err != nil {
			return err
		}
		if ch.Refunds != nil {
			for _, r := range ch.Refunds.Data {
				e.Refunds = append(e.Refunds, refundResult(r.ID, r.Status, r.FailureReason))
			}
		}
	}
	return nil
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
