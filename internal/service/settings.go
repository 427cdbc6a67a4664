package service

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// TaxRateSetting is a stored tax rate.
type TaxRateSetting struct {
	ID uuid.UUID
	domain.TaxRate
}

// ShippingRateSetting is a stored shipping rate.
type ShippingRateSetting struct {
	ID uuid.UUID
	domain.ShippingRate
}

// CouponSetting is a stored coupon with how often it has been used.
type CouponSetting struct {
	ID uuid.UUID
	domain.Coupon
	UsedCount int
}

// ListTaxRates returns every tax rate by country and region.
func (s *Service) ListTaxRates(ctx context.Context) ([]TaxRateSetting, error) {
	rows, err := queries.New(s.pool).ListTaxRates(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tax rates: %w", err)
	}
	out := make([]TaxRateSetting, len(rows))
	for i, r := range rows {
		out[i] = taxRateFromRow(r)
	}
	return out, nil
}

// SaveTaxRate creates a tax rate (id uuid.Nil) or replaces one.
func (s *Service) SaveTaxRate(ctx context.Context, id uuid.UUID, in domain.TaxRateInput) (TaxRateSetting, error) {
	t, err := in.Parse()
	if err != nil {
		return TaxRateSetting{}, err
	}
	q := queries.New(s.pool)
	var row queries.TaxRate
	if id == uuid.Nil {
		row, err = q.InsertTaxRate(ctx, queries.InsertTaxRateParams{Country: t.Country, Region: t.Region, Rate: t.Rate, Name: t.Name})
	} else {
		row, err = q.UpdateTaxRate(ctx, queries.UpdateTaxRateParams{ID: id, Country: t.Country, Region: t.Region, Rate: t.Rate, Name: t.Name})
	}
	if err != nil {
		return TaxRateSetting{}, settingError(notFound(err, "tax rate"), "tax rate",
			map[string]string{"region": "already has a rate for this country and region"})
	}
	return taxRateFromRow(row), nil
}

// DeleteTaxRate removes a tax rate; orders already placed keep the tax they were charged.
func (s *Service) DeleteTaxRate(ctx context.Context, id uuid.UUID) error {
	return deleted(queries.New(s.pool).DeleteTaxRate(ctx, id))("tax rate")
}

// ListShippingRates returns every shipping rate, the "*" fallback last.
func (s *Service) ListShippingRates(ctx context.Context) ([]ShippingRateSetting, error) {
	rows, err := queries.New(s.pool).ListShippingRates(ctx)
	if err != nil {
		return nil, fmt.Errorf("list shipping rates: %w", err)
	}
	out := make([]ShippingRateSetting, len(rows))
	for i, r := range rows {
		out[i] = shippingRateFromRow(r)
	}
	return out, nil
}

// SaveShippingRate creates a shipping rate (id uuid.Nil) or replaces one.
func (s *Service) SaveShippingRate(ctx context.Context, id uuid.UUID, in domain.ShippingRateInput) (ShippingRateSetting, error) {
	r, err := in.Parse()
	if err != nil {
		return ShippingRateSetting{}, err
	}
	q := queries.New(s.pool)
	var row queries.ShippingRate
	if id == uuid.Nil {
		row, err = q.InsertShippingRate(ctx, queries.InsertShippingRateParams{Country: r.Country, Currency: r.Currency,
			Amount: r.Amount, FreeAbove: r.FreeAbove, Name: r.Name})
	} else {
		row, err = q.UpdateShippingRate(ctx, queries.UpdateShippingRateParams{ID: id, Country: r.Country, Currency: r.Currency,
			Amount: r.Amount, FreeAbove: r.FreeAbove, Name: r.Name})
	}
	if err != nil {
		return ShippingRateSetting{}, settingError(notFound(err, "shipping rate"), "shipping rate",
			map[string]string{"country": "already has a rate in this currency"})
	}
	return shippingRateFromRow(row), nil
}

// DeleteShippingRate removes a shipping rate.
func (s *Service) DeleteShippingRate(ctx context.Context, id uuid.UUID) error {
	return deleted(queries.New(s.pool).DeleteShippingRate(ctx, id))("shipping rate")
}

