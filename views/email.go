package views

import (
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// EmailTotal is one line under an email's items: subtotal, discount, shipping, tax, total.
type EmailTotal struct {
	Label  string
	Amount string // with its currency
	Grand  bool   // the total, in bold
}

// EmailTotals are an order's totals as its emails list them (both parts), leaving out a
// discount of nothing.
func EmailTotals(o domain.Order) []EmailTotal {
	amount := func(d decimal.Decimal) string { return domain.FormatAmount(d, o.Currency) + " " + o.Currency }
	out := []EmailTotal{{Label: "Subtotal", Amount: amount(o.Subtotal)}}
	if o.Discount.IsPositive() {
		out = append(out, EmailTotal{Label: "Discount", Amount: "-" + amount(o.Discount)})
	}
	return append(out,
		EmailTotal{Label: "Shipping", Amount: amount(o.Shipping)},
		EmailTotal{Label: "Tax", Amount: amount(o.Tax)},
		EmailTotal{Label: "Total", Amount: amount(o.Total), Grand: true})
}

func totalStyle(grand bool) string {
	if grand {
		return "padding:6px 0;font-weight:700;border-top:1px solid #e5e7eb;"
	}
	return "padding:2px 0;color:#4b5563;"
}
