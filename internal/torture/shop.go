package torture

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/model"
)

// The shop every run sells from: few SKUs with thin stock (orders race for them), prices
// and tax rates whose products land on half cents, shipping with free thresholds that
// coupons and edits cross, and coupons with minimums and a usage limit.

type shopProduct struct {
	sku, price string
	active     bool
	stock      int
}

var products = []shopProduct{
	{"TEE", "19.99", true, 40}, {"MUG", "12.50", true, 30}, {"CAP", "7.35", true, 25},
	{"HOODIE", "49.00", true, 15}, {"PIN", "3.33", true, 60}, {"BAG", "24.95", true, 20},
	{"RETIRED", "9.00", false, 10},
}

var taxRates = map[string]string{"US": "7.25", "DE": "19", "GB": "20", "FR": "5.5", "CA": "13"}

type shopShipping struct{ country, amount, freeAbove string }

var shippingRates = []shopShipping{{"US", "5.00", "50.00"}, {"DE", "9.90", "100.00"}, {"*", "14.50", ""}}

type shopCoupon struct {
	code, kind, value, minSubtotal string
	limit                          int
	active                         bool
}

var coupons = []shopCoupon{
	{"SAVE10", "percent", "10", "", 0, true}, {"FIVE", "fixed", "5.00", "20.00", 0, true},
	{"BIG25", "percent", "25", "80.00", 0, true}, {"LIMITED", "percent", "15", "", 25, true},
	{"OLD", "percent", "50", "", 0, false},
}

// countries orders ship to; JP has no tax rate of its own and the "*" shipping rate.
var countries = []string{"US", "US", "DE", "GB", "FR", "CA", "JP"}

// shopConfig is the shop as the model knows it.
func shopConfig() (model.Config, map[string]int) {
	c := model.Config{Products: map[string]model.Product{}, Tax: map[string]decimal.Decimal{},
		Shipping: map[string]model.Shipping{}, Coupons: map[string]model.Coupon{}}
	stock := map[string]int{}
	for _, p := range products {
		c.Products[p.sku] = model.Product{Price: decimal.RequireFromString(p.price), Active: p.active}
		stock[p.sku] = p.stock
	}
	for country, pct := range taxRates {
		c.Tax[country] = decimal.RequireFromString(pct).Div(decimal.NewFromInt(100))
	}
	for _, s := range shippingRates {
		r := model.Shipping{Amount: decimal.RequireFromString(s.amount)}
		if s.freeAbove != "" {
			d := decimal.RequireFromString(s.freeAbove)
			r.FreeAbove = &d
		}
		c.Shipping[s.country] = r
	}
	for _, cp := range coupons {
		mc := model.Coupon{Code: cp.code, Percent: cp.kind == "percent", Value: decimal.RequireFromString(cp.value),
			Limit: cp.limit, Inactive: !cp.active}
		if cp.minSubtotal != "" {
			d := decimal.RequireFromString(cp.minSubtotal)
			mc.MinSubtotal = &d
		}
		c.Coupons[cp.code] = mc
	}
	return c, stock
}

// loadShop puts the shop into the server: the catalog and stock through the API, tax,
// shipping and coupons through the admin's Settings forms.
func loadShop(ctx context.Context, a *api, admin *staff) error {
	for _, p := range products {
		if ans := a.call(ctx, "PUT", "/api/v1/products/"+p.sku, map[string]any{"name": "Torture " + p.sku,
			"price": p.price, "currency": "USD", "active": p.active}); ans.status != http.StatusCreated {
			return fmt.Errorf("product %s: %v %s", p.sku, ans, ans.body)
		}
		if ans := a.call(ctx, "PUT", "/api/v1/inventory/"+p.sku, map[string]any{"on_hand": p.stock}); ans.status != http.StatusOK {
			return fmt.Errorf("stock of %s: %v %s", p.sku, ans, ans.body)
		}
	}
	settings := func(page string, fields url.Values) error {
		f, ans := admin.draw(ctx, page, page)
		if ans.status != http.StatusOK || ans.err != nil {
			return fmt.Errorf("draw %s: %v", page, ans)
		}
		if ans = admin.submit(ctx, f, fields); ans.status != http.StatusSeeOther {
			return fmt.Errorf("save %s %v: %v %.500s", page, fields, ans, ans.body)
		}
		return nil
	}
	for country, pct := range taxRates {
		if err := settings("/settings/tax", url.Values{"country": {country}, "rate": {pct}, "name": {"VAT " + country}}); err != nil {
			return err
		}
	}
	for _, s := range shippingRates {
		if err := settings("/settings/shipping", url.Values{"country": {s.country}, "currency": {"USD"}, "amount": {s.amount},
			"free_above": {s.freeAbove}, "name": {"Post " + s.country}}); err != nil {
			return err
		}
	}
	for _, cp := range coupons {
		f := url.Values{"code": {cp.code}, "kind": {cp.kind}, "value": {cp.value}, "min_subtotal": {cp.minSubtotal}}
		if cp.kind == "fixed" {
			f.Set("currency", "USD")
		}
		if cp.limit > 0 {
			f.Set("usage_limit", fmt.Sprint(cp.limit))
		}
		if cp.active {
			f.Set("active", "on")
		}
		if err := settings("/settings/coupons", f); err != nil {
			return err
		}
	}
	return nil
}
