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
	// At most one of these three, from the q parameter (domain.ParseOrderSearch).
	NumberPrefix string // upper-case start of an order number
	EmailPrefix  string // lower-case start of an email
	PhoneDigits  string // last digits of a phone
	// Name words (the other kind of q): each entry of Words is the search words one
	// word of q starts (ExpandSearchWord); an order must have one of each. BroadWords
	// start too many search words to list: they filter the orders' rows instead.
	Words      [][]string
	BroadWords []string
	// Tag: only orders with this tag, read like a name word from its own index range
	// (order_tags, migration 00014), in list order.
	Tag string
	// Held: only orders on hold (true) or not on hold (false).
	Held *bool
	// Shipping deadlines (the sla filters): only orders whose ship_by is before
	// ShipByBefore, or at or after ShipByFrom; read from the deadlines' own small index
	// (migration 00030), which holds only the orders waiting to ship.
	ShipByBefore *time.Time
	ShipByFrom   *time.Time

	// States limits the list to these status combinations. With MergeStates, and a
	// sort by date, each is read as its own index range and the ranges are merged in
	// order: what a rare combination needs, so that it never reads past the others.
	States      []OrderState
	MergeStates bool
	NoMatch     bool // the statuses or a name word match nothing: nothing matches

	Email       string // exact, case-insensitive
	CreatedFrom *time.Time
	CreatedTo   *time.Time // exclusive
	TotalMin    decimal.NullDecimal
	TotalMax    decimal.NullDecimal
	IDs         []uuid.UUID // only these orders

	SortByTotal bool // else by created_at
	Descending  bool
	// SortByShipBy: the soonest deadline first, then the orders without one, oldest first
	// (ascending only; SortByTotal and Descending are false).
	SortByShipBy bool
	// Keyset position: rows strictly after (AfterValue, AfterID) in the sort order.
	AfterValue string // RFC 3339 time or decimal, as the sort column
	AfterID    uuid.UUID
	// AfterUndated: by ship_by, the position is among the orders without a deadline, and
	// AfterValue is its created_at.
	AfterUndated bool
	Limit        int
}

// OnlyStates tells whether the search filters on nothing but the statuses, so that the
// status counters count its matches.
func (s OrderSearch) OnlyStates() bool {
	return !s.hasQ() && s.Tag == "" && s.Held == nil && s.Email == "" && s.CreatedFrom == nil && s.CreatedTo == nil &&
		!s.TotalMin.Valid && !s.TotalMax.Valid && len(s.IDs) == 0 && s.ShipByBefore == nil && s.ShipByFrom == nil
}

func (s OrderSearch) hasQ() bool {
	return s.NumberPrefix != "" || s.EmailPrefix != "" || s.PhoneDigits != "" || len(s.Words) > 0 || len(s.BroadWords) > 0
}

// onlyWords tells whether the search is a name search and nothing else, so that the
// search words' index alone counts its matches.
func (s OrderSearch) onlyWords() bool {
	w := s
	w.Words, w.BroadWords, w.Tag = nil, nil, ""
	return !w.hasQ() && w.OnlyStates() && len(s.States) == 0
}

// idsFirst tells whether the search filters on dates and totals alone (some of them),
// which the date and total indexes both hold.
func (s OrderSearch) idsFirst() bool {
	return (s.TotalMin.Valid || s.TotalMax.Valid || s.CreatedFrom != nil || s.CreatedTo != nil) &&
		!s.hasQ() && s.Email == "" && len(s.IDs) == 0 && len(s.States) == 0 && s.ShipByBefore == nil && s.ShipByFrom == nil
}

// narrowed tells whether the q names few orders (one order number, email or phone): its
// matches are read first and the rest is done on them, whatever the planner expects.
func (s OrderSearch) narrowed() bool {
	return s.NumberPrefix != "" || s.EmailPrefix != "" || s.PhoneDigits != ""
}

const orderColumns = `o.id, o.order_number, o.status, o.payment_status, o.fulfillment_status, o.currency,
 o.subtotal, o.discount, o.shipping, o.tax, o.total, o.paid, o.refunded, o.refund_pending, o.customer_email, o.customer_name,
 o.customer_phone, o.shipping_address, o.billing_address, o.notes, o.source, o.coupon_code, o.coupon_id,
 o.item_count, o.created_at, o.updated_at, o.paid_at, o.shipped_at, o.delivered_at, o.cancelled_at,
 o.tags, o.hold_reason, o.held_by, o.held_at, o.manual_discount, o.manual_discount_reason, o.ship_by, o.version`

