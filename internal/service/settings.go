package service

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
	var row queries.TaxRate
	err = s.audited(ctx, domain.ActivitySettings, func(q *queries.Queries) (string, map[string]any, error) {
		if id == uuid.Nil {
			row, err = q.InsertTaxRate(ctx, queries.InsertTaxRateParams{Country: t.Country, Region: t.Region, Rate: t.Rate, Name: t.Name})
		} else {
			row, err = q.UpdateTaxRate(ctx, queries.UpdateTaxRateParams{ID: id, Country: t.Country, Region: t.Region, Rate: t.Rate, Name: t.Name})
		}
		if err != nil {
			return "", nil, settingError(notFound(err, "tax rate"), "tax rate",
				map[string]string{"region": "already has a rate for this country and region"})
		}
		return "Saved the tax rate of " + placeOf(t.Country, t.Region) + ": " + t.Rate.Shift(2).String() + " %",
			map[string]any{"setting": "tax_rate", "id": row.ID, "country": t.Country, "region": t.Region, "rate": t.Rate}, nil
	})
	if err != nil {
		return TaxRateSetting{}, err
	}
	return taxRateFromRow(row), nil
}

// placeOf names a country, or a region of it: "US/CA".
func placeOf(country, region string) string {
	if region == "" {
		return country
	}
	return country + "/" + region
}

