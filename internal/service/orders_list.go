package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// OrderPage is one page of the order list.
type OrderPage struct {
	Orders     []domain.Order
	NextCursor string // empty on the last page
	Total      int64
	TotalExact bool
}

// cursor is the keyset position after the last order of a page. Its sort is recorded so
// that a cursor is never applied to another sort; the list's total rides along, so that
// later pages do not count again.
type cursor struct {
	Sort  string    `json:"s"`
	Value string    `json:"v"`
	ID    uuid.UUID `json:"i"`
	Total *int64    `json:"t,omitempty"`
	Exact bool      `json:"e,omitempty"`
	// Undated: by deadline, the position is among the orders without one (Value is its
	// created_at).
	Undated bool `json:"u,omitempty"`
}

// maxWordExpansion is how many search words one word of q may start and still be read
// through the words' index; a word that starts more (a common start, "ma") is found by
// reading the newest orders, where it is common.
const maxWordExpansion = 24

// mergeBelow: status filters matching less than this share of all orders read each
// combination's own index range; broader ones read the date index and skip the rest.
const mergeBelow = 0.1

// Detail is how much of each order a list reads.
type Detail int

const (
	RowsOnly   Detail = iota // the order row (the back-office list)
	WithLines                // ... and its lines (the warehouse queue)
	Everything               // ... and its payments, refunds, fulfillments, returns and history (the API)
)

