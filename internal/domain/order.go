package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Order limits from the contract.
const (
	MaxOrderLines     = 100
	MaxLineQuantity   = 1000
	MaxIdempotencyKey = 255
)

// Customer is who placed the order.
type Customer struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Address1   string `json:"address1"`
	Address2   string `json:"address2"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Phone      string `json:"phone"`
}

// ItemRequest is one line as a client asks for it: a SKU and a quantity, never a price.
type ItemRequest struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// NewOrder is a request to create an order.
type NewOrder struct {
	Customer        Customer      `json:"customer"`
	ShippingAddress Address       `json:"shipping_address"`
	BillingAddress  *Address      `json:"billing_address"` // nil: same as shipping
	Items           []ItemRequest `json:"items"`
	CouponCode      string        `json:"coupon_code"`
	Notes           string        `json:"notes"`
	Source          string        `json:"source"`
	// A manual discount is for staff-made orders only (/orders/new): the API cannot send it.
	ManualDiscount       decimal.Decimal `json:"-"`
	ManualDiscountReason string          `json:"-"`
}

// Normalize trims whitespace, upper-cases codes and fills the billing address.
func (o *NewOrder) Normalize() {
	o.Customer.normalize()
	o.ShippingAddress.normalize()
	if o.BillingAddress == nil {
		b := o.ShippingAddress
		o.BillingAddress = &b
	} else {
		o.BillingAddress.normalize()
	}
	for i := range o.Items {
		o.Items[i].SKU = strings.TrimSpace(o.Items[i].SKU)
	}
	o.CouponCode = strings.ToUpper(strings.TrimSpace(o.CouponCode))
	o.Source = strings.TrimSpace(o.Source)
	o.ManualDiscountReason = strings.TrimSpace(o.ManualDiscountReason)
}

func (c *Customer) normalize() {
	c.Email = strings.TrimSpace(c.Email)
	c.Name = strings.TrimSpace(c.Name)
	c.Phone = strings.TrimSpace(c.Phone)
}

func (a *Address) normalize() {
	for _, f := range []*string{&a.FirstName, &a.LastName, &a.Address1, &a.Address2, &a.City, &a.Region, &a.PostalCode, &a.Phone} {
		*f = strings.TrimSpace(*f)
	}
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	a.Region = strings.ToUpper(a.Region)
}

// Validate checks everything about a new order that needs no database; field names are
// the request's JSON paths.
func (o *NewOrder) Validate() error {
	fe := FieldErrors{}
	o.Customer.validate(fe, "customer")
	o.ShippingAddress.validate(fe, "shipping_address")
	if o.BillingAddress != nil {
		o.BillingAddress.validate(fe, "billing_address")
	}
	o.validatePricing(fe)
	if o.ManualDiscount.IsPositive() && o.ManualDiscountReason == "" {
		fe.Add("manual_discount_reason", "is required with a manual discount")
	}
	validateText(fe, "notes", o.Notes, MaxNote, false)
	validateText(fe, "source", o.Source, 64, false)
	return fe.Err()
}

// ValidatePricing checks what pricing a new order needs (its lines, coupon code and
// manual discount), so that an order being typed in can be priced before it is complete
// (the discount's reason may come after its amount).
func (o *NewOrder) ValidatePricing() error {
	fe := FieldErrors{}
	o.validatePricing(fe)
	return fe.Err()
}

func (o *NewOrder) validatePricing(fe FieldErrors) {
	switch {
	case len(o.Items) == 0:
		fe.Add("items", "must have at least one line")
	case len(o.Items) > MaxOrderLines:
		fe.Add("items", fmt.Sprintf("must have at most %d lines", MaxOrderLines))
	}
	for i, it := range o.Items {
		if len(o.Items) > MaxOrderLines {
			break
		}
		it.validate(fe, fmt.Sprintf("items[%d]", i))
	}
	validateText(fe, "coupon_code", o.CouponCode, 64, false)
	o.validateManualDiscount(fe)
}

// maxManualDiscount bounds a typed discount (it is capped by the subtotal anyway).
var maxManualDiscount = decimal.New(1, 12)

func (o *NewOrder) validateManualDiscount(fe FieldErrors) {
	if o.ManualDiscount.IsNegative() || o.ManualDiscount.GreaterThan(maxManualDiscount) {
		fe.Add("manual_discount", "must be an amount from 0")
	}
	validateText(fe, "manual_discount_reason", o.ManualDiscountReason, MaxNote, false)
}

func (it ItemRequest) validate(fe FieldErrors, prefix string) {
	if it.SKU == "" {
		fe.Add(prefix+".sku", "is required")
	} else if !ValidSKU(it.SKU) {
		fe.Add(prefix+".sku", "is not a valid SKU")
	}
	if it.Quantity < 1 || it.Quantity > MaxLineQuantity {
		fe.Add(prefix+".quantity", fmt.Sprintf("must be between 1 and %d", MaxLineQuantity))
	}
}

func (c Customer) validate(fe FieldErrors, prefix string) {
	ValidateEmail(fe, prefix+".email", c.Email)
	validateText(fe, prefix+".name", c.Name, MaxName, false)
	validatePhone(fe, prefix+".phone", c.Phone)
}

func (a Address) validate(fe FieldErrors, prefix string) {
	validateText(fe, prefix+".first_name", a.FirstName, MaxName, true)
	validateText(fe, prefix+".last_name", a.LastName, MaxName, true)
	validateText(fe, prefix+".address1", a.Address1, MaxName, true)
	validateText(fe, prefix+".address2", a.Address2, MaxName, false)
	validateText(fe, prefix+".city", a.City, MaxName, true)
	validateText(fe, prefix+".region", a.Region, MaxName, false)
	validateText(fe, prefix+".postal_code", a.PostalCode, 32, false)
	validatePhone(fe, prefix+".phone", a.Phone)
	switch {
	case a.Country == "":
		fe.Add(prefix+".country", "is required")
	case !ValidCountry(a.Country):
		fe.Add(prefix+".country", "must be an ISO 3166-1 alpha-2 code such as US")
	}
}

func validatePhone(fe FieldErrors, field, s string) {
	if s == "" {
		return
	}
	if len(s) > 32 || strings.Trim(s, "+0123456789 ()-.") != "" {
		fe.Add(field, "must be a phone number (digits, spaces, + ( ) - .), at most 32 characters")
	}
}

// Order is an order with everything that hangs off it.
type Order struct {
	ID                   string
	Number               string
	Version              int64 // 1 when created, one more with each change (versions.go)
	Status               Status
	PaymentStatus        PaymentStatus
	FulfillmentStatus    FulfillmentStatus
	Currency             string
	Subtotal             decimal.Decimal
	Discount             decimal.Decimal
	Shipping             decimal.Decimal
	Tax                  decimal.Decimal
	Total                decimal.Decimal
	Paid                 decimal.Decimal
	Refunded             decimal.Decimal // succeeded refunds only
	RefundPending        decimal.Decimal // refunds on their way back: they count against Refundable
	Customer             Customer
	ShippingAddress      Address
	BillingAddress       Address
	Notes                string
	Source               string
	CouponCode           string
	ManualDiscount       decimal.Decimal // staff's part of Discount (a staff-made order)
	ManualDiscountReason string          // why staff gave ManualDiscount
	ItemCount            int
	Tags                 []string // sorted; never nil when read
	Hold                 *Hold    // nil: not on hold
	Items                []OrderItem
	Payments             []Payment
	Refunds              []Refund
	Fulfillments         []Fulfillment
	Returns              []Return
	History              []HistoryEntry
	CreatedAt            time.Time
	UpdatedAt            time.Time
	PaidAt               *time.Time
	ShippedAt            *time.Time
	DeliveredAt          *time.Time
	CancelledAt          *time.Time
	// ShipBy is the shipping deadline of a paid order not yet shipped, when the shop has
	// deadlines (see deadlines.go); nil otherwise.
	ShipBy *time.Time
}

// Late tells whether the order's shipping deadline passed before now.
func (o Order) Late(now time.Time) bool { return o.ShipBy != nil && o.ShipBy.Before(now) }

// Refundable is what may still be given back: paid less refunded (the service checks it
// again under the order's lock).
func (o Order) Refundable() decimal.Decimal { return o.Paid.Sub(o.Refunded).Sub(o.RefundPending) }

// FulfillmentByID, ReturnByID and RefundByID find one of the order's by its id; nil when
// the order has none with that id.
func (o *Order) FulfillmentByID(id string) *Fulfillment {
	return byID(o.Fulfillments, id, func(f *Fulfillment) string { return f.ID })
}

func (o *Order) ReturnByID(id string) *Return {
	return byID(o.Returns, id, func(r *Return) string { return r.ID })
}

func (o *Order) RefundByID(id string) *Refund {
	return byID(o.Refunds, id, func(r *Refund) string { return r.ID })
}

func byID[T any](xs []T, id string, idOf func(*T) string) *T {
	for i := range xs {
		if idOf(&xs[i]) == id {
			return &xs[i]
		}
	}
	return nil
}

// Unshipped is how many units are not yet shipped: what a cancellation puts back.
func (o Order) Unshipped() int {
	n := 0
	for _, it := range o.Items {
		n += it.Quantity - it.FulfilledQuantity
	}
	return n
}

// OrderItem is one line of an order, priced when the order was placed.
type OrderItem struct {
	ID                string
	SKU               string
	Name              string
	Quantity          int
	UnitPrice         decimal.Decimal
	Total             decimal.Decimal
	FulfilledQuantity int
	ReturnedQuantity  int
}

// Payment is money received (or attempted) through a gateway.
type Payment struct {
	ID        string
	Gateway   string
	Amount    decimal.Decimal
	Currency  string // the order's, except money received in another (unapplied, never booked)
	Status    string // pending, completed, failed, canceled, or unapplied (not counted)
	Reference string
	Attention string // why staff should look at it; empty when nothing is asked of them
	CreatedAt time.Time
}

// Refund is money given back.
type Refund struct {
	ID        string
	Amount    decimal.Decimal
	Reason    string
	Status    string // pending (at the gateway), succeeded or failed
	Failure   string // why it failed
	PaymentID string
	ReturnID  string
	CreatedAt time.Time
}

// Fulfillment is one shipment of some of an order's items.
type Fulfillment struct {
	ID             string
	Carrier        string
	TrackingNumber string
	TrackingURL    string
	Status         string
	Items          []LineQuantity
	Events         []TrackingEvent
	CreatedAt      time.Time
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
}

// TrackingEvent is a carrier's scan of a shipment.
type TrackingEvent struct {
	Status      string
	Description string
	At          time.Time
}

// LineQuantity is a quantity of one order line, with an optional reason (returns).
type LineQuantity struct {
	OrderItemID string
	Quantity    int
	Reason      string
}

// Return is a customer's request to send items back.
type Return struct {
	ID           string
	Status       string
	Reason       string
	Note         string
	RefundAmount decimal.Decimal
	Restocked    bool
	Items        []LineQuantity
	CreatedAt    time.Time
	ProcessedAt  *time.Time
	ReceivedAt   *time.Time
}

// HistoryEntry is one recorded change of an order.
type HistoryEntry struct {
	Kind      HistoryKind
	Status    string
	Note      string
	Actor     string
	ActorType ActorType
	At        time.Time
	Version   int64 // the order's version this change made; 0: not a change (an email's delivery)
}

// LineSummary is what an order holds in one line, as exports write it and the order
// keeps it: "TEE-M x2; MUG x1", in line order.
func LineSummary(items []OrderItem) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(it.SKU)
		b.WriteString(" x")
		b.WriteString(strconv.Itoa(it.Quantity))
	}
	return b.String()
}
