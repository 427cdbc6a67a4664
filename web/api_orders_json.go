package web

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// The API's order object; every endpoint that answers an order gives all of it.
type orderJSON struct {
	ID                string            `json:"id"`
	OrderNumber       string            `json:"order_number"`
	Version           int64             `json:"version"`
	Status            string            `json:"status"`
	PaymentStatus     string            `json:"payment_status"`
	FulfillmentStatus string            `json:"fulfillment_status"`
	Currency          string            `json:"currency"`
	Subtotal          string            `json:"subtotal"`
	Discount          string            `json:"discount"`
	ManualDiscount    string            `json:"manual_discount"`
	Shipping          string            `json:"shipping"`
	Tax               string            `json:"tax"`
	Total             string            `json:"total"`
	Paid              string            `json:"paid"`
	Refunded          string            `json:"refunded"`
	RefundPending     string            `json:"refund_pending"`
	Customer          domain.Customer   `json:"customer"`
	ShippingAddress   domain.Address    `json:"shipping_address"`
	BillingAddress    domain.Address    `json:"billing_address"`
	Notes             string            `json:"notes"`
	Source            string            `json:"source"`
	CouponCode        *string           `json:"coupon_code"`
	Tags              []string          `json:"tags"`
	Hold              *holdJSON         `json:"hold"`
	Items             []itemJSON        `json:"items"`
	Payments          []paymentJSON     `json:"payments"`
	Refunds           []refundJSON      `json:"refunds"`
	Fulfillments      []fulfillmentJSON `json:"fulfillments"`
	Returns           []returnJSON      `json:"returns"`
	History           []historyJSON     `json:"history"`
	CreatedAt         apiTime           `json:"created_at"`
	UpdatedAt         apiTime           `json:"updated_at"`
	PaidAt            *apiTime          `json:"paid_at"`
	ShippedAt         *apiTime          `json:"shipped_at"`
	DeliveredAt       *apiTime          `json:"delivered_at"`
	CancelledAt       *apiTime          `json:"cancelled_at"`
	Balance           balanceJSON       `json:"balance"`
	// ShipBy is the shipping deadline of a paid order not yet shipped (null otherwise,
	// and when the shop has no deadlines).
	ShipBy *apiTime `json:"ship_by"`
}

// balanceJSON is what the order still owes (outstanding) or is owed back (refund_due),
// e.g. after an edit changed its total; both "0.00" when it is square.
type balanceJSON struct {
	Outstanding string `json:"outstanding"`
	RefundDue   string `json:"refund_due"`
}

type holdJSON struct {
	Reason string  `json:"reason"`
	By     string  `json:"by"`
	At     apiTime `json:"at"`
}

type itemJSON struct {
	ID                string `json:"id"`
	SKU               string `json:"sku"`
	Name              string `json:"name"`
	Quantity          int    `json:"quantity"`
	UnitPrice         string `json:"unit_price"`
	Total             string `json:"total"`
	FulfilledQuantity int    `json:"fulfilled_quantity"`
	ReturnedQuantity  int    `json:"returned_quantity"`
}

type paymentJSON struct {
	ID        string  `json:"id"`
	Gateway   string  `json:"gateway"`
	Amount    string  `json:"amount"`
	Currency  string  `json:"currency"`
	Status    string  `json:"status"`
	Reference string  `json:"reference"`
	Attention string  `json:"attention,omitempty"`
	CreatedAt apiTime `json:"created_at"`
}

type refundJSON struct {
	ID        string  `json:"id"`
	Amount    string  `json:"amount"`
	Reason    string  `json:"reason"`
	Status    string  `json:"status"`
	Failure   string  `json:"failure,omitempty"`
	CreatedAt apiTime `json:"created_at"`
}