// ListOrders returns a page of the orders matching f, each with detail.
//
// Nothing here grows with the orders table: the status counters say which status
// combinations hold orders (and count the lists that filter on statuses alone), the page
// reads one index range per search and stops at the page, and other lists are counted
// once, up to domain.ExactCountLimit, on their first page. The counters and the page are
// read in one snapshot; the count and the page's children after it, at once.
func (s *Service) ListOrders(ctx context.Context, f domain.OrderFilter, detail Detail) (OrderPage, error) {
	f.Normalize()
	if err := f.Validate(); err != nil {
		return OrderPage{}, err
	}
	// One snapshot for the counters and the page, so that they agree; all of it from one
	// server (the replica while it keeps up).
	db := s.reader(ctx)
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return OrderPage{}, fmt.Errorf("list orders: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	q := queries.New(tx)
	plan, err := planSearch(ctx, q, f)
	if err != nil {
		return OrderPage{}, err
	}
	search := plan.search
	search.Limit = f.Limit + 1 // one more tells whether there is a next page
	rows, err := queries.New(queries.CustomPlans(tx)).SearchOrders(ctx, search)
	if err != nil {
		return OrderPage{}, fmt.Errorf("search orders: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return OrderPage{}, fmt.Errorf("list orders: %w", err)
	}
	more := len(rows) > f.Limit
	if more {
		rows = rows[:f.Limit]
	}
	// The count (when the counters do not have it) and the page's children are read at
	// once, on connections of their own.
	var count struct {
		n     int64
		exact bool
		err   error
	}
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		count.n, count.exact, count.err = plan.count(ctx, db)
	}()
	defer func() { <-counted }() // never leave the count running
	page := OrderPage{}
	switch detail {
	case Everything:
		page.Orders, err = loadOrders(ctx, queries.New(db), rows)
	case WithLines:
		page.Orders, err = loadOrderLines(ctx, queries.New(queries.GenericPlans(db)), rows)
	default:
		page.Orders, err = ordersFromRows(rows)
	}
	if err != nil {
		return OrderPage{}, err
	}
	<-counted
	if count.err != nil {
		return OrderPage{}, count.err
	}
	page.Total, page.TotalExact = count.n, count.exact
	if more {
		last := rows[len(rows)-1]
		cur := cursor{Sort: f.Sort, ID: last.ID, Value: last.CreatedAt.UTC().Format(time.RFC3339Nano),
			Total: &page.Total, Exact: page.TotalExact}
		switch {
		case search.SortByTotal:
			cur.Value = last.Total.String()
		case search.SortByShipBy && last.ShipBy != nil:
			cur.Value = last.ShipBy.UTC().Format(time.RFC3339Nano)
		case search.SortByShipBy:
			cur.Undated = true
		}
		b, _ := json.Marshal(cur) // plain fields: cannot fail
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}

// searchPlan is a list filter as the list query runs it.
type searchPlan struct {
	search queries.OrderSearch
	after  *cursor // the page's cursor, if any
	// counted: the matches, counted by the status counters (searches on statuses alone)
	counted *int64
}

// planSearch turns a validated filter into the list query: its statuses become the
// combinations that hold orders, read from the status counters, which also count the
// searches on statuses alone.
func planSearch(ctx context.Context, q *queries.Queries, f domain.OrderFilter) (searchPlan, error) {
	return planSearchWith(ctx, q, f, nil)
}

// planSearchWith is planSearch with the status counters already read (nil: read them if
// needed), for several filters planned in one snapshot.
func planSearchWith(ctx context.Context, q *queries.Queries, f domain.OrderFilter, counted []stateCount) (searchPlan, error) {
	search, words, after, err := toSearch(f)
	if err != nil {
		return searchPlan{}, err
	}
	p := searchPlan{search: search, after: after}
	if err := slaBounds(ctx, q, f.SLA, &p.search); err != nil {
		return searchPlan{}, err
	}
	for _, w := range words {
		found, err := q.ExpandSearchWord(ctx, w, maxWordExpansion)
		if err != nil {
			return searchPlan{}, fmt.Errorf("search words: %w", err)
		}
		switch {
		case len(found) == 0: // no order has it: nothing matches
			p.search.NoMatch = true
		case len(found) > maxWordExpansion:
			p.search.BroadWords = append(p.search.BroadWords, w)
		default:
			p.search.Words = append(p.search.Words, found)
		}
	}
	if p.search.NoMatch {
		var none int64
		p.counted = &none
		return p, nil
	}
	if !f.HasStatusFilter() && !p.search.OnlyStates() {
		return p, nil
	}
	counts := counted
	if counts == nil {
		if counts, err = orderStates(ctx, q); err != nil {
			return searchPlan{}, err
		}
	}
	states, matched, all := statesMatching(counts, f)
	if f.HasStatusFilter() {
		p.search.States = states
		p.search.NoMatch = p.search.NoMatch || len(states) == 0
		p.search.MergeStates = float64(matched) < mergeBelow*float64(all)
	}
	unheld := p.search
	unheld.Held = nil
	switch {
	case p.search.OnlyStates():
		p.counted = &matched
	case p.search.Held != nil && !*p.search.Held && len(p.search.States) > 0 && unheld.OnlyStates():
		// The warehouse queue: the counters less the held orders among them, which are
		// few and counted from their own index.
		held, err := q.CountHeld(ctx, p.search.States)
		if err != nil {
			return searchPlan{}, fmt.Errorf("count held orders: %w", err)
		}
		left := matched - held
		p.counted = &left
	}
	return p, nil
}

// count is how many orders match: from the counters, from the cursor of an earlier page,
// or counted up to domain.ExactCountLimit.
func (p searchPlan) count(ctx context.Context, db queries.Batcher) (int64, bool, error) {
	switch {
	case p.counted != nil:
		return *p.counted, true, nil
	case p.after != nil && p.after.Total != nil:
		return *p.after.Total, p.after.Exact, nil
	}
	search := p.search
	search.AfterID = uuid.Nil
	n, exact, err := queries.New(queries.CustomPlans(db)).CountOrders(ctx, search, domain.ExactCountLimit)
	if err != nil {
		return 0, false, fmt.Errorf("count orders: %w", err)
	}
	return n, exact, nil
}

// toSearch turns a validated filter into the list query's parameters (statuses and name
// words apart: planSearch reads what they match), its name words, and its cursor, if any.
func toSearch(f domain.OrderFilter) (queries.OrderSearch, []string, *cursor, error) {
	s := queries.OrderSearch{
		Email: f.Email, CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo,
		TotalMin: f.TotalMin, TotalMax: f.TotalMax, Tag: f.Tag, Held: f.Held,
		SortByTotal:  f.Sort == domain.SortTotalAsc || f.Sort == domain.SortTotalDesc,
		Descending:   f.Sort == domain.SortCreatedDesc || f.Sort == domain.SortTotalDesc,
		SortByShipBy: f.Sort == domain.SortShipBy,
	}
	q, err := domain.ParseOrderSearch(f.Q)
	if err != nil {
		return s, nil, nil, err
	}
	switch q.Kind {
	case domain.SearchOrderNumber:
		s.NumberPrefix = q.Term
	case domain.SearchEmail:
		s.EmailPrefix = q.Term
	case domain.SearchPhone:
		s.PhoneDigits = q.Term
	}
	for _, id := range f.IDs {
		u, err := uuid.Parse(id)
		if err != nil {
			return s, nil, nil, domain.FieldErrors{"order_ids": "must be order ids (UUIDs)"}.Err()
		}
		s.IDs = append(s.IDs, u)
	}
	if f.Cursor == "" {
		return s, q.Words, nil, nil
	}
	const notOurs = "is not a cursor of this list and sort; start again without it"
	c, err := decodeCursor(f.Cursor)
	if err != nil {
		return s, nil, nil, &domain.Error{Code: domain.CodeBadRequest, Message: "cursor is malformed", Fields: map[string]string{"cursor": notOurs}}
	}
	if c.Sort != f.Sort {
		return s, nil, nil, domain.FieldErrors{"cursor": notOurs}.Err()
	}
	s.AfterValue, s.AfterID, s.AfterUndated = c.Value, c.ID, c.Undated
	return s, q.Words, &c, nil
}

// slaBounds sets the deadline bounds of an sla filter: late, the deadline passed; at risk,
// not late and due within the shop's at-risk business hours.
func slaBounds(ctx context.Context, q *queries.Queries, sla string, s *queries.OrderSearch) error {
	if sla == "" {
		return nil
	}
	now := time.Now()
	if sla == domain.SLALate {
		s.ShipByBefore = &now
		return nil
	}
	row, err := q.GetDeadlineSettings(ctx)
	if err != nil {
		return fmt.Errorf("deadline settings: %w", err)
	}
	rules, err := rulesFromRow(row)
	if err != nil {
		return err
	}
	until := rules.AtRiskBefore(now)
	s.ShipByFrom, s.ShipByBefore = &now, &until
	return nil
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, err
	}
	if c.ID == uuid.Nil {
		return c, fmt.Errorf("cursor without id")
	}
	if c.Sort == domain.SortTotalAsc || c.Sort == domain.SortTotalDesc {
		// The client hands the total back: it is read as every amount from outside is.
		_, err = domain.ParseDecimal(c.Value, domain.MoneyDigits)
	} else {
		_, err = time.Parse(time.RFC3339Nano, c.Value)
	}
	return c, err
}
