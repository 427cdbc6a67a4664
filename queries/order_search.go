package queries

// Hand-written: the order list's WHERE and ORDER BY depend on which filters and which
// sort the caller picked, which sqlc's static queries cannot express without defeating
// the indexes. Only the predicates in use are sent, so each one can use its index, and
// each kind of search has an index of its own (migrations 00006).

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

// OrderState is one combination of an order's three statuses.
type OrderState struct {
	Status, PaymentStatus, FulfillmentStatus string
}

// OrderSearch selects and orders orders for the list. Zero values mean "any".
type OrderSearch struct {
	// At most one of these, from the q parameter (domain.ParseOrderSearch).
	NumberPrefix string // upper-case start of an order number
	EmailPrefix  string // lower-case start of an email
	PhoneDigits  string // last digits of a phone
	Word         string // a whole lower-case word of the name or email
	Substring    string // a lower-case substring of the name or email

	// States limits the list to these status combinations. With MergeStates, and a
	// sort by date, each is read as its own index range and the ranges are merged in
	// order: what a rare combination needs, so that it never reads past the others.
	States      []OrderState
	MergeStates bool
	NoStates    bool // the status filters match no combination: nothing matches

	Email       string // exact, case-insensitive
	CreatedFrom *time.Time
	CreatedTo   *time.Time // exclusive
	TotalMin    decimal.NullDecimal
	TotalMax    decimal.NullDecimal
	IDs         []uuid.UUID // only these orders

	SortByTotal bool // else by created_at
	Descending  bool
	// Keyset position: rows strictly after (AfterValue, AfterID) in the sort order.
	AfterValue string // RFC 3339 time or decimal, as the sort column
	AfterID    uuid.UUID
	Limit      int
}

// OnlyStates tells whether the search filters on nothing but the statuses, so that the
// status counters count its matches.
func (s OrderSearch) OnlyStates() bool {
	return s.NumberPrefix == "" && s.EmailPrefix == "" && s.PhoneDigits == "" && s.Word == "" && s.Substring == "" &&
		s.Email == "" && s.CreatedFrom == nil && s.CreatedTo == nil && !s.TotalMin.Valid && !s.TotalMax.Valid &&
		len(s.IDs) == 0
}

const orderColumns = `id, order_number, status, payment_status, fulfillment_status, currency, subtotal,
 discount, shipping, tax, total, paid, refunded, customer_email, customer_name, customer_phone,
 shipping_address, billing_address, notes, source, coupon_code, coupon_id, item_count, created_at,
 updated_at, paid_at, shipped_at, delivered_at, cancelled_at`

// prefixEnd is past every string that starts with a prefix in the byte order of the
// text_pattern_ops indexes: U+10FFFF is the largest code point.
const prefixEnd = "\U0010FFFF"

type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// where builds the filter predicates other than the statuses, appending their arguments.
func (s OrderSearch) where(args *sqlArgs) []string {
	var conds []string
	prefix := func(col, p string) {
		conds = append(conds, fmt.Sprintf("%[1]s ~>=~ %[2]s AND %[1]s ~<~ %[3]s", col, args.add(p), args.add(p+prefixEnd)))
	}
	switch {
	case s.NumberPrefix != "":
		prefix("order_number", s.NumberPrefix)
	case s.EmailPrefix != "":
		prefix("lower(customer_email)", s.EmailPrefix)
	case s.PhoneDigits != "":
		conds = append(conds, "customer_phone <> ''")
		prefix("oms_phone_key(customer_phone)", reverse(s.PhoneDigits))
	case s.Word != "":
		conds = append(conds, "oms_search_text(customer_name, customer_email) LIKE "+args.add("% "+escapeLike(s.Word)+" %"))
	case s.Substring != "":
		conds = append(conds, "oms_search_text(customer_name, customer_email) LIKE "+args.add("%"+escapeLike(s.Substring)+"%"))
	}
	if s.Email != "" {
		conds = append(conds, "lower(customer_email) = lower("+args.add(s.Email)+")")
	}
	if s.CreatedFrom != nil {
		conds = append(conds, "created_at >= "+args.add(*s.CreatedFrom))
	}
	if s.CreatedTo != nil {
		conds = append(conds, "created_at < "+args.add(*s.CreatedTo))
	}
	if s.TotalMin.Valid {
		conds = append(conds, "total >= "+args.add(s.TotalMin.Decimal))
	}
	if s.TotalMax.Valid {
		conds = append(conds, "total <= "+args.add(s.TotalMax.Decimal))
	}
	if len(s.IDs) > 0 {
		conds = append(conds, "id = ANY("+args.add(s.IDs)+"::uuid[])")
	}
	return conds
}

// stateCond is the predicate for some status combinations.
func stateCond(states []OrderState, args *sqlArgs) string {
	if len(states) == 1 {
		st := states[0]
		return fmt.Sprintf("status = %s AND payment_status = %s AND fulfillment_status = %s",
			args.add(st.Status), args.add(st.PaymentStatus), args.add(st.FulfillmentStatus))
	}
	var s, p, f []string
	for _, st := range states {
		s, p, f = append(s, st.Status), append(p, st.PaymentStatus), append(f, st.FulfillmentStatus)
	}
	return fmt.Sprintf("(status, payment_status, fulfillment_status) IN (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))",
		args.add(s), args.add(p), args.add(f))
}

