// Package payment holds the payment gateways behind one small interface: manual (bank
// transfer, cash on delivery: recorded only) and Stripe.
package payment

import (
	"context"
	"errors"

	"github.com/shopspring/decimal"
)

// Gateway takes and gives back money for orders. Amounts are in the currency's major
// units (19.99 USD); a gateway converts them to whatever it speaks.
type Gateway interface {
	// Name is the gateway's name as payments record it ("manual", "stripe").
	Name() string
	// CreateIntent asks the gateway to prepare a payment the customer then completes.
	CreateIntent(ctx context.Context, amount decimal.Decimal, currency, orderID, idempotencyKey string) (Intent, error)
	// Refund gives back amount of the payment the gateway knows as paymentExternalID. The
	// same idempotencyKey always means the same refund, however often it is sent.
	Refund(ctx context.Context, paymentExternalID string, amount decimal.Decimal, currency, idempotencyKey string) (RefundResult, error)
}

// Intent is a payment prepared at the gateway, completed by the customer.
type Intent struct {
	ID           string
	ClientSecret string
}

// Refund statuses, as the OMS records them.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// RefundResult is the gateway's answer about a refund.
type RefundResult struct {
	ID      string // the gateway's refund id; empty for manual refunds
	Status  string // RefundPending, RefundSucceeded or RefundFailed
	Failure string // why it failed, when it did
}

// ErrNotSupported is returned by a gateway asked for something it cannot do.
var ErrNotSupported = errors.New("not supported by this gateway")

// IsPermanent reports whether err is the gateway's definite refusal (a bad request, a
// declined card): trying again with the same input gives the same answer. Anything else
// (a timeout, a dropped connection, the gateway's own trouble) may be tried again.
func IsPermanent(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Permanent
}