func toPaymentJSON(p domain.Payment) paymentJSON {
	return paymentJSON{ID: p.ID, Gateway: p.Gateway, Amount: domain.FormatAmount(p.Amount, p.Currency), Currency: p.Currency,
		Status: p.Status, Reference: p.Reference, Attention: p.Attention, CreatedAt: apiTime(p.CreatedAt.UTC())}
}

func toRefundJSON(r domain.Refund, currency string) refundJSON {
	return refundJSON{ID: r.ID, Amount: domain.FormatAmount(r.Amount, currency), Reason: r.Reason, Status: r.Status,
		Failure: r.Failure, CreatedAt: apiTime(r.CreatedAt.UTC())}
}

type lineQuantityJSON struct {
	OrderItemID string `json:"order_item_id"`
	Quantity    int    `json:"quantity"`
}

type trackingEventJSON struct {
	Status      string  `json:"status"`
	Description string  `json:"description"`
	At          apiTime `json:"at"`
}

type fulfillmentJSON struct {
	ID             string              `json:"id"`
	Carrier        string              `json:"carrier"`
	TrackingNumber string              `json:"tracking_number"`
	TrackingURL    string              `json:"tracking_url"`
	Status         string              `json:"status"`
	Items          []lineQuantityJSON  `json:"items"`
	Events         []trackingEventJSON `json:"events"`
	CreatedAt      apiTime             `json:"created_at"`
	ShippedAt      *apiTime            `json:"shipped_at"`
	DeliveredAt    *apiTime            `json:"delivered_at"`
}

type returnItemJSON struct {
	OrderItemID string `json:"order_item_id"`
	Quantity    int    `json:"quantity"`
	Reason      string `json:"reason"`
}

type returnJSON struct {
	ID           string           `json:"id"`
	OrderID      string           `json:"order_id,omitempty"`
	Status       string           `json:"status"`
	Reason       string           `json:"reason"`
	Note         string           `json:"note"`
	RefundAmount string           `json:"refund_amount"`
	Restocked    bool             `json:"restocked"`
	Items        []returnItemJSON `json:"items"`
	CreatedAt    apiTime          `json:"created_at"`
	ProcessedAt  *apiTime         `json:"processed_at"`
	ReceivedAt   *apiTime         `json:"received_at"`
}

type historyJSON struct {
	Kind   string  `json:"kind"`
	Status string  `json:"status"`
	At     apiTime `json:"at"`
	By     string  `json:"by"`
	Note   string  `json:"note"`
}

func utcPtr(t *time.Time) *apiTime {
	if t == nil {
		return nil
	}
	u := apiTime(t.UTC())
	return &u
}

// apiTime is a time in the API's JSON: RFC 3339 in UTC, as time.Time writes it, but
// through MarshalText, which encoding/json takes without re-parsing the output (a list
// page holds hundreds of times).
type apiTime time.Time

func (t apiTime) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(make([]byte, 0, len(time.RFC3339Nano)), time.RFC3339Nano), nil
}

func (t *apiTime) UnmarshalText(b []byte) error {
	v, err := time.Parse(time.RFC3339Nano, string(b))
	*t = apiTime(v)
	return err
}