func reverse(s string) string {
	b := []byte(s) // digits only
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func and(conds []string) string {
	if len(conds) == 0 {
		return "true"
	}
	return strings.Join(conds, " AND ")
}

// SearchOrders returns one page of orders in the chosen order.
func (q *Queries) SearchOrders(ctx context.Context, s OrderSearch) ([]Order, error) {
	if s.NoStates {
		return []Order{}, nil
	}
	sql, args := s.selectSQL(orderColumns)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanOrder)
}

// selectSQL is the page query, selecting cols.
func (s OrderSearch) selectSQL(cols string) (string, []any) {
	var args sqlArgs
	conds := s.where(&args)
	col, castTo := "created_at", "timestamptz"
	if s.SortByTotal {
		col, castTo = "total", "numeric"
	}
	dir, cmp := "ASC", ">"
	if s.Descending {
		dir, cmp = "DESC", "<"
	}
	if s.AfterID != uuid.Nil {
		conds = append(conds, fmt.Sprintf("(%s, id) %s (%s::%s, %s::uuid)", col, cmp, args.add(s.AfterValue), castTo, args.add(s.AfterID)))
	}
	order := fmt.Sprintf("ORDER BY %s %s, id %s", col, dir, dir)
	limit := ""
	if s.Limit > 0 {
		limit = " LIMIT " + args.add(s.Limit)
	}
	if len(s.States) == 0 {
		return fmt.Sprintf("SELECT %s FROM orders WHERE %s %s%s", cols, and(conds), order, limit), args
	}
	if !s.MergeStates || s.SortByTotal || len(s.States) == 1 {
		all := append([]string{stateCond(s.States, &args)}, conds...)
		return fmt.Sprintf("SELECT %s FROM orders WHERE %s %s%s", cols, and(all), order, limit), args
	}
	// One branch per combination; PostgreSQL merges the branches' index ranges in order
	// (Merge Append) and stops at the limit.
	rest := and(conds)
	branches := make([]string, len(s.States))
	for i, st := range s.States {
		branches[i] = fmt.Sprintf("SELECT %s FROM orders WHERE %s AND %s", cols, stateCond([]OrderState{st}, &args), rest)
	}
	return fmt.Sprintf("SELECT * FROM (%s) m %s%s", strings.Join(branches, "\nUNION ALL\n"), order, limit), args
}

func scanOrder(r pgx.CollectableRow) (Order, error) {
	var o Order
	return o, r.Scan(orderFields(&o)...)
}

// orderFields are the scan destinations of orderColumns.
func orderFields(o *Order) []any {
	return []any{&o.ID, &o.OrderNumber, &o.Status, &o.PaymentStatus, &o.FulfillmentStatus, &o.Currency,
		&o.Subtotal, &o.Discount, &o.Shipping, &o.Tax, &o.Total, &o.Paid, &o.Refunded, &o.CustomerEmail,
		&o.CustomerName, &o.CustomerPhone, &o.ShippingAddress, &o.BillingAddress, &o.Notes, &o.Source,
		&o.CouponCode, &o.CouponID, &o.ItemCount, &o.CreatedAt, &o.UpdatedAt, &o.PaidAt, &o.ShippedAt,
		&o.DeliveredAt, &o.CancelledAt}
}

// CountOrders counts the matches exactly up to limit; past it, it returns the planner's
// estimate and exact = false, so that counting never reads more than limit+1 index
// entries. (Searches on the statuses alone are counted by the status counters instead.)
func (q *Queries) CountOrders(ctx context.Context, s OrderSearch, limit int) (n int64, exact bool, err error) {
	if s.NoStates {
		return 0, true, nil
	}
	var args sqlArgs
	conds := s.where(&args)
	if len(s.States) > 0 {
		conds = append(conds, stateCond(s.States, &args))
	}
	where := and(conds)
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
		return int64(limit) + 1, false, nil
	}
	return max(int64(explained[0].Plan.Rows), int64(limit)+1), false, nil
}

// ForEachOrder streams every order matching s (its limit and keyset position apply when
// set) to fn, in the sort order, with its lines as "SKU xN; SKU xN" in line order: one
// query whose rows are read as they arrive, so that memory stays flat however many
// orders match. An error from fn stops the query.
func (q *Queries) ForEachOrder(ctx context.Context, s OrderSearch, fn func(o Order, lines string) error) error {
	if s.NoStates {
		return nil
	}
	cols := orderColumns + `, coalesce((SELECT string_agg(i.sku || ' x' || i.quantity, '; ' ORDER BY i.position)
		FROM order_items i WHERE i.order_id = orders.id), '') AS lines`
	sql, args := s.selectSQL(cols)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var o Order
	var lines string
	dest := append(orderFields(&o), &lines)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(o, lines); err != nil {
			return err
		}
	}
	return rows.Err()
}
