package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/domain"
)

// batch is the rows of some orders, table by table, in the order they are copied.
type batch struct {
	orders   int
	tables   [len(copyTables)][][]any
	reserved map[string]int // units the batch's open orders hold, by SKU
}

// copyTables are the tables a batch fills, parents before children.
var copyTables = [...]struct {
	name string
	cols []string
}{
	{"orders", []string{"id", "order_number", "status", "payment_status", "fulfillment_status", "currency", "subtotal",
		"discount", "shipping", "tax", "total", "paid", "refunded", "customer_email", "customer_name", "customer_phone",
		"shipping_address", "billing_address", "notes", "source", "coupon_code", "coupon_id", "item_count", "line_summary",
		"created_at", "updated_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at", "tags", "hold_reason", "held_by",
		"held_by_role", "held_at"}},
	{"order_items", []string{"id", "order_id", "position", "sku", "name", "quantity", "unit_price", "total",
		"fulfilled_quantity", "returned_quantity"}},
	{"payments", []string{"id", "order_id", "gateway", "amount", "currency", "status", "reference", "created_at", "updated_at"}},
	{"returns", []string{"id", "order_id", "status", "reason", "refund_amount", "note", "restocked", "created_at",
		"processed_at", "received_at"}},
	{"return_items", []string{"return_id", "order_item_id", "quantity", "reason"}},
	{"refunds", []string{"id", "order_id", "payment_id", "return_id", "amount", "reason", "status", "reference", "created_at"}},
	{"refund_allocations", []string{"refund_id", "payment_id", "amount", "external_id", "status"}},
	{"fulfillments", []string{"id", "order_id", "carrier", "tracking_number", "tracking_url", "status", "notify_customer",
		"created_at", "shipped_at", "delivered_at"}},
	{"fulfillment_items", []string{"fulfillment_id", "order_item_id", "quantity"}},
	{"fulfillment_events", []string{"id", "fulfillment_id", "status", "description", "at", "created_at"}},
	{"inventory_reservations", []string{"id", "order_id", "order_item_id", "sku", "quantity", "status", "created_at", "updated_at"}},
	{"order_history", []string{"order_id", "kind", "status", "note", "actor", "actor_type", "created_at"}},
}

const (
	tOrders = iota
	tItems
	tPayments
	tReturns
	tReturnItems
	tRefunds
	tAllocations
	tFulfillments
	tFulfillmentItems
	tEvents
	tReservations
	tHistory
)

func (b *batch) add(o *order) {
	fulfilled := 0
	summary := make([]domain.OrderItem, len(o.lines))
	for i, l := range o.lines {
		b.tables[tItems] = append(b.tables[tItems], []any{l.id, o.id, i + 1, l.sku, l.name, l.qty, l.unit, l.total, l.fulfilled, l.returned})
		fulfilled += l.fulfilled
		summary[i] = domain.OrderItem{SKU: l.sku, Quantity: l.qty}
	}
	var couponCode *string
	couponID := noID
	if o.coupon {
		couponID = o.couponID
	}
	if o.coupon {
		couponCode = &o.couponCode
	}
	var holdReason, heldBy, heldByRole *string
	var heldAt *time.Time
	if h := o.hold; h != nil {
		holdReason, heldBy, heldByRole, heldAt = &h.Reason, &h.By, &h.ByRole, &h.At
	}
	t := o.totals
	b.tables[tOrders] = append(b.tables[tOrders], []any{o.id, o.number, string(o.status),
		string(domain.DerivePaymentStatus(t.Total, o.paid, o.refunded)),
		string(domain.DeriveFulfillmentStatus(o.itemCount, fulfilled)), o.currency, t.Subtotal, t.Discount, t.Shipping,
		t.Tax, t.Total, o.paid, o.refunded, o.cust.email, o.cust.name, o.cust.phone, o.cust.address, o.cust.address,
		o.notes, o.source, couponCode, couponID, o.itemCount, domain.LineSummary(summary), o.created, o.updated, o.paidAt, o.shippedAt,
		o.deliveredAt, o.cancelledAt, o.tags, holdReason, heldBy, heldByRole, heldAt})
	for _, f := range o.parcels {
		b.tables[tFulfillments] = append(b.tables[tFulfillments], f.row(o.id))
	}
	for i, rows := range [...][][]any{tPayments: o.payments, tReturns: o.returns, tReturnItems: o.ritems,
		tRefunds: o.refunds, tAllocations: o.allocs, tFulfillmentItems: o.fitems,
		tEvents: o.events, tReservations: o.reservations, tHistory: o.history} {
		b.tables[i] = append(b.tables[i], rows...)
	}
	for sku, n := range o.reserved {
		b.reserved[sku] += n
	}
}

// write copies the batch in one transaction and adds its reservations to the stock.
// With trusted, the foreign keys are not checked row by row (the rows are consistent by
// construction, and `oms check` audits them): as pg_restore loads data.
func (b *batch) write(ctx context.Context, pool *pgxpool.Pool, trusted bool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if trusted {
			if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
		for i, t := range copyTables {
			if len(b.tables[i]) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(b.tables[i])); err != nil {
				return fmt.Errorf("demo: copy %s: %w", t.name, err)
			}
		}
		if len(b.reserved) == 0 {
			return nil
		}
		skus := make([]string, 0, len(b.reserved))
		for sku := range b.reserved {
			skus = append(skus, sku)
		}
		sort.Strings(skus) // lock order, as every stock write
		qty := make([]int, len(skus))
		for i, sku := range skus {
			qty[i] = b.reserved[sku]
		}
		// The stock the shop had for them: on hand grows where it would not cover them.
		_, err := tx.Exec(ctx, `UPDATE inventory i SET reserved = i.reserved + r.qty,
			on_hand = greatest(i.on_hand, i.reserved + r.qty), updated_at = now()
			FROM unnest($1::text[], $2::int[]) AS r(sku, qty) WHERE i.sku = r.sku`, skus, qty)
		if err != nil {
			return fmt.Errorf("demo: reserve stock: %w", err)
		}
		return nil
	})
}