func toOrderJSON(o domain.Order) orderJSON {
	money := func(d decimal.Decimal) string { return domain.FormatAmount(d, o.Currency) }
	out := orderJSON{
		ID: o.ID, OrderNumber: o.Number, Version: o.Version, Status: string(o.Status), PaymentStatus: string(o.PaymentStatus),
		FulfillmentStatus: string(o.FulfillmentStatus), Currency: o.Currency,
		Subtotal: money(o.Subtotal), Discount: money(o.Discount), Shipping: money(o.Shipping), Tax: money(o.Tax),
		ManualDiscount: money(o.ManualDiscount), Total: money(o.Total), Paid: money(o.Paid), Refunded: money(o.Refunded), RefundPending: money(o.RefundPending),
		Customer: o.Customer, ShippingAddress: o.ShippingAddress, BillingAddress: o.BillingAddress,
		Notes: o.Notes, Source: o.Source,
		Items: []itemJSON{}, Payments: []paymentJSON{}, Refunds: []refundJSON{}, Fulfillments: []fulfillmentJSON{},
		Returns: []returnJSON{}, History: []historyJSON{},
		CreatedAt: apiTime(o.CreatedAt.UTC()), UpdatedAt: apiTime(o.UpdatedAt.UTC()), PaidAt: utcPtr(o.PaidAt),
		ShippedAt: utcPtr(o.ShippedAt), DeliveredAt: utcPtr(o.DeliveredAt), CancelledAt: utcPtr(o.CancelledAt),
		ShipBy: utcPtr(o.ShipBy),
	}
	b := o.Balance()
	out.Balance = balanceJSON{Outstanding: money(b.Outstanding), RefundDue: money(b.RefundDue)}
	if o.CouponCode != "" {
		out.CouponCode = &o.CouponCode
	}
	out.Tags = append([]string{}, o.Tags...)
	if o.Hold != nil {
		out.Hold = &holdJSON{Reason: o.Hold.Reason, By: o.Hold.By, At: apiTime(o.Hold.At.UTC())}
	}
	for _, it := range o.Items {
		out.Items = append(out.Items, itemJSON{ID: it.ID, SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			UnitPrice: money(it.UnitPrice), Total: money(it.Total), FulfilledQuantity: it.FulfilledQuantity,
			ReturnedQuantity: it.ReturnedQuantity})
	}
	for _, p := range o.Payments {
		out.Payments = append(out.Payments, toPaymentJSON(p))
	}
	for _, r := range o.Refunds {
		out.Refunds = append(out.Refunds, toRefundJSON(r, o.Currency))
	}
	for _, f := range o.Fulfillments {
		out.Fulfillments = append(out.Fulfillments, toFulfillmentJSON(f))
	}
	for _, r := range o.Returns {
		out.Returns = append(out.Returns, toReturnJSON(r, o.Currency))
	}
	for _, h := range o.History {
		out.History = append(out.History, historyJSON{Kind: string(h.Kind), Status: h.Status, At: apiTime(h.At.UTC()), By: h.Actor, Note: h.Note})
	}
	return out
}

func toFulfillmentJSON(f domain.Fulfillment) fulfillmentJSON {
	out := fulfillmentJSON{ID: f.ID, Carrier: f.Carrier, TrackingNumber: f.TrackingNumber, TrackingURL: f.TrackingURL,
		Status: f.Status, Items: []lineQuantityJSON{}, Events: []trackingEventJSON{}, CreatedAt: apiTime(f.CreatedAt.UTC()),
		ShippedAt: utcPtr(f.ShippedAt), DeliveredAt: utcPtr(f.DeliveredAt)}
	for _, it := range f.Items {
		out.Items = append(out.Items, lineQuantityJSON{OrderItemID: it.OrderItemID, Quantity: it.Quantity})
	}
	for _, e := range f.Events {
		out.Events = append(out.Events, trackingEventJSON{Status: e.Status, Description: e.Description, At: apiTime(e.At.UTC())})
	}
	return out
}

func toReturnJSON(r domain.Return, currency string) returnJSON {
	out := returnJSON{ID: r.ID, Status: r.Status, Reason: r.Reason, Note: r.Note,
		RefundAmount: domain.FormatAmount(r.RefundAmount, currency), Restocked: r.Restocked,
		Items: []returnItemJSON{}, CreatedAt: apiTime(r.CreatedAt.UTC()), ProcessedAt: utcPtr(r.ProcessedAt), ReceivedAt: utcPtr(r.ReceivedAt)}
	for _, it := range r.Items {
		out.Items = append(out.Items, returnItemJSON{OrderItemID: it.OrderItemID, Quantity: it.Quantity, Reason: it.Reason})
	}
	return out
}