// DeleteTaxRate removes a tax rate; orders already placed keep the tax they were charged.
func (s *Service) DeleteTaxRate(ctx context.Context, id uuid.UUID) error {
	return s.audited(ctx, domain.ActivitySettings, func(q *queries.Queries) (string, map[string]any, error) {
		r, err := q.GetTaxRate(ctx, id)
		if err != nil {
			return "", nil, notFound(err, "tax rate")
		}
		return "Deleted the tax rate of " + placeOf(r.Country, r.Region), map[string]any{"setting": "tax_rate", "id": id},
			deleted(q.DeleteTaxRate(ctx, id))("tax rate")
	})
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

// SaveShippingRate creates a shipping rate (id uuid.Nil) or replaces one; with rates
// that have deadline hours of their own, the open orders' deadlines are recomputed.
func (s *Service) SaveShippingRate(ctx context.Context, id uuid.UUID, in domain.ShippingRateInput) (ShippingRateSetting, error) {
	r, err := in.Parse()
	if err != nil {
		return ShippingRateSetting{}, err
	}
	var row queries.ShippingRate
	version, open, err := s.changeRates(ctx, func(q *queries.Queries) (string, map[string]any, error) {
		if id == uuid.Nil {
			row, err = q.InsertShippingRate(ctx, queries.InsertShippingRateParams{Country: r.Country, Currency: r.Currency,
				Amount: r.Amount, FreeAbove: r.FreeAbove, Name: r.Name, ShipWithinHours: r.ShipWithin})
		} else {
			row, err = q.UpdateShippingRate(ctx, queries.UpdateShippingRateParams{ID: id, Country: r.Country, Currency: r.Currency,
				Amount: r.Amount, FreeAbove: r.FreeAbove, Name: r.Name, ShipWithinHours: r.ShipWithin})
		}
		if err != nil {
			return "", nil, settingError(notFound(err, "shipping rate"), "shipping rate",
				map[string]string{"country": "already has a rate in this currency"})
		}
		details := map[string]any{"setting": "shipping_rate", "id": row.ID, "country": r.Country, "currency": r.Currency, "amount": r.Amount}
		summary := "Saved the shipping rate of " + r.Country + ": " + domain.FormatAmount(r.Amount, r.Currency) + " " + r.Currency
		if r.ShipWithin.Valid {
			details["ship_within_hours"] = r.ShipWithin.Decimal
			summary += ", ship within " + r.ShipWithin.Decimal.String() + " business hours"
		}
		return summary, details, nil
	})
	if err != nil {
		return ShippingRateSetting{}, err
	}
	if err := s.recomputeNowIfSmall(ctx, version, open); err != nil {
		return ShippingRateSetting{}, err
	}
	return shippingRateFromRow(row), nil
}

// DeleteShippingRate removes a shipping rate (recomputing deadlines as SaveShippingRate).
func (s *Service) DeleteShippingRate(ctx context.Context, id uuid.UUID) error {
	version, open, err := s.changeRates(ctx, func(q *queries.Queries) (string, map[string]any, error) {
		r, err := q.GetShippingRate(ctx, id)
		if err != nil {
			return "", nil, notFound(err, "shipping rate")
		}
		return "Deleted the shipping rate of " + r.Country + " in " + r.Currency,
			map[string]any{"setting": "shipping_rate", "id": id}, deleted(q.DeleteShippingRate(ctx, id))("shipping rate")
	})
	if err != nil {
		return err
	}
	return s.recomputeNowIfSmall(ctx, version, open)
}

// changeRates runs a change of the shipping rates in a transaction with its record in
// the activity log. It first takes the deadline rules' exclusive lock, so that a payment
// computes its deadline with the rates before or after the change, never between. When
// a rate has deadline hours of its own, before or after, the change may move some
// orders' deadlines (an order matches another rate, or another rate's hours): the open
// orders are recomputed (the version and open orders are for recomputeNowIfSmall).
func (s *Service) changeRates(ctx context.Context, change func(q *queries.Queries) (summary string, details map[string]any, err error)) (int32, int64, error) {
	var version int32
	var open int64
	err := s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		if err := q.LockDeadlineRulesForChange(ctx); err != nil {
			return fmt.Errorf("lock deadline rules: %w", err)
		}
		before, err := q.RatesHaveDeadlines(ctx)
		if err != nil {
			return fmt.Errorf("shipping rates: %w", err)
		}
		summary, details, err := change(q)
		if err != nil {
			return err
		}
		after, err := q.RatesHaveDeadlines(ctx)
		if err != nil {
			return fmt.Errorf("shipping rates: %w", err)
		}
		if before || after {
			if version, open, err = s.rateDeadlinesChanged(ctx, tx, q); err != nil {
				return err
			}
		}
		return audit(ctx, q, actorFrom(ctx), domain.ActivitySettings, summary, details)
	})
	return version, open, err
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
	var row queries.Coupon
	err = s.audited(ctx, domain.ActivitySettings, func(q *queries.Queries) (string, map[string]any, error) {
		if id == uuid.Nil {
			row, err = q.InsertCoupon(ctx, queries.InsertCouponParams{Code: c.Code, Kind: kind, Value: c.Value, Currency: currency,
				MinSubtotal: c.MinSubtotal, StartsAt: c.StartsAt, EndsAt: c.EndsAt, UsageLimit: c.UsageLimit, Active: c.Active})
		} else {
			row, err = q.UpdateCoupon(ctx, queries.UpdateCouponParams{ID: id, Code: c.Code, Kind: kind, Value: c.Value, Currency: currency,
				MinSubtotal: c.MinSubtotal, StartsAt: c.StartsAt, EndsAt: c.EndsAt, UsageLimit: c.UsageLimit, Active: c.Active})
		}
		if err != nil {
			if code, constraint := pgCode(err); code == pgCheckViolation && constraint == "coupons_usage_within_limit" {
				return "", nil, domain.FieldErrors{"usage_limit": "is below the number of times the coupon was already used"}.Err()
			}
			return "", nil, settingError(notFound(err, "coupon"), "coupon", map[string]string{"code": "is already in use"})
		}
		return "Saved coupon " + c.Code, map[string]any{"setting": "coupon", "id": row.ID, "code": c.Code, "kind": kind,
			"value": c.Value, "active": c.Active}, nil
	})
	if err != nil {
		return CouponSetting{}, err
	}
	return couponFromRow(row), nil
}

// DeleteCoupon removes a coupon that no order used; a used one can only be deactivated.
func (s *Service) DeleteCoupon(ctx context.Context, id uuid.UUID) error {
	return s.audited(ctx, domain.ActivitySettings, func(q *queries.Queries) (string, map[string]any, error) {
		c, err := q.GetCoupon(ctx, id)
		if err != nil {
			return "", nil, notFound(err, "coupon")
		}
		n, err := q.DeleteCoupon(ctx, id)
		if code, _ := pgCode(err); code == pgFKViolation {
			return "", nil, domain.Errorf(domain.CodeConflict, "orders used this coupon, so it cannot be deleted; deactivate it instead")
		}
		return "Deleted coupon " + c.Code, map[string]any{"setting": "coupon", "id": id, "code": c.Code}, deleted(n, err)("coupon")
	})
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
		Currency: r.Currency, Amount: r.Amount, FreeAbove: r.FreeAbove, Name: r.Name, ShipWithin: r.ShipWithinHours}}
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