// prefixEnd is past every string that starts with a prefix in byte order (the order of
// text_pattern_ops and of COLLATE "C"): U+10FFFF is the largest code point.
const prefixEnd = "\U0010FFFF"

type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// where builds the filter predicates on the orders row (alias o) other than the
// statuses and the name words, appending their arguments.
func (s OrderSearch) where(args *sqlArgs) []string {
	var conds []string
	prefix := func(col, p string) {
		conds = append(conds, fmt.Sprintf("%[1]s ~>=~ %[2]s AND %[1]s ~<~ %[3]s", col, args.add(p), args.add(p+prefixEnd)))
	}
	switch {
	case s.NumberPrefix != "":
		prefix("o.order_number", s.NumberPrefix)
	case s.EmailPrefix != "":
		prefix("lower(o.customer_email)", s.EmailPrefix)
	case s.PhoneDigits != "":
		conds = append(conds, "o.customer_phone <> ''")
		prefix("oms_phone_key(o.customer_phone)", reverse(s.PhoneDigits))
	}
	for _, w := range s.BroadWords {
		conds = append(conds, "oms_search_text(o.customer_name, o.customer_email) LIKE '% ' || lower("+args.add(EscapeLike(w))+") || '%'")
	}
	if s.Email != "" {
		conds = append(conds, "lower(o.customer_email) = lower("+args.add(s.Email)+")")
	}
	if s.CreatedFrom != nil {
		conds = append(conds, "o.created_at >= "+args.add(*s.CreatedFrom))
	}
	if s.CreatedTo != nil {
		conds = append(conds, "o.created_at < "+args.add(*s.CreatedTo))
	}
	if s.TotalMin.Valid {
		conds = append(conds, "o.total >= "+args.add(s.TotalMin.Decimal))
	}
	if s.TotalMax.Valid {
		conds = append(conds, "o.total <= "+args.add(s.TotalMax.Decimal))
	}
	if len(s.IDs) > 0 {
		conds = append(conds, "o.id = ANY("+args.add(s.IDs)+"::uuid[])")
	}
	if s.Held != nil {
		conds = append(conds, map[bool]string{true: "o.hold_reason IS NOT NULL", false: "o.hold_reason IS NULL"}[*s.Held])
	}
	if s.ShipByBefore != nil {
		conds = append(conds, "o.ship_by < "+args.add(*s.ShipByBefore))
	}
	if s.ShipByFrom != nil {
		conds = append(conds, "o.ship_by >= "+args.add(*s.ShipByFrom))
	}
	return conds
}

// rowConds are all the filter predicates on the orders row o, the statuses, name words
// and tag included, for a query that reads the orders table alone.
func (s OrderSearch) rowConds(args *sqlArgs) []string {
	conds := s.where(args)
	if len(s.States) > 0 {
		conds = append(conds, stateCond(s.States, args))
	}
	// Several words: the orders' word sets, whose index intersects them (however
	// common each word, the count reads only the orders that have them all).
	for _, words := range s.Words {
		conds = append(conds, "o.search_words && "+args.add(words)+"::text[]")
	}
	if s.Tag != "" {
		conds = append(conds, "o.id IN (SELECT order_id FROM order_tags WHERE tag = "+args.add(s.Tag)+")")
	}
	return conds
}

