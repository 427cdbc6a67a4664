package queries

// Hand-written: the child rows of some orders in one round trip, with the statements
// sqlc generated from orders_read.sql.

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OrderDetails is everything that hangs off some orders.
type OrderDetails struct {
	Items            []OrderItem
	Payments         []Payment
	Refunds          []Refund
	Fulfillments     []Fulfillment
	FulfillmentItems []FulfillmentItem
	Events           []FulfillmentEvent
	Returns          []Return
	ReturnItems      []ReturnItem
	History          []OrderHistory
}

// OrderDetails reads the children of the orders ids: the nine List...ForOrders queries,
// sent as pipelined batches and planned generically (they look rows up by order id, so
// no plan depends on which orders): one round trip instead of nine, and no planning per
// page, which together cost more than the reads themselves. On a pool the history (the
// most rows) and the other tables go out on two connections at once, so that
// PostgreSQL reads them in parallel; in a transaction, both batches run in it.
func (q *Queries) OrderDetails(ctx context.Context, ids []uuid.UUID) (OrderDetails, error) {
	var d OrderDetails
	db, ok := q.db.(Batcher)
	if !ok {
		return d, fmt.Errorf("read order details: %T cannot send batches", q.db)
	}
	history, rest := genericBatch(), genericBatch()
	queueRows(rest, listItemsForOrders, ids, &d.Items, func(r *OrderItem) []any {
		return []any{&r.ID, &r.OrderID, &r.Position, &r.Sku, &r.Name, &r.Quantity, &r.UnitPrice, &r.Total,
			&r.FulfilledQuantity, &r.ReturnedQuantity}
	})
	queueRows(rest, listPaymentsForOrders, ids, &d.Payments, func(r *Payment) []any {
		return []any{&r.ID, &r.OrderID, &r.Gateway, &r.Amount, &r.Currency, &r.Status, &r.Reference, &r.ExternalID,
			&r.CreatedAt, &r.UpdatedAt, &r.Attention, &r.ClientSecret, &r.GatewayCallUntil}
	})
	queueRows(rest, listRefundsForOrders, ids, &d.Refunds, func(r *Refund) []any {
		return []any{&r.ID, &r.OrderID, &r.PaymentID, &r.ReturnID, &r.Amount, &r.Reason, &r.Status, &r.Reference, &r.CreatedAt,
			&r.Failure, &r.UpdatedAt}
	})
	queueRows(rest, listFulfillmentsForOrders, ids, &d.Fulfillments, func(r *Fulfillment) []any {
		return []any{&r.ID, &r.OrderID, &r.Carrier, &r.TrackingNumber, &r.TrackingUrl, &r.Status, &r.NotifyCustomer,
			&r.CreatedAt, &r.ShippedAt, &r.DeliveredAt}
	})
	queueRows(rest, listFulfillmentItemsForOrders, ids, &d.FulfillmentItems, func(r *FulfillmentItem) []any {
		return []any{&r.FulfillmentID, &r.OrderItemID, &r.Quantity}
	})
	queueRows(rest, listFulfillmentEventsForOrders, ids, &d.Events, func(r *FulfillmentEvent) []any {
		return []any{&r.ID, &r.FulfillmentID, &r.Status, &r.Description, &r.At, &r.CreatedAt}
	})
	queueRows(rest, listReturnsForOrders, ids, &d.Returns, func(r *Return) []any {
		return []any{&r.ID, &r.OrderID, &r.Status, &r.Reason, &r.RefundAmount, &r.Note, &r.Restocked, &r.CreatedAt,
			&r.ProcessedAt, &r.ReceivedAt}
	})
	queueRows(rest, listReturnItemsForOrders, ids, &d.ReturnItems, func(r *ReturnItem) []any {
		return []any{&r.ReturnID, &r.OrderItemID, &r.Quantity, &r.Reason}
	})
	queueRows(history, listHistoryForOrders, ids, &d.History, func(r *OrderHistory) []any {
		return []any{&r.ID, &r.OrderID, &r.Kind, &r.Status, &r.Note, &r.Actor, &r.ActorType, &r.CreatedAt, &r.Version, &r.ActorEmail}
	})
	var err error
	if _, onPool := db.(*pgxpool.Pool); onPool {
		done := make(chan error, 1)
		go func() { done <- sendBatch(ctx, db, history) }()
		err = errors.Join(sendBatch(ctx, db, rest), <-done)
	} else {
		err = errors.Join(sendBatch(ctx, db, rest), sendBatch(ctx, db, history))
	}
	if err != nil {
		return OrderDetails{}, fmt.Errorf("read order details: %w", err)
	}
	return d, nil
}

// genericBatch starts a batch whose statements are planned generically.
func genericBatch() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue("SET plan_cache_mode = force_generic_plan")
	return b
}

// sendBatch ends a genericBatch and runs it. An error aborts the batch's implicit
// transaction, which undoes the SET too.
func sendBatch(ctx context.Context, db Batcher, b *pgx.Batch) error {
	b.Queue("RESET plan_cache_mode")
	return db.SendBatch(ctx, b).Close()
}

// queueRows queues sql and collects its rows into dst; fields lists a row's scan
// destinations in column order (the columns sqlc generated the row type from).
func queueRows[T any](b *pgx.Batch, sql string, ids []uuid.UUID, dst *[]T, fields func(*T) []any) {
	b.Queue(sql, ids).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var r T
			if err := rows.Scan(fields(&r)...); err != nil {
				return err
			}
			*dst = append(*dst, r)
		}
		return rows.Err()
	})
}
