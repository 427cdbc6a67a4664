package domain

import (
	"bytes"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// minorUnits is ISO 4217's number of decimal places for the currencies the OMS accepts.
var minorUnits = map[string]int32{
	"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "SEK": 2, "NOK": 2,
	"DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "MXN": 2, "BRL": 2, "INR": 2, "CNY": 2, "HKD": 2,
	"SGD": 2, "ZAR": 2, "TRY": 2, "ILS": 2, "AED": 2, "SAR": 2, "THB": 2, "MYR": 2, "PHP": 2,
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3,
}

// KnownCurrency reports whether code is a currency the OMS accepts.
func KnownCurrency(code string) bool {
	_, ok := minorUnits[code]
	return ok
}

// MinorUnits returns the number of decimal places of currency (2 when unknown).
func MinorUnits(currency string) int32 {
	if n, ok := minorUnits[currency]; ok {
		return n
	}
	return 2
}

// Round is the one place money is rounded: to the currency's minor units, half to even
// (banker's rounding), so that rounding errors do not drift one way over many orders.
func Round(amount decimal.Decimal, currency string) decimal.Decimal {
	return amount.RoundBank(MinorUnits(currency))
}

// HasMinorUnits reports whether amount needs no rounding in currency (e.g. 19.99 USD yes,
// 19.999 USD no, 1200.5 JPY no).
func HasMinorUnits(amount decimal.Decimal, currency string) bool {
	return amount.Equal(amount.Truncate(MinorUnits(currency)))
}

// FormatAmount renders amount with exactly the currency's minor units ("19.90", JPY "1200"),
// the form money takes in the API.
func FormatAmount(amount decimal.Decimal, currency string) string {
	units := MinorUnits(currency)
	if s, ok := formatSmall(amount, units); ok {
		return s
	}
	return amount.StringFixedBank(units)
}

// pow10 are the powers of ten an int64 holds.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// formatSmall is StringFixedBank for amounts whose digits fit an int64 (every amount an
// order holds), in integer arithmetic: a list page formats hundreds of amounts, and
// the big.Int path costs more than the rest of the page's JSON.
func formatSmall(d decimal.Decimal, units int32) (string, bool) {
	if d.NumDigits() > 17 || d.Exponent() > 0 || d.Exponent() < -18 {
		return "", false
	}
	coef, scale := d.CoefficientInt64(), -d.Exponent()
	neg := coef < 0
	if neg {
		coef = -coef
	}
	switch {
	case scale < units:
		if d.NumDigits()+int(units-scale) > 18 {
			return "", false
		}
		coef *= pow10[units-scale]
	case scale > units: // round half to even
		div := pow10[scale-units]
		q, r := coef/div, coef%div
		if half := div / 2; r > half || r == half && q%2 == 1 {
			q++
		}
		coef = q
	}
	digits := strconv.AppendInt(make([]byte, 0, 24), coef, 10)
	if pad := int(units) + 1 - len(digits); pad > 0 {
		digits = append(bytes.Repeat([]byte{'0'}, pad), digits...)
	}
	out := make([]byte, 0, len(digits)+2)
	if neg && coef != 0 {
		out = append(out, '-')
	}
	whole := len(digits) - int(units)
	out = append(out, digits[:whole]...)
	if units > 0 {
		out = append(append(out, '.'), digits[whole:]...)
	}
	return string(out), true
}

// Coupon is a discount code: what the totals apply and what Settings edits.
type Coupon struct {
	Code        string
	Percent     bool                // true: Value is a percentage; false: a fixed amount
	Value       decimal.Decimal     // percent (0 < v <= 100) or fixed amount in Currency
	Currency    string              // the fixed amount's currency; empty for percent coupons
	MinSubtotal decimal.NullDecimal // null: no minimum
	Active      bool
	StartsAt    *time.Time // nil: no start
	EndsAt      *time.Time // exclusive; nil: no end
	UsageLimit  *int32     // nil: no limit (enforced when an order is written)
}

// CheckUsable returns coupon_invalid unless the coupon is active and inside its window at now.
// The usage limit is enforced atomically in the database when the order is written.
func (c Coupon) CheckUsable(now time.Time) error {
	switch {
	case !c.Active:
		return CouponInvalid(c.Code, "is not active")
	case c.StartsAt != nil && now.Before(*c.StartsAt):
		return CouponInvalid(c.Code, "is not valid yet")
	case c.EndsAt != nil && !now.Before(*c.EndsAt):
		return CouponInvalid(c.Code, "has expired")
	}
	return nil
}

// ShippingRate is the price of shipping to a destination (Country, or "*" for every
// country without a rate of its own).
type ShippingRate struct {
	Country   string
	Currency  string
	Amount    decimal.Decimal
	FreeAbove decimal.NullDecimal // discounted subtotal at or above which shipping is free
	Name      string
	// ShipWithin is the business hours an order shipped at this rate has to ship, when
	// the shop has deadlines (DeadlineRules.ShipByWithin); null: the shop's rule.
	ShipWithin decimal.NullDecimal
}

// Line is one order line priced from the catalog.
type Line struct {
	UnitPrice decimal.Decimal
	Quantity  int
}

// Total is the line's price times its quantity.
func (l Line) Total() decimal.Decimal {
	return l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity)))
}