// shipBySQL is the page by deadline: the orders that have one from the deadlines' index,
// soonest first (a few thousand at most wait to ship, so every filter applies to their
// rows), then those without, oldest first; a position among the latter skips the former.
func (s OrderSearch) shipBySQL(cols, limit string) (string, []any) {
	var args sqlArgs
	var parts []string
	if !s.AfterUndated {
		conds := append(s.rowConds(&args), "o.ship_by IS NOT NULL")
		if s.AfterID != uuid.Nil {
			conds = append(conds, fmt.Sprintf("(o.ship_by, o.id) > (%s::timestamptz, %s::uuid)", args.add(s.AfterValue), args.add(s.AfterID)))
		}
		parts = append(parts, fmt.Sprintf("(SELECT %s FROM orders o WHERE %s ORDER BY o.ship_by, o.id%s)", cols, and(conds), limit))
	}
	if s.ShipByBefore == nil && s.ShipByFrom == nil { // the sla filters match only orders with a deadline
		conds := append(s.rowConds(&args), "o.ship_by IS NULL")
		if s.AfterUndated {
			conds = append(conds, fmt.Sprintf("(o.created_at, o.id) > (%s::timestamptz, %s::uuid)", args.add(s.AfterValue), args.add(s.AfterID)))
		}
		undated := fmt.Sprintf("(SELECT %s FROM orders o WHERE %s ORDER BY o.created_at, o.id%s)", cols, and(conds), limit)
		if s.waitingToShip() {
			// Orders waiting to ship are a few thousand at most: read them by their state
			// first, then sort. Walked along created_at, the oldest first, a plan reads the
			// whole history before the first open order (500 ms at 1M orders).
			undated = fmt.Sprintf("(WITH undated AS MATERIALIZED (SELECT %s FROM orders o WHERE %s) SELECT * FROM undated o ORDER BY o.created_at, o.id%s)",
				cols, and(conds), limit)
		}
		parts = append(parts, undated)
	}
	return fmt.Sprintf("SELECT * FROM (%s) m ORDER BY m.ship_by NULLS LAST, CASE WHEN m.ship_by IS NULL THEN m.created_at END, m.id%s",
		strings.Join(parts, "\nUNION ALL\n"), limit), args
}

// waitingToShip is whether the search asks only for orders that still wait to ship (paid
// or processing), as the warehouse queue does.
func (s OrderSearch) waitingToShip() bool {
	for _, st := range s.States {
		if st.Status != "paid" && st.Status != "processing" {
			return false
		}
	}
	return len(s.States) > 0
}

// stateCond is the predicate for some status combinations.
func stateCond(states []OrderState, args *sqlArgs) string {
	if len(states) == 1 {
		st := states[0]
		return fmt.Sprintf("o.status = %s AND o.payment_status = %s AND o.fulfillment_status = %s",
			args.add(st.Status), args.add(st.PaymentStatus), args.add(st.FulfillmentStatus))
	}
	var s, p, f []string
	for _, st := range states {
		s, p, f = append(s, st.Status), append(p, st.PaymentStatus), append(f, st.FulfillmentStatus)
	}
	return fmt.Sprintf("(o.status, o.payment_status, o.fulfillment_status) IN (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))",
		args.add(s), args.add(p), args.add(f))
}

// wordMatches is the (created_at, order_id) of the orders that have s.Tag (if any) and
// a search word of each entry of s.Words, newest first when read in that order: one
// index range per search word or tag, merged, and joined on the order. after, when set, is a keyset position
// that every range starts after.
func (s OrderSearch) wordMatches(args *sqlArgs, after string) string {
	var from string
	ranges := s.Words
	if s.Tag != "" {
		ranges = append([][]string{nil}, s.Words...) // nil: the tag's range, first
	}
	for i, words := range ranges {
		branches := make([]string, len(words))
		for j, w := range words {
			branches[j] = "SELECT created_at, order_id FROM order_search_words WHERE word = " + args.add(w) + after
		}
		if words == nil {
			branches = []string{"SELECT created_at, order_id FROM order_tags WHERE tag = " + args.add(s.Tag) + after}
		}
		u := fmt.Sprintf("(%s) w%d", strings.Join(branches, " UNION ALL "), i)
		if i == 0 {
			from = u
		} else {
			from += fmt.Sprintf(" JOIN %s ON w%[2]d.created_at = w0.created_at AND w%[2]d.order_id = w0.order_id", u, i)
		}
	}
	return from
}

func reverse(s string) string {
	b := []byte(s) // digits only
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// EscapeLike makes s match itself in a LIKE pattern (backslash is the escape character).
func EscapeLike(s string) string {
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
	if s.NoMatch {
		return []Order{}, nil
	}
	sql, args := s.selectSQL(orderColumns)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, err
	}
	return dropRepeats(out), nil
}

// dropRepeats removes an order that a name search found twice (two of its words start
// with the same word of q); repeats are next to each other, the sort being by order.
func dropRepeats(orders []Order) []Order {
	out := orders[:0]
	for i, o := range orders {
		if i == 0 || o.ID != orders[i-1].ID {
			out = append(out, o)
		}
	}
	return out
}

