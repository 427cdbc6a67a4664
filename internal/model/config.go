package model

import (
	"github.com/shopspring/decimal"
)

// Config is the shop the driver sets up before a run and never changes during it: the
// catalog, tax and shipping rates by country, and coupons. Everything is in USD.
type Config struct {
	Products map[string]Product         // by SKU
	Tax      map[string]decimal.Decimal // by country, as a fraction (0.2 is 20 %); none: 0
	Shipping map[string]Shipping        // by country, or "*" for every other; none: free
	Coupons  map[string]Coupon          // by code (upper case, as stored)
}

// Product is a catalog entry.
type Product struct {
	Price  decimal.Decimal
	Active bool
}

// Shipping is the price of shipping to a country.
type Shipping struct {
	Amount    decimal.Decimal
	FreeAbove *decimal.Decimal // free at or above this discounted subtotal; nil: never free
}

// Coupon is a discount code.
type Coupon struct {
	Code        string
	Percent     bool            // Value is a percentage, else an amount
	Value       decimal.Decimal // percent or amount
	MinSubtotal *decimal.Decimal
	Limit       int // uses allowed; 0: no limit
	Inactive    bool
}

// cents rounds money to the currency's minor units, half to even (code: domain.Round;
// the contract says only "minor units").
func cents(d decimal.Decimal) decimal.Decimal { return d.RoundBank(2) }

// totals prices lines shipping to country with coupon (nil: none): subtotal; the coupon's
// discount, never more than the subtotal; shipping, free at or above the rate's threshold
// judged on the discounted subtotal; tax on the discounted subtotal. Each amount is
// rounded once (README: "Orders taken on the phone"; the threshold and tax on what
// remains after discounts). A coupon whose minimum the subtotal misses: coupon_invalid.
func (c Config) totals(lines []Line, country string, coupon *Coupon) (sub, disc, ship, tax, total decimal.Decimal, err error) {
	for _, l := range lines {
		sub = sub.Add(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Qty))))
	}
	sub = cents(sub)
	if coupon != nil {
		if coupon.MinSubtotal != nil && sub.LessThan(*coupon.MinSubtotal) {
			return sub, disc, ship, tax, total, refuse("coupon_invalid")
		}
		if coupon.Percent {
			disc = cents(sub.Mul(coupon.Value).Div(decimal.NewFromInt(100)))
		} else {
			disc = cents(coupon.Value)
		}
		disc = decimal.Min(disc, sub)
	}
	rest := sub.Sub(disc)
	rate, ok := c.Shipping[country]
	if !ok {
		rate, ok = c.Shipping["*"]
	}
	if ok && (rate.FreeAbove == nil || rest.LessThan(*rate.FreeAbove)) {
		ship = cents(rate.Amount)
	}
	tax = cents(rest.Mul(c.Tax[country]))
	return sub, disc, ship, tax, rest.Add(ship).Add(tax), nil
}

// reprice computes o's totals again from its lines, country and coupon. The coupon the
// order was placed with keeps applying, even if it has expired or been used up since
// (code: service.totals), but its minimum subtotal still holds.
func (c Config) reprice(o *Order) error {
	var coupon *Coupon
	if o.Coupon != "" {
		cp := c.Coupons[o.Coupon]
		coupon = &cp
	}
	sub, disc, ship, tax, total, err := c.totals(o.Lines, o.Country, coupon)
	if err != nil {
		return err
	}
	o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total = sub, disc, ship, tax, total
	return nil
}
