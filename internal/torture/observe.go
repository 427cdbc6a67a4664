package torture

import (
	"encoding/json"
	"time"

	"github.com/oms/oms/internal/model"
)

// orderJSON is what the driver reads of the API's order object.
type orderJSON struct {
	ID                string    `json:"id"`
	OrderNumber       string    `json:"order_number"`
	Version           int64     `json:"version"`
	Status            string    `json:"status"`
	PaymentStatus     string    `json:"payment_status"`
	FulfillmentStatus string    `json:"fulfillment_status"`
	Subtotal          string    `json:"subtotal"`
	Discount          string    `json:"discount"`
	Shipping          string    `json:"shipping"`
	Tax               string    `json:"tax"`
	Total             string    `json:"total"`
	Paid              string    `json:"paid"`
	Refunded          string    `json:"refunded"`
	RefundPending     string    `json:"refund_pending"`
	CouponCode        *string   `json:"coupon_code"`
	CreatedAt         time.Time `json:"created_at"`
	Customer          struct {
		Email string `json:"email"`
	} `json:"customer"`
	ShippingAddress struct {
		Country string `json:"country"`
	} `json:"shipping_address"`
	Balance struct {
		Outstanding string `json:"outstanding"`
		RefundDue   string `json:"refund_due"`
	} `json:"balance"`
	Tags  []string                 `json:"tags"`
	Hold  *struct{ Reason string } `json:"hold"`
	Items []struct {
		ID                string `json:"id"`
		SKU               string `json:"sku"`
		Quantity          int    `json:"quantity"`
		UnitPrice         string `json:"unit_price"`
		Total             string `json:"total"`
		FulfilledQuantity int    `json:"fulfilled_quantity"`
		ReturnedQuantity  int    `json:"returned_quantity"`
	} `json:"items"`
	Payments []struct {
		ID      string `json:"id"`
		Gateway string `json:"gateway"`
		Amount  string `json:"amount"`
		Status  string `json:"status"`
	} `json:"payments"`
	Refunds []struct {
		ID     string `json:"id"`
		Amount string `json:"amount"`
		Status string `json:"status"`
	} `json:"refunds"`
	Fulfillments []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Items  []struct {
			OrderItemID string `json:"order_item_id"`
			Quantity    int    `json:"quantity"`
		} `json:"items"`
	} `json:"fulfillments"`
	Returns []struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		RefundAmount string `json:"refund_amount"`
		Restocked    bool   `json:"restocked"`
		Items        []struct {
			OrderItemID string `json:"order_item_id"`
			Quantity    int    `json:"quantity"`
		} `json:"items"`
	} `json:"returns"`
}

// readOrder reads an order object (alone, or as the "order" of a 412's body) into the
// model's view of it.
func readOrder(body []byte) (model.View, time.Time, error) {
	var o orderJSON
	if err := json.Unmarshal(body, &o); err != nil {
		return model.View{}, time.Time{}, err
	}
	v := model.View{ID: o.ID, Number: o.OrderNumber, Version: o.Version, Status: o.Status, PaymentStatus: o.PaymentStatus,
		FulfillmentStatus: o.FulfillmentStatus, Country: o.ShippingAddress.Country, Subtotal: o.Subtotal,
		Discount: o.Discount, Shipping: o.Shipping, Tax: o.Tax, Total: o.Total, Paid: o.Paid, Refunded: o.Refunded,
		RefundPending: o.RefundPending, Outstanding: o.Balance.Outstanding, RefundDue: o.Balance.RefundDue,
		Tags: o.Tags, Held: o.Hold != nil}
	if o.CouponCode != nil {
		v.Coupon = *o.CouponCode
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	for _, it := range o.Items {
		v.Lines = append(v.Lines, model.LineView{ID: it.ID, SKU: it.SKU, Qty: it.Quantity, UnitPrice: it.UnitPrice,
			Total: it.Total, Fulfilled: it.FulfilledQuantity, Returned: it.ReturnedQuantity})
	}
	for _, p := range o.Payments {
		v.Payments = append(v.Payments, model.PaymentView{ID: p.ID, Gateway: p.Gateway, Amount: p.Amount, Status: p.Status})
	}
	for _, r := range o.Refunds {
		v.Refunds = append(v.Refunds, model.RefundView{ID: r.ID, Amount: r.Amount, Status: r.Status})
	}
	for _, f := range o.Fulfillments {
		fv := model.FulfillmentView{ID: f.ID, Status: f.Status}
		for _, it := range f.Items {
			fv.Items = append(fv.Items, model.LineQty{Line: it.OrderItemID, Qty: it.Quantity})
		}
		v.Fulfillments = append(v.Fulfillments, fv)
	}
	for _, r := range o.Returns {
		rv := model.ReturnView{ID: r.ID, Status: r.Status, RefundAmount: r.RefundAmount, Restocked: r.Restocked}
		for _, it := range r.Items {
			rv.Items = append(rv.Items, model.LineQty{Line: it.OrderItemID, Qty: it.Quantity})
		}
		v.Returns = append(v.Returns, rv)
	}
	return v, o.CreatedAt, nil
}