// selectSQL is the page query, selecting cols (of the orders row o).
func (s OrderSearch) selectSQL(cols string) (string, []any) {
	var args sqlArgs
	col, castTo := "created_at", "timestamptz"
	if s.SortByTotal {
		col, castTo = "total", "numeric"
	}
	dir, cmp := "ASC", ">"
	if s.Descending {
		dir, cmp = "DESC", "<"
	}
	keyset := func(table, id string) string {
		return fmt.Sprintf("(%s.%s, %s.%s) %s (%s::%s, %s::uuid)", table, col, table, id, cmp,
			args.add(s.AfterValue), castTo, args.add(s.AfterID))
	}
	limit := ""
	if s.Limit > 0 {
		// Repeats (dropRepeats) are rare: a few more rows keep the page full.
		n := s.Limit
		if len(s.Words) > 0 {
			n += 4
		}
		limit = " LIMIT " + strconv.Itoa(n)
	}
	if s.SortByShipBy {
		return s.shipBySQL(cols, limit)
	}

	if s.narrowed() {
		// The few orders the q names, read by its index first; then the rest on them.
		var inner sqlArgs
		conds := s.where(&inner)
		if s.Tag != "" {
			conds = append(conds, "o.tags @> ARRAY["+inner.add(s.Tag)+"::text]")
		}
		found := fmt.Sprintf("SELECT %s FROM orders o WHERE %s", cols, and(conds))
		args = inner
		conds = nil
		if len(s.States) > 0 {
			conds = append(conds, stateCond(s.States, &args))
		}
		if s.AfterID != uuid.Nil {
			conds = append(conds, keyset("o", "id"))
		}
		return fmt.Sprintf("WITH found AS MATERIALIZED (%s) SELECT * FROM found o WHERE %s ORDER BY o.%s %s, o.id %s%s",
			found, and(conds), col, dir, dir, limit), args
	}

	if len(s.Words) > 0 || s.Tag != "" {
		conds := s.where(&args)
		if len(s.States) > 0 {
			conds = append(conds, stateCond(s.States, &args))
		}
		if s.SortByTotal {
			if s.AfterID != uuid.Nil {
				conds = append(conds, keyset("o", "id"))
			}
			matches := s.wordMatches(&args, "")
			return fmt.Sprintf("SELECT %s FROM orders o WHERE o.id IN (SELECT w0.order_id FROM %s) AND %s ORDER BY o.total %s, o.id %s%s",
				cols, matches, and(conds), dir, dir, limit), args
		}
		after := ""
		if s.AfterID != uuid.Nil {
			after = " AND " + fmt.Sprintf("(created_at, order_id) %s (%s::timestamptz, %s::uuid)", cmp, args.add(s.AfterValue), args.add(s.AfterID))
		}
		matches := s.wordMatches(&args, after)
		return fmt.Sprintf("SELECT %s FROM %s JOIN orders o ON o.id = w0.order_id WHERE %s ORDER BY w0.created_at %s, w0.order_id %s%s",
			cols, matches, and(conds), dir, dir, limit), args
	}

	if s.ShipByBefore != nil || s.ShipByFrom != nil {
		// The sla filters match only orders waiting to ship (a few thousand at most): read
		// them from the deadlines' own index, in its order, then sort the page, so that no
		// plan walks the whole list along the sort looking for them (statistics or not).
		conds := s.rowConds(&args)
		if s.AfterID != uuid.Nil {
			conds = append(conds, keyset("o", "id"))
		}
		return fmt.Sprintf("WITH found AS MATERIALIZED (SELECT %s FROM orders o WHERE %s ORDER BY o.ship_by, o.id) SELECT * FROM found o ORDER BY o.%s %s, o.id %s%s",
			cols, and(conds), col, dir, dir, limit), args
	}
	conds := s.where(&args)
	if s.AfterID != uuid.Nil {
		conds = append(conds, keyset("o", "id"))
	}
	if s.idsFirst() {
		// The page's ids from the index alone (created_at and total are both in each of
		// their indexes), then only those rows: a rare range otherwise reads the table
		// row by row along the sort until it has filled a page.
		return fmt.Sprintf("SELECT %[1]s FROM orders o WHERE o.id IN (SELECT o.id FROM orders o WHERE %[2]s ORDER BY o.%[3]s %[4]s, o.id %[4]s%[5]s) ORDER BY o.%[3]s %[4]s, o.id %[4]s",
			cols, and(conds), col, dir, limit), args
	}
	order := fmt.Sprintf("ORDER BY %s %s, id %s", col, dir, dir)
	if len(s.States) == 0 || !s.MergeStates || s.SortByTotal || len(s.States) == 1 {
		if len(s.States) > 0 {
			conds = append(conds, stateCond(s.States, &args))
		}
		return fmt.Sprintf("SELECT %s FROM orders o WHERE %s ORDER BY o.%s %s, o.id %s%s", cols, and(conds), col, dir, dir, limit), args
	}
	// One branch per combination, each reading at most a page from its index range in
	// order, whatever the planner expects of its size; the branches are then merged.
	rest := and(conds)
	branches := make([]string, len(s.States))
	for i, st := range s.States {
		branches[i] = fmt.Sprintf("(SELECT %s FROM orders o WHERE %s AND %s ORDER BY o.%s %s, o.id %s%s)",
			cols, stateCond([]OrderState{st}, &args), rest, col, dir, dir, limit)
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
		&o.Subtotal, &o.Discount, &o.Shipping, &o.Tax, &o.Total, &o.Paid, &o.Refunded, &o.RefundPending, &o.CustomerEmail,
		&o.CustomerName, &o.CustomerPhone, &o.ShippingAddress, &o.BillingAddress, &o.Notes, &o.Source,
		&o.CouponCode, &o.CouponID, &o.ItemCount, &o.CreatedAt, &o.UpdatedAt, &o.PaidAt, &o.ShippedAt,
		&o.DeliveredAt, &o.CancelledAt, &o.Tags, &o.HoldReason, &o.HeldBy, &o.HeldAt, &o.ManualDiscount, &o.ManualDiscountReason,
		&o.ShipBy, &o.Version}
}

