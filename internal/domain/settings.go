package domain

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The settings forms send text; these inputs parse and validate it in one step so that
// every field gets its own message.

var (
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	couponPattern  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,63}$`)
)

// TaxRate is a sales tax rate for a country, or a region of it when Region is set.
type TaxRate struct {
	Country string
	Region  string
	Rate    decimal.Decimal // a fraction: 0.2 is 20 %
	Name    string
}

// TaxRateInput is the tax rate form; RatePercent is "20" for 20 %.
type TaxRateInput struct {
	Country, Region, RatePercent, Name string
}

// Parse validates the input and returns the rate.
func (in TaxRateInput) Parse() (TaxRate, error) {
	fe := FieldErrors{}
	t := TaxRate{Country: strings.ToUpper(strings.TrimSpace(in.Country)), Region: strings.TrimSpace(in.Region),
		Name: strings.TrimSpace(in.Name)}
	if !countryPattern.MatchString(t.Country) {
		fe.Add("country", "must be a two-letter country code such as US")
	}
	validateText(fe, "region", t.Region, 64, false)
	validateText(fe, "name", t.Name, MaxName, false)
	if pct, ok := FormDecimal(fe, "rate", in.RatePercent, TaxPercentDigits, true); ok {
		if pct.IsNegative() || pct.GreaterThanOrEqual(decimal.NewFromInt(100)) {
			fe.Add("rate", "must be at least 0 and below 100")
		} else {
			t.Rate = pct.Div(decimal.NewFromInt(100))
		}
	}
	return t, fe.Err()
}

// ShippingRateInput is the shipping rate form. Country "*" is the fallback for every
// country without a rate of its own; FreeAbove may be empty.
type ShippingRateInput struct {
	Country, Currency, Amount, FreeAbove, Name string
	ShipWithin                                 string // business hours to ship; empty: the shop's deadline rule
}

// Parse validates the input and returns the rate.
func (in ShippingRateInput) Parse() (ShippingRate, error) {
	fe := FieldErrors{}
	r := ShippingRate{Country: strings.ToUpper(strings.TrimSpace(in.Country)),
		Currency: strings.ToUpper(strings.TrimSpace(in.Currency)), Name: strings.TrimSpace(in.Name)}
	if r.Country != "*" && !countryPattern.MatchString(r.Country) {
		fe.Add("country", "must be a two-letter country code, or * for every other country")
	}
	if !KnownCurrency(r.Currency) {
		fe.Add("currency", "must be a supported currency code such as USD")
	}
	if r.Name == "" {
		r.Name = "Standard"
	}
	validateText(fe, "name", r.Name, MaxName, false)
	if amount, ok := FormDecimal(fe, "amount", in.Amount, MoneyDigits, true); ok {
		validateMoney(fe, "amount", amount, r.Currency)
		r.Amount = amount
	}
	if free, ok := FormDecimal(fe, "free_above", in.FreeAbove, MoneyDigits, false); ok {
		validateMoney(fe, "free_above", free, r.Currency)
		r.FreeAbove = decimal.NewNullDecimal(free)
	}
	if h, ok := parseHours(fe, "ship_within_hours", in.ShipWithin); ok {
		if !h.IsPositive() {
			fe.Add("ship_within_hours", "must be more than 0, or empty for the shop's rule")
		}
		r.ShipWithin = decimal.NewNullDecimal(h)
	}
	return r, fe.Err()
}

// CouponInput is the coupon form. Dates are YYYY-MM-DD in UTC: the coupon is valid from
// the start of StartsOn to the end of EndsOn.
type CouponInput struct {
	Code, Kind, Value, Currency, MinSubtotal, StartsOn, EndsOn, UsageLimit string
	Active                                                                 bool
}

// Parse validates the input and returns the coupon.
func (in CouponInput) Parse() (Coupon, error) {
	fe := FieldErrors{}
	c := Coupon{Code: strings.ToUpper(strings.TrimSpace(in.Code)), Active: in.Active,
		Currency: strings.ToUpper(strings.TrimSpace(in.Currency))}
	if !couponPattern.MatchString(c.Code) {
		fe.Add("code", "must be 1 to 64 letters, digits, '-' or '_'")
	}
	switch in.Kind {
	case "percent":
		c.Percent = true
	case "fixed":
	default:
		fe.Add("kind", "must be percent or fixed")
	}
	if c.Currency != "" && !KnownCurrency(c.Currency) {
		fe.Add("currency", "must be a supported currency code such as USD")
	}
	if !c.Percent && in.Kind == "fixed" && c.Currency == "" {
		fe.Add("currency", "is required for a fixed amount")
	}
	if v, ok := FormDecimal(fe, "value", in.Value, MoneyDigits, true); ok {
		switch {
		case !v.IsPositive():
			fe.Add("value", "must be more than 0")
		case c.Percent && v.GreaterThan(decimal.NewFromInt(100)):
			fe.Add("value", "a percentage must be at most 100")
		case !c.Percent:
			validateMoney(fe, "value", v, c.Currency)
		case v.Exponent() < -2:
			fe.Add("value", "may have at most 2 decimals")
		}
		c.Value = v
	}
	if c.Percent {
		c.Currency = ""
	}
	if m, ok := FormDecimal(fe, "min_subtotal", in.MinSubtotal, MoneyDigits, false); ok {
		validateMoney(fe, "min_subtotal", m, c.Currency)
		c.MinSubtotal = decimal.NewNullDecimal(m)
	}
	c.StartsAt = parseDate(fe, "starts_on", in.StartsOn, false)
	c.EndsAt = parseDate(fe, "ends_on", in.EndsOn, true)
	if c.StartsAt != nil && c.EndsAt != nil && !c.EndsAt.After(*c.StartsAt) {
		fe.Add("ends_on", "must not be before the start date")
	}
	if s := strings.TrimSpace(in.UsageLimit); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 1 {
			fe.Add("usage_limit", "must be a whole number of at least 1, or empty for no limit")
		} else {
			l := int32(n)
			c.UsageLimit = &l
		}
	}
	return c, fe.Err()
}

// parseDate reads YYYY-MM-DD as the start of that day in UTC, or of the next day when
// endOfDay, so that an end date includes the whole day.
func parseDate(fe FieldErrors, field, s string, endOfDay bool) *time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		fe.Add(field, "must be a date such as 2026-12-31")
		return nil
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return &t
}
