package service

import (
	"context"
	"encoding/json"
	"fmt"

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

// loadOrders turns order rows into full orders, reading each child table once for all of
// them (so a page of 200 orders costs the same number of queries as one).
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

	items, err := q.ListItemsForOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load items: %w", err)
	}
	for _, it := range items {
		o := index[it.OrderID]
		o.Items = append(o.Items, domain.OrderItem{ID: it.ID.String(), SKU: it.Sku, Name: it.Name,
			Quantity: int(it.Quantity), UnitPrice: it.UnitPrice, Total: it.Total,
			FulfilledQuantity: int(it.FulfilledQuantity), ReturnedQuantity: int(it.ReturnedQuantity)})
	}

	payments, err := q.ListPaymentsForOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load payments: %w", err)
	}
	for _, p := range payments {
		o := index[p.OrderID]
		o.Payments = append(o.Payments, domain.Payment{ID: p.ID.String(), Gateway: p.Gateway, Amount: p.Amount,
			Status: p.Status, Reference: p.Reference, CreatedAt: p.CreatedAt})
	}

	refunds, err := q.ListRefundsForOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load refunds: %w", err)
	}
	for _, r := range refunds {
		o := index[r.OrderID]
		ref := domain.Refund{ID: r.ID.String(), Amount: r.Amount, Reason: r.Reason, Status: r.Status, CreatedAt: r.CreatedAt}
		if r.PaymentID.Valid {
			ref.PaymentID = r.PaymentID.UUID.String()
		}
		if r.ReturnID.Valid {
			ref.ReturnID = r.ReturnID.UUID.String()
		}
		o.Refunds = append(o.Refunds, ref)
	}

	if err := loadFulfillments(ctx, q, ids, index); err != nil {
		return nil, err
	}
	if err := loadReturns(ctx, q, ids, index); err != nil {
		return nil, err
	}

	history, err := q.ListHistoryForOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	for _, h := range history {
		o := index[h.OrderID]
		o.History = append(o.History, domain.HistoryEntry{Kind: h.Kind, Status: h.Status, Note: h.Note,
			Actor: h.Actor, ActorType: domain.ActorType(h.ActorType), At: h.CreatedAt})
	}
	return out, nil
}

func loadFulfillments(ctx context.Context, q *queries.Queries, ids []uuid.UUID, index map[uuid.UUID]*domain.Order) error {
	rows, err := q.ListFulfillmentsForOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("load fulfillments: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	items, err := q.ListFulfillmentItemsForOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("load fulfillment items: %w", err)
	}
	events, err := q.ListFulfillmentEventsForOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("load tracking events: %w", err)
	}
	byID := map[uuid.UUID]*domain.Fulfillment{}
	for _, f := range rows {
		o := index[f.OrderID]
		shipped := f.ShippedAt
		o.Fulfillments = append(o.Fulfillments, domain.Fulfillment{ID: f.ID.String(), Carrier: f.Carrier,
			TrackingNumber: f.TrackingNumber, TrackingURL: f.TrackingUrl, Status: f.Status,
			CreatedAt: f.CreatedAt, ShippedAt: &shipped, DeliveredAt: f.DeliveredAt})
	}
	// Pointers are taken only after every append, so they stay valid.
	for _, o := range index {
		for i := range o.Fulfillments {
			byID[uuid.MustParse(o.Fulfillments[i].ID)] = &o.Fulfillments[i]
		}
	}
	for _, it := range items {
		if f := byID[it.FulfillmentID]; f != nil {
			f.Items = append(f.Items, domain.LineQuantity{OrderItemID: it.OrderItemID.String(), Quantity: int(it.Quantity)})
		}
	}
	for _, e := range events {
		if f := byID[e.FulfillmentID]; f != nil {
			f.Events = append(f.Events, domain.TrackingEvent{Status: e.Status, Description: e.Description, At: e.At})
		}
	}
	return nil
}

func loadReturns(ctx context.Context, q *queries.Queries, ids []uuid.UUID, index map[uuid.UUID]*domain.Order) error {
	rows, err := q.ListReturnsForOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("load returns: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	items, err := q.ListReturnItemsForOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("load return items: %w", err)
	}
	for _, r := range rows {
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
	for _, it := range items {
		if r := byID[it.ReturnID]; r != nil {
			r.Items = append(r.Items, domain.LineQuantity{OrderItemID: it.OrderItemID.String(), Quantity: int(it.Quantity), Reason: it.Reason})
		}
	}
	return nil
}

// orderFromRow converts the order row alone (no children).
func orderFromRow(r queries.Order) (domain.Order, error) {
	o := domain.Order{
		ID: r.ID.String(), Number: r.OrderNumber, Status: domain.Status(r.Status),
		PaymentStatus: domain.PaymentStatus(r.PaymentStatus), FulfillmentStatus: domain.FulfillmentStatus(r.FulfillmentStatus),
		Currency: r.Currency, Subtotal: r.Subtotal, Discount: r.Discount, Shipping: r.Shipping, Tax: r.Tax,
		Total: r.Total, Paid: r.Paid, Refunded: r.Refunded,
		Customer: domain.Customer{Email: r.CustomerEmail, Name: r.CustomerName, Phone: r.CustomerPhone},
		Notes:    r.Notes, Source: r.Source, ItemCount: int(r.ItemCount),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, PaidAt: r.PaidAt, ShippedAt: r.ShippedAt,
		DeliveredAt: r.DeliveredAt, CancelledAt: r.CancelledAt,
	}
	if r.CouponCode != nil {
		o.CouponCode = *r.CouponCode
	}
	if err := json.Unmarshal(r.ShippingAddress, &o.ShippingAddress); err != nil {
		return domain.Order{}, fmt.Errorf("order %s shipping address: %w", r.OrderNumber, err)
	}
	if err := json.Unmarshal(r.BillingAddress, &o.BillingAddress); err != nil {
		return domain.Order{}, fmt.Errorf("order %s billing address: %w", r.OrderNumber, err)
	}
	return o, nil
}
