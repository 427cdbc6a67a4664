package service

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// GetOrder returns the order with the given id (UUID) or order number, with everything
// that hangs off it.
func (s *Service) GetOrder(ctx context.Context, idOrNumber string) (domain.Order, error) {
	return s.getOrder(ctx, queries.New(s.pool), idOrNumber)
}

func (s *Service) getOrder(ctx context.Context, q *queries.Queries, idOrNumber string) (domain.Order, error) {
	row, err := findOrder(ctx, q, idOrNumber)
	if err != nil {
		return domain.Order{}, err
	}
	orders, err := loadOrders(ctx, q, []queries.Order{row})
	if err != nil {
		return domain.Order{}, err
	}
	return orders[0], nil
}

// findOrder reads the order row by UUID or by order number.
func findOrder(ctx context.Context, q *queries.Queries, idOrNumber string) (queries.Order, error) {
	var row queries.Order
	var err error
	if id, perr := uuid.Parse(idOrNumber); perr == nil {
		row, err = q.GetOrderByID(ctx, id)
	} else {
		row, err = q.GetOrderByNumber(ctx, idOrNumber)
	}
	if err != nil {
		return queries.Order{}, notFound(err, "order")
	}
	return row, nil
}

// resolveOrderID turns an id or order number into the order's UUID.
func resolveOrderID(ctx context.Context, q *queries.Queries, idOrNumber string) (uuid.UUID, error) {
	if id, err := uuid.Parse(idOrNumber); err == nil {
		return id, nil
	}
	row, err := q.GetOrderByNumber(ctx, idOrNumber)
	if err != nil {
		return uuid.Nil, notFound(err, "order")
	}
	return row.ID, nil
}

// loadOrders turns order rows into full orders, reading the child tables for all of
// them in one round trip (so a page of 200 orders costs the same as one order).
func loadOrders(ctx context.Context, q *queries.Queries, rows []queries.Order) ([]domain.Order, error) {
	ids := make([]uuid.UUID, len(rows))
	out := make([]domain.Order, len(rows))
	index := make(map[uuid.UUID]*domain.Order, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		o, err := orderFromRow(r)
		if err != nil {
			return nil, err
		}
		out[i] = o
		index[r.ID] = &out[i]
	}
	if len(rows) == 0 {
		return out, nil
	}
	d, err := q.OrderDetails(ctx, ids)
	if err != nil {
		return nil, err
	}
	attachItems(d.Items, index)
	for _, p := range d.Payments {
		o := index[p.OrderID]
		o.Payments = append(o.Payments, paymentFromRow(p))
	}
	for _, r := range d.Refunds {
		o := index[r.OrderID]
		o.Refunds = append(o.Refunds, refundFromRow(r))
	}
	attachFulfillments(d, index)
	attachReturns(d, index)
	for _, h := range d.History {
		o := index[h.OrderID]
		e := domain.HistoryEntry{Kind: domain.HistoryKind(h.Kind), Status: h.Status, Note: h.Note,
			Actor: h.Actor, ActorType: domain.ActorType(h.ActorType), At: h.CreatedAt}
		if h.Version != nil {
			e.Version = *h.Version
		}
		o.History = append(o.History, e)
	}
	return out, nil
}

