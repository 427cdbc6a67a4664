package domain

import (
	"regexp"
	"time"

	"github.com/shopspring/decimal"
)

var skuPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidSKU reports whether sku has the catalog's form: 1 to 64 letters, digits, '.', '_' or '-'.
func ValidSKU(sku string) bool { return skuPattern.MatchString(sku) }

// Product is a catalog entry. SalePrice, when set, is what orders charge.
type Product struct {
	SKU       string
	Name      string
	Price     decimal.Decimal
	SalePrice decimal.NullDecimal
	Currency  string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EffectivePrice is the unit price an order pays: the sale price when there is one.
func (p Product) EffectivePrice() decimal.Decimal {
	if p.SalePrice.Valid {
		return p.SalePrice.Decimal
	}
	return p.Price
}

// Validate checks a product as written by PUT /products/{sku}.
func (p Product) Validate() error {
	fe := FieldErrors{}
	if !ValidSKU(p.SKU) {
		fe.Add("sku", "must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	validateText(fe, "name", p.Name, 255, true)
	if !KnownCurrency(p.Currency) {
		fe.Add("currency", "must be a supported ISO 4217 code such as USD")
	}
	validateMoney(fe, "price", p.Price, p.Currency)
	if p.SalePrice.Valid {
		validateMoney(fe, "sale_price", p.SalePrice.Decimal, p.Currency)
	}
	return fe.Err()
}

// Inventory is a SKU's stock. Available is what new orders may still reserve.
type Inventory struct {
	SKU      string
	OnHand   int
	Reserved int
}

// Available is on hand minus reserved.
func (i Inventory) Available() int { return i.OnHand - i.Reserved }

// MaxStock bounds stock levels so arithmetic on them never overflows int32 columns.
const MaxStock = 1_000_000_000

func validateMoney(fe FieldErrors, field string, amount decimal.Decimal, currency string) {
	switch {
	case amount.IsNegative():
		fe.Add(field, "must not be negative")
	case amount.GreaterThanOrEqual(maxMoney):
		fe.Add(field, "is too large")
	case KnownCurrency(currency) && !HasMinorUnits(amount, currency):
		fe.Add(field, "has more decimals than "+currency+" allows")
	}
}

// maxMoney keeps amounts inside NUMERIC(19,4).
var maxMoney = decimal.New(1, 14)