// ListCoupons returns every coupon, active ones first.
func (s *Service) ListCoupons(ctx context.Context) ([]CouponSetting, error) {
	rows, err := queries.New(s.pool).ListCoupons(ctx)
	if err != nil {
		return nil, fmt.Errorf("list coupons: %w", err)
	}
	out := make([]CouponSetting, len(rows))
	for i, r := range rows {
		out[i] = couponFromRow(r)
	}
	return out, nil
}

// SaveCoupon creates a coupon (id uuid.Nil) or replaces one; its use count is kept.
func (s *Service) SaveCoupon(ctx context.Context, id uuid.UUID, in domain.CouponInput) (CouponSetting, error) {
	c, err := in.Parse()
	if err != nil {
		return CouponSetting{}, err
	}
	kind := "fixed"
	if c.Percent {
		kind = "percent"
	}
	var currency *string
	if c.Currency != "" {
		currency = &c.Currency
	}
	q := queries.New(s.pool)
	var row queries.Coupon
	if id == uuid.Nil {
		row, err = q.InsertCoupon(ctx, queries.InsertCouponParams{Code: c.Code, Kind: kind, Value: c.Value, Currency: currency,
			MinSubtotal: c.MinSubtotal, StartsAt: c.StartsAt, EndsAt: c.EndsAt, UsageLimit: c.UsageLimit, Active: c.Active})
	} else {
		row, err = q.UpdateCoupon(ctx, queries.UpdateCouponParams{ID: id, Code: c.Code, Kind: kind, Value: c.Value, Currency: currency,
			MinSubtotal: c.MinSubtotal, StartsAt: c.StartsAt, EndsAt: c.EndsAt, UsageLimit: c.UsageLimit, Active: c.Active})
	}
	if err != nil {
		if code, constraint := pgCode(err); code == pgCheckViolation && constraint == "coupons_usage_within_limit" {
			return CouponSetting{}, domain.FieldErrors{"usage_limit": "is below the number of times the coupon was already used"}.Err()
		}
		return CouponSetting{}, settingError(notFound(err, "coupon"), "coupon", map[string]string{"code": "is already in use"})
	}
	return couponFromRow(row), nil
}

// DeleteCoupon removes a coupon that no order used; a used one can only be deactivated.
func (s *Service) DeleteCoupon(ctx context.Context, id uuid.UUID) error {
	n, err := queries.New(s.pool).DeleteCoupon(ctx, id)
	if code, _ := pgCode(err); code == pgFKViolation {
		return domain.Errorf(domain.CodeConflict, "orders used this coupon, so it cannot be deleted; deactivate it instead")
	}
	return deleted(n, err)("coupon")
}

// settingError maps a unique violation to a conflict naming the offending fields.
func settingError(err error, what string, fields map[string]string) error {
	if code, _ := pgCode(err); code == pgUniqueViolation {
		return &domain.Error{Code: domain.CodeConflict, Message: "a " + what + " like this already exists", Fields: fields}
	}
	if code, _ := pgCode(err); code == pgCheckViolation {
		return domain.Errorf(domain.CodeValidationFailed, "the %s breaks a rule of the database", what)
	}
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return err
	}
	return fmt.Errorf("save %s: %w", what, err)
}

// deleted turns a DELETE's row count into not_found when nothing was deleted.
func deleted(n int64, err error) func(what string) error {
	return func(what string) error {
		if err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		if n == 0 {
			return domain.NotFound(what)
		}
		return nil
	}
}

func taxRateFromRow(r queries.TaxRate) TaxRateSetting {
	return TaxRateSetting{ID: r.ID, TaxRate: domain.TaxRate{Country: r.Country, Region: r.Region, Rate: r.Rate, Name: r.Name}}
}

func shippingRateFromRow(r queries.ShippingRate) ShippingRateSetting {
	return ShippingRateSetting{ID: r.ID, ShippingRate: domain.ShippingRate{Country: r.Country,
		Currency: r.Currency, Amount: r.Amount, FreeAbove: r.FreeAbove, Name: r.Name}}
}

func couponFromRow(r queries.Coupon) CouponSetting {
	c := CouponSetting{ID: r.ID, UsedCount: int(r.UsedCount), Coupon: domain.Coupon{Code: r.Code,
		Percent: r.Kind == "percent", Value: r.Value, MinSubtotal: r.MinSubtotal, StartsAt: r.StartsAt,
		EndsAt: r.EndsAt, UsageLimit: r.UsageLimit, Active: r.Active}}
	if r.Currency != nil {
		c.Currency = *r.Currency
	}
	return c
}