// ordersFromRows converts order rows alone (no children).
func ordersFromRows(rows []queries.Order) ([]domain.Order, error) {
	out := make([]domain.Order, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = orderFromRow(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadOrderLines turns order rows into orders with their lines, and nothing else.
func loadOrderLines(ctx context.Context, q *queries.Queries, rows []queries.Order) ([]domain.Order, error) {
	out, err := ordersFromRows(rows)
	if err != nil || len(rows) == 0 {
		return out, err
	}
	ids := make([]uuid.UUID, len(rows))
	index := make(map[uuid.UUID]*domain.Order, len(rows))
	for i, r := range rows {
		ids[i], index[r.ID] = r.ID, &out[i]
	}
	items, err := q.ListItemsForOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load lines: %w", err)
	}
	attachItems(items, index)
	return out, nil
}

func attachItems(items []queries.OrderItem, index map[uuid.UUID]*domain.Order) {
	for _, it := range items {
		o := index[it.OrderID]
		o.Items = append(o.Items, domain.OrderItem{ID: it.ID.String(), SKU: it.Sku, Name: it.Name,
			Quantity: int(it.Quantity), UnitPrice: it.UnitPrice, Total: it.Total,
			FulfilledQuantity: int(it.FulfilledQuantity), ReturnedQuantity: int(it.ReturnedQuantity)})
	}
}

func attachFulfillments(d queries.OrderDetails, index map[uuid.UUID]*domain.Order) {
	for _, f := range d.Fulfillments {
		o := index[f.OrderID]
		shipped := f.ShippedAt
		o.Fulfillments = append(o.Fulfillments, domain.Fulfillment{ID: f.ID.String(), Carrier: f.Carrier,
			TrackingNumber: f.TrackingNumber, TrackingURL: f.TrackingUrl, Status: f.Status,
			CreatedAt: f.CreatedAt, ShippedAt: &shipped, DeliveredAt: f.DeliveredAt})
	}
	// Pointers are taken only after every append, so they stay valid.
	byID := map[uuid.UUID]*domain.Fulfillment{}
	for _, o := range index {
		for i := range o.Fulfillments {
			byID[uuid.MustParse(o.Fulfillments[i].ID)] = &o.Fulfillments[i]
		}
	}
	for _, it := range d.FulfillmentItems {
		if f := byID[it.FulfillmentID]; f != nil {
			f.Items = append(f.Items, domain.LineQuantity{OrderItemID: it.OrderItemID.String(), Quantity: int(it.Quantity)})
		}
	}
	for _, e := range d.Events {
		if f := byID[e.FulfillmentID]; f != nil {
			f.Events = append(f.Events, domain.TrackingEvent{Status: e.Status, Description: e.Description, At: e.At})
		}
	}
}

func attachReturns(d queries.OrderDetails, index map[uuid.UUID]*domain.Order) {
	for _, r := range d.Returns {
		o := index[r.OrderID]
		o.Returns = append(o.Returns, domain.Return{ID: r.ID.String(), Status: r.Status, Reason: r.Reason,
			Note: r.Note, RefundAmount: r.RefundAmount, Restocked: r.Restocked, CreatedAt: r.CreatedAt,
			ProcessedAt: r.ProcessedAt, ReceivedAt: r.ReceivedAt})
	}
	byID := map[uuid.UUID]*domain.Return{}
	for _, o := range index {
		for i := range o.Returns {
			byID[uuid.MustParse(o.Returns[i].ID)] = &o.Returns[i]
		}
	}
	for _, it := range d.ReturnItems {
		if r := byID[it.ReturnID]; r != nil {
			r.Items = append(r.Items, domain.LineQuantity{OrderItemID: it.OrderItemID.String(), Quantity: int(it.Quantity), Reason: it.Reason})
		}
	}
}

// orderFromRow converts the order row alone (no children).
func orderFromRow(r queries.Order) (domain.Order, error) {
	o := domain.Order{
		ID: r.ID.String(), Number: r.OrderNumber, Version: r.Version, Status: domain.Status(r.Status),
		PaymentStatus: domain.PaymentStatus(r.PaymentStatus), FulfillmentStatus: domain.FulfillmentStatus(r.FulfillmentStatus),
		Currency: r.Currency, Subtotal: r.Subtotal, Discount: r.Discount, Shipping: r.Shipping, Tax: r.Tax,
		Total: r.Total, Paid: r.Paid, Refunded: r.Refunded, RefundPending: r.RefundPending,
		Customer: domain.Customer{Email: r.CustomerEmail, Name: r.CustomerName, Phone: r.CustomerPhone},
		Notes:    r.Notes, Source: r.Source, ItemCount: int(r.ItemCount),
		ManualDiscount: r.ManualDiscount, ManualDiscountReason: r.ManualDiscountReason,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, PaidAt: r.PaidAt, ShippedAt: r.ShippedAt,
		DeliveredAt: r.DeliveredAt, CancelledAt: r.CancelledAt,
	}
	if r.CouponCode != nil {
		o.CouponCode = *r.CouponCode
	}
	o.Tags = r.Tags
	if o.Tags == nil {
		o.Tags = []string{}
	}
	if r.HoldReason != nil && r.HeldBy != nil && r.HeldAt != nil {
		o.Hold = &domain.Hold{Reason: *r.HoldReason, By: *r.HeldBy, At: *r.HeldAt}
		if r.HeldByRole != nil {
			o.Hold.ByRole = *r.HeldByRole
		}
	}
	if domain.HasDeadline(o.Status) {
		o.ShipBy = r.ShipBy
	}
	if err := decodeAddress(r.ShippingAddress, &o.ShippingAddress); err != nil {
		return domain.Order{}, fmt.Errorf("order %s shipping address: %w", r.OrderNumber, err)
	}
	if err := decodeAddress(r.BillingAddress, &o.BillingAddress); err != nil {
		return domain.Order{}, fmt.Errorf("order %s billing address: %w", r.OrderNumber, err)
	}
	return o, nil
}

// decodeAddress reads a stored address: a flat JSON object of strings, which is read
// directly (two per order, hundreds per page, where encoding/json's reflection costs
// more than the rest of the row); anything else goes through encoding/json.
func decodeAddress(b []byte, a *domain.Address) error {
	// A key spelt otherwise (encoding/json matches any case) or bytes that are not UTF-8
	// (encoding/json replaces them) go the slow way, so both ways read alike.
	known := utf8.Valid(b)
	if known && flatStringObject(b, func(k, v string) {
		switch k {
		case "first_name":
			a.FirstName = v
		case "last_name":
			a.LastName = v
		case "address1":
			a.Address1 = v
		case "address2":
			a.Address2 = v
		case "city":
			a.City = v
		case "region":
			a.Region = v
		case "postal_code":
			a.PostalCode = v
		case "country":
			a.Country = v
		case "phone":
			a.Phone = v
		default:
			known = false
		}
	}) && known {
		return nil
	}
	*a = domain.Address{}
	return json.Unmarshal(b, a)
}

// flatStringObject calls set for each key and value of b, a JSON object whose values
// are all strings without escapes, and reports whether b was one.
func flatStringObject(b []byte, set func(k, v string)) bool {
	i := 0
	space := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
	}
	str := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		start := i + 1
		for i = start; i < len(b) && b[i] != '"'; i++ {
			if b[i] == '\\' || b[i] < 0x20 {
				return "", false
			}
		}
		if i >= len(b) {
			return "", false
		}
		i++
		return string(b[start : i-1]), true
	}
	space()
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i++
	for first := true; ; first = false {
		space()
		if i < len(b) && b[i] == '}' {
			i++
			space()
			return i == len(b)
		}
		if !first {
			if i >= len(b) || b[i] != ',' {
				return false
			}
			i++
			space()
		}
		k, ok := str()
		space()
		if !ok || i >= len(b) || b[i] != ':' {
			return false
		}
		i++
		space()
		v, ok := str()
		if !ok {
			return false
		}
		set(k, v)
	}
}
