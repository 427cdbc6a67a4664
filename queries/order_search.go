package queries

// Hand-written: the order list's WHERE and ORDER BY depend on which filters and which
// sort the caller picked, which sqlc's static queries cannot express without defeating
// the indexes. Only the predicates in use are sent, so each one can use its index.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// OrderSearch selects and orders orders for the list. Zero values mean "any".
type OrderSearch struct {
	Q                   string // substring of order number, email, phone or name
	Statuses            []string
	PaymentStatuses     []string
	FulfillmentStatuses []string
	Email               string // exact, case-insensitive
	CreatedFrom         *time.Time
	CreatedTo           *time.Time // exclusive
	TotalMin            decimal.NullDecimal
	TotalMax            decimal.NullDecimal
	IDs                 []uuid.UUID // only these orders

	SortByTotal bool // else by created_at
	Descending  bool
	// Keyset position: rows strictly after (AfterValue, AfterID) in the sort order.
	AfterValue string // RFC 3339 time or decimal, as the sort column
	AfterID    uuid.UUID
	Limit      int
}

const orderColumns = `id, order_number, status, payment_status, fulfillment_status, currency, subtotal,
 discount, shipping, tax, total, paid, refunded, customer_email, customer_name, customer_phone,
 shipping_address, billing_address, notes, source, coupon_code, coupon_id, item_count, created_at,
 updated_at, paid_at, shipped_at, delivered_at, cancelled_at, search`

// where builds the filter predicates and their arguments.
func (s OrderSearch) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q := strings.TrimSpace(s.Q); q != "" {
		conds = append(conds, "search LIKE "+arg("%"+escapeLike(strings.ToLower(q))+"%"))
	}
	if len(s.Statuses) > 0 {
		conds = append(conds, "status = ANY("+arg(s.Statuses)+"::text[])")
	}
	if len(s.PaymentStatuses) > 0 {
		conds = append(conds, "payment_status = ANY("+arg(s.PaymentStatuses)+"::text[])")
	}
	if len(s.FulfillmentStatuses) > 0 {
		conds = append(conds, "fulfillment_status = ANY("+arg(s.FulfillmentStatuses)+"::text[])")
	}
	if s.Email != "" {
		conds = append(conds, "lower(customer_email) = lower("+arg(s.Email)+")")
	}
	if s.CreatedFrom != nil {
		conds = append(conds, "created_at >= "+arg(*s.CreatedFrom))
	}
	if s.CreatedTo != nil {
		conds = append(conds, "created_at < "+arg(*s.CreatedTo))
	}
	if s.TotalMin.Valid {
		conds = append(conds, "total >= "+arg(s.TotalMin.Decimal))
	}
	if s.TotalMax.Valid {
		conds = append(conds, "total <= "+arg(s.TotalMax.Decimal))
	}
	if len(s.IDs) > 0 {
		conds = append(conds, "id = ANY("+arg(s.IDs)+"::uuid[])")
	}
	if len(conds) == 0 {
		return "true", args
	}
	return strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchOrders returns one page of orders in the chosen order.
func (q *Queries) SearchOrders(ctx context.Context, s OrderSearch) ([]Order, error) {
	where, args := s.where()
	col, castTo := "created_at", "timestamptz"
	if s.SortByTotal {
		col, castTo = "total", "numeric"
	}
	dir, cmp := "ASC", ">"
	if s.Descending {
		dir, cmp = "DESC", "<"
	}
	if s.AfterID != uuid.Nil {
		args = append(args, s.AfterValue, s.AfterID)
		n := len(args)
		where += fmt.Sprintf(" AND (%s, id) %s ($%d::%s, $%d::uuid)", col, cmp, n-1, castTo, n)
	}
	args = append(args, s.Limit)
	sql := fmt.Sprintf("SELECT %s FROM orders WHERE %s ORDER BY %s %s, id %s LIMIT $%d",
		orderColumns, where, col, dir, dir, len(args))
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) {
		var o Order
		err := r.Scan(&o.ID, &o.OrderNumber, &o.Status, &o.PaymentStatus, &o.FulfillmentStatus, &o.Currency,
			&o.Subtotal, &o.Discount, &o.Shipping, &o.Tax, &o.Total, &o.Paid, &o.Refunded, &o.CustomerEmail,
			&o.CustomerName, &o.CustomerPhone, &o.ShippingAddress, &o.BillingAddress, &o.Notes, &o.Source,
			&o.CouponCode, &o.CouponID, &o.ItemCount, &o.CreatedAt, &o.UpdatedAt, &o.PaidAt, &o.ShippedAt,
			&o.DeliveredAt, &o.CancelledAt, &o.Search)
		return o, err
	})
}

// CountOrders counts the matches exactly up to limit; past it, it returns the planner's
// estimate and exact = false, so that counting never scans millions of rows.
func (q *Queries) CountOrders(ctx context.Context, s OrderSearch, limit int) (n int64, exact bool, err error) {
	where, args := s.where()
	sql := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM orders WHERE %s LIMIT %d) m", where, limit+1)
	if err := q.db.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, false, err
	}
	if n <= int64(limit) {
		return n, true, nil
	}
	var plan []byte
	if err := q.db.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT 1 FROM orders WHERE "+where, args...).Scan(&plan); err != nil {
		return 0, false, err
	}
	var explained []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &explained); err != nil || len(explained) == 0 {
		return int64(limit), false, nil
	}
	return max(int64(explained[0].Plan.Rows), int64(limit)+1), false, nil
}