// CountOrders counts the matches exactly up to limit; past it, it returns an estimate
// and exact = false, so that counting never reads more than a bounded number of index
// entries. (Searches on the statuses alone are counted by the status counters.)
func (q *Queries) CountOrders(ctx context.Context, s OrderSearch, limit int) (n int64, exact bool, err error) {
	if s.NoMatch {
		return 0, true, nil
	}
	var args sqlArgs
	var sql, unlimited string
	read := int64(limit + 1) // how many entries the count reads at most
	switch {
	case len(s.Words) == 1 && s.Tag == "" && s.onlyWords():
		// The words' index alone, without the orders: entries, and distinct orders among
		// them (an order can have two words that start with one word of q). Each order
		// has a few search words, so entries past three times the limit are past it.
		matches := s.wordMatches(&args, "")
		unlimited = "SELECT 1 FROM " + matches
		read = 3 * int64(limit+1)
		sql = fmt.Sprintf("SELECT count(*), count(DISTINCT order_id) FROM (SELECT w0.order_id FROM %s LIMIT %d) m", matches, read)
	case s.Tag != "" && len(s.Words) == 0 && len(s.BroadWords) == 0 && s.onlyWords():
		// The tag's index range alone: an order has each tag once.
		matches := "order_tags WHERE tag = " + args.add(s.Tag)
		unlimited = "SELECT 1 FROM " + matches
		sql = fmt.Sprintf("SELECT count(*), count(*) FROM (SELECT 1 FROM %s LIMIT %d) m", matches, read)
	case len(s.BroadWords) == 1 && s.Tag == "" && s.onlyWords():
		p := args.add(s.BroadWords[0])
		matches := fmt.Sprintf("order_search_words WHERE word >= lower(%[1]s) AND word < lower(%[1]s) || '%[2]s'", p, prefixEnd)
		unlimited = "SELECT 1 FROM " + matches
		read = 3 * int64(limit+1)
		sql = fmt.Sprintf("SELECT count(*), count(DISTINCT order_id) FROM (SELECT order_id FROM %s LIMIT %d) m", matches, read)
	case s.ShipByBefore != nil || s.ShipByFrom != nil:
		// The sla filters: along the deadlines' own index (see selectSQL).
		unlimited = "SELECT 1 FROM orders o WHERE " + and(s.rowConds(&args))
		sql = fmt.Sprintf("SELECT count(*), count(*) FROM (%s ORDER BY o.ship_by LIMIT %d) m", unlimited, limit+1)
	default:
		unlimited = "SELECT 1 FROM orders o WHERE " + and(s.rowConds(&args))
		sql = fmt.Sprintf("SELECT count(*), count(*) FROM (%s LIMIT %d) m", unlimited, limit+1)
	}
	var entries int64
	if err := q.db.QueryRow(ctx, sql, args...).Scan(&entries, &n); err != nil {
		return 0, false, err
	}
	if entries < read { // every match was read: n is exact
		return n, true, nil
	}
	var plan []byte
	if err := q.db.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+unlimited, args...).Scan(&plan); err != nil {
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

// CountHeld counts the held orders in these status combinations (what the warehouse
// queue takes from the status counters): from the held orders' partial index alone
// (migration 00014), however many orders there are.
func (q *Queries) CountHeld(ctx context.Context, states []OrderState) (int64, error) {
	var args sqlArgs
	var n int64
	err := q.db.QueryRow(ctx, "SELECT count(*) FROM orders o WHERE o.hold_reason IS NOT NULL AND "+stateCond(states, &args), args...).Scan(&n)
	return n, err
}

// ExpandSearchWord lists the search words that start with prefix (lowered as the
// database lowers names), at most max+1 of them, in order: one index probe each, by a
// loose index scan.
func (q *Queries) ExpandSearchWord(ctx context.Context, prefix string, max int) ([]string, error) {
	rows, err := q.db.Query(ctx, `WITH RECURSIVE w AS (
			(SELECT word FROM order_search_words WHERE word >= lower($1) AND word < lower($1) || '`+prefixEnd+`' ORDER BY word LIMIT 1)
			UNION ALL
			SELECT (SELECT s.word FROM order_search_words s WHERE s.word > w.word AND s.word < lower($1) || '`+prefixEnd+`'
			        ORDER BY s.word LIMIT 1)
			FROM w WHERE w.word IS NOT NULL
		)
		SELECT word FROM w WHERE word IS NOT NULL LIMIT $2`, prefix, max+1)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ExportOrder is an order as the export writes it.
type ExportOrder struct {
	OrderNumber       string
	CreatedAt         time.Time
	Status            string
	PaymentStatus     string
	FulfillmentStatus string
	CustomerName      string
	CustomerEmail     string
	CustomerPhone     string
	Country           string
	Currency          string
	Subtotal          decimal.Decimal
	Discount          decimal.Decimal
	Shipping          decimal.Decimal
	Tax               decimal.Decimal
	Total             decimal.Decimal
	Paid              decimal.Decimal
	Refunded          decimal.Decimal
	ItemCount         int32
	Lines             string // domain.LineSummary
	id                uuid.UUID
	shipBy            *time.Time // the sort by deadline reads it; the export does not write it
}

const exportColumns = `o.order_number, o.created_at, o.status, o.payment_status, o.fulfillment_status,
 o.customer_name, o.customer_email, o.customer_phone, coalesce(o.shipping_address->>'country', '') AS country,
 o.currency, o.subtotal, o.discount, o.shipping, o.tax, o.total, o.paid, o.refunded, o.item_count,
 o.line_summary, o.id, o.ship_by`

// ForEachExportOrder streams every order matching s (its limit and keyset position
// apply when set) to fn, in the sort order: one query whose rows are read as they
// arrive, with only the columns the export writes, so that memory stays flat however
// many orders match. An error from fn stops the query.
func (q *Queries) ForEachExportOrder(ctx context.Context, s OrderSearch, fn func(*ExportOrder) error) error {
	if s.NoMatch {
		return nil
	}
	sql, args := s.selectSQL(exportColumns)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var o ExportOrder
	var last uuid.UUID
	dest := []any{&o.OrderNumber, &o.CreatedAt, &o.Status, &o.PaymentStatus, &o.FulfillmentStatus, &o.CustomerName,
		&o.CustomerEmail, &o.CustomerPhone, &o.Country, &o.Currency, &o.Subtotal, &o.Discount, &o.Shipping, &o.Tax,
		&o.Total, &o.Paid, &o.Refunded, &o.ItemCount, &o.Lines, &o.id, &o.shipBy}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if o.id == last {
			continue // a repeat (dropRepeats)
		}
		last = o.id
		if err := fn(&o); err != nil {
			return err
		}
	}
	return rows.Err()
}
