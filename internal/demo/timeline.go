package demo

// `oms demo` creates orders through the real services, which stamp
// everything with the current time, then moves each order's timeline into the past so
// that the demo shows weeks of history. The same piecewise shift applies to every
// timestamp column of the order and of the rows that hang off it, which sqlc would
// need a dozen near-identical queries for.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// timelineColumns are the timestamp columns of an order's rows, by table, with how the
// table's rows are found from the order id ($1).
var timelineColumns = []struct {
	table, where string
	columns      []string
}{
	{"orders", "id = $1", []string{"created_at", "updated_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at"}},
	{"order_history", "order_id = $1", []string{"created_at"}},
	{"inventory_reservations", "order_id = $1", []string{"created_at", "updated_at"}},
	{"payments", "order_id = $1", []string{"created_at", "updated_at"}},
	{"refunds", "order_id = $1", []string{"created_at"}},
	{"fulfillments", "order_id = $1", []string{"created_at", "shipped_at", "delivered_at"}},
	{"fulfillment_events", "fulfillment_id IN (SELECT id FROM fulfillments WHERE order_id = $1)", []string{"at", "created_at"}},
	{"returns", "order_id = $1", []string{"created_at", "processed_at", "received_at"}},
}

// shiftOrderTimeline moves an order's timestamps into the past, step by step: a value at
// or after bounds[i] (and before bounds[i+1]) moves by planned[i] - bounds[i], so what
// happened in step i appears to have happened at planned[i]. Values before bounds[0] stay.
// The order number's date is then made the (new) creation date.
func shiftOrderTimeline(ctx context.Context, db *pgxpool.Pool, orderID uuid.UUID, bounds, planned []time.Time) error {
	if len(bounds) != len(planned) {
		return fmt.Errorf("shift timeline: %d bounds, %d planned times", len(bounds), len(planned))
	}
	for _, t := range timelineColumns {
		sets := make([]string, len(t.columns))
		for i, c := range t.columns {
			sets[i] = fmt.Sprintf(`%[1]s = %[1]s + coalesce((SELECT s.p - s.b FROM unnest($2::timestamptz[], $3::timestamptz[]) AS s(b, p)
				WHERE s.b <= %[1]s ORDER BY s.b DESC LIMIT 1), interval '0')`, c)
		}
		sql := fmt.Sprintf("UPDATE %s SET %s WHERE %s", t.table, strings.Join(sets, ", "), t.where)
		if _, err := db.Exec(ctx, sql, orderID, bounds, planned); err != nil {
			return fmt.Errorf("shift %s: %w", t.table, err)
		}
	}
	_, err := db.Exec(ctx, `UPDATE orders SET order_number = 'ORD-' || to_char(created_at AT TIME ZONE 'UTC', 'YYMMDD') || substr(order_number, 11)
		WHERE id = $1 AND order_number ~ '^ORD-[0-9]{6}-'`, orderID)
	if err != nil {
		return fmt.Errorf("renumber order: %w", err)
	}
	return nil
}

// clockTimestamp is the database's current time (not the transaction's start).
func clockTimestamp(ctx context.Context, db *pgxpool.Pool) (time.Time, error) {
	var t time.Time
	err := db.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&t)
	return t, err
}
