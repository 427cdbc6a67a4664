package payment

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
)

// Manual is money handled outside the OMS (bank transfer, cash on delivery): payments
// and refunds are recorded by staff, and the gateway only agrees.
type Manual struct{}

// Name implements Gateway.
func (Manual) Name() string { return "manual" }

// CreateIntent implements Gateway: a manual payment has nothing to prepare.
func (Manual) CreateIntent(context.Context, decimal.Decimal, string, string, string) (Intent, error) {
	return Intent{}, fmt.Errorf("manual payment intent: %w", ErrNotSupported)
}

// Refund implements Gateway: the money is given back by hand, so the refund is recorded
// as succeeded.
func (Manual) Refund(context.Context, string, decimal.Decimal, string, string) (RefundResult, error) {
	return RefundResult{Status: RefundSucceeded}, nil
}