// TotalsInput is everything order totals depend on.
type TotalsInput struct {
	Currency string
	Lines    []Line
	Coupon   *Coupon       // nil: none
	Shipping *ShippingRate // nil: free
	TaxRate  decimal.Decimal
	// ManualDiscount is an amount staff take off (a staff-made order): see ComputeTotals.
	ManualDiscount decimal.Decimal
}

// Totals are an order's amounts, each already rounded to the currency's minor units.
type Totals struct {
	Subtotal decimal.Decimal
	Discount decimal.Decimal // the coupon's and the manual discount together
	// ManualDiscount is the part of Discount that staff took off by hand.
	ManualDiscount decimal.Decimal
	Shipping       decimal.Decimal
	Tax            decimal.Decimal
	Total          decimal.Decimal
}

// ComputeTotals prices an order: subtotal of the lines, the coupon's discount (never more
// than the subtotal), then the manual discount (rounded to the currency, never more than
// what the coupon left of the subtotal; Discount holds both, ManualDiscount the manual
// part as applied), shipping (free at or above the rate's threshold, judged on the
// discounted subtotal), and tax on the discounted subtotal. Each amount is rounded once.
// It returns a coupon_invalid error when the coupon does not apply to this order.
func ComputeTotals(in TotalsInput) (Totals, error) {
	var t Totals
	for _, l := range in.Lines {
		t.Subtotal = t.Subtotal.Add(l.Total())
	}
	t.Subtotal = Round(t.Subtotal, in.Currency)

	if c := in.Coupon; c != nil {
		if c.MinSubtotal.Valid && t.Subtotal.LessThan(c.MinSubtotal.Decimal) {
			return Totals{}, CouponInvalid(c.Code, "needs a subtotal of at least "+FormatAmount(c.MinSubtotal.Decimal, in.Currency)+" "+in.Currency)
		}
		if c.Percent {
			t.Discount = Round(t.Subtotal.Mul(c.Value).Div(decimal.NewFromInt(100)), in.Currency)
		} else {
			if c.Currency != in.Currency {
				return Totals{}, CouponInvalid(c.Code, "is for orders in "+c.Currency)
			}
			t.Discount = Round(c.Value, in.Currency)
		}
		t.Discount = decimal.Min(t.Discount, t.Subtotal)
	}
	if in.ManualDiscount.IsPositive() {
		t.ManualDiscount = decimal.Min(Round(in.ManualDiscount, in.Currency), t.Subtotal.Sub(t.Discount))
		t.Discount = t.Discount.Add(t.ManualDiscount)
	}

	discounted := t.Subtotal.Sub(t.Discount)
	if s := in.Shipping; s != nil {
		free := s.FreeAbove.Valid && discounted.GreaterThanOrEqual(s.FreeAbove.Decimal)
		if !free {
			t.Shipping = Round(s.Amount, in.Currency)
		}
	}
	t.Tax = Round(discounted.Mul(in.TaxRate), in.Currency)
	t.Total = discounted.Add(t.Shipping).Add(t.Tax)
	return t, nil
}

// CouponInvalid is the error for a coupon that does not apply, saying why.
func CouponInvalid(code, why string) *Error {
	return &Error{Code: CodeCouponInvalid, Message: "coupon " + code + " " + why,
		Fields: map[string]string{"coupon_code": why}}
}

// DerivePaymentStatus is the one rule for payment_status from an order's amounts.
func DerivePaymentStatus(total, paid, refunded decimal.Decimal) PaymentStatus {
	switch {
	case paid.IsZero():
		return PaymentPending
	case refunded.IsPositive() && refunded.GreaterThanOrEqual(paid):
		return PaymentRefunded
	case refunded.IsPositive():
		return PaymentPartiallyRefunded
	case paid.GreaterThanOrEqual(total):
		return PaymentCompleted
	default:
		return PaymentPartiallyPaid
	}
}

// DeriveFulfillmentStatus is the one rule for fulfillment_status from line quantities.
func DeriveFulfillmentStatus(ordered, fulfilled int) FulfillmentStatus {
	switch {
	case fulfilled <= 0:
		return FulfillmentUnfulfilled
	case fulfilled < ordered:
		return FulfillmentPartiallyFulfilled
	default:
		return FulfillmentFulfilled
	}
}

// CheckRefund is the rule of every refund: more than 0 and at most refundable (paid less
// refunded). money writes an amount the way the caller shows it ("45.00" in the API,
// "$45.00" on a page).
func CheckRefund(amount, refundable decimal.Decimal, money func(decimal.Decimal) string) error {
	if !amount.IsPositive() {
		return FieldErrors{"amount": "must be more than 0"}.Err()
	}
	if amount.GreaterThan(refundable) {
		return RefundExceedsPaid(refundable, money)
	}
	return nil
}

// RefundExceedsPaid is the error of a refund of more than refundable.
func RefundExceedsPaid(refundable decimal.Decimal, money func(decimal.Decimal) string) *Error {
	return &Error{Code: CodeRefundExceedsPaid, Message: "only " + money(refundable) + " is left to refund",
		Fields: map[string]string{"amount": "must be at most " + money(refundable)}}
}
