package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

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
// that a cursor is never applied to another sort.
type cursor struct {
	Sort  string    `json:"s"`
	Value string    `json:"v"`
	ID    uuid.UUID `json:"i"`
}

// ListOrders returns a page of the orders matching f. With details, each order carries
// its items, payments, fulfillments, returns and history (the API); without, only the
// order row (the back-office list).
func (s *Service) ListOrders(ctx context.Context, f domain.OrderFilter, details bool) (OrderPage, error) {
	f.Normalize()
	if err := f.Validate(); err != nil {
		return OrderPage{}, err
	}
	search, err := toSearch(f)
	if err != nil {
		return OrderPage{}, err
	}
	q := queries.New(s.pool)
	search.Limit = f.Limit + 1 // one more tells whether there is a next page
	rows, err := q.SearchOrders(ctx, search)
	if err != nil {
		return OrderPage{}, fmt.Errorf("search orders: %w", err)
	}
	page := OrderPage{}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		c := cursor{Sort: f.Sort, ID: last.ID, Value: last.CreatedAt.UTC().Format(time.RFC3339Nano)}
		if search.SortByTotal {
			c.Value = last.Total.String()
		}
		b, _ := json.Marshal(c) // plain fields: cannot fail
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	if details {
		page.Orders, err = loadOrders(ctx, q, rows)
	} else {
		page.Orders = make([]domain.Order, len(rows))
		for i, r := range rows {
			page.Orders[i], err = orderFromRow(r)
			if err != nil {
				break
			}
		}
	}
	if err != nil {
		return OrderPage{}, err
	}
	search.AfterID = uuid.Nil
	page.Total, page.TotalExact, err = q.CountOrders(ctx, search, domain.ExactCountLimit)
	if err != nil {
		return OrderPage{}, fmt.Errorf("count orders: %w", err)
	}
	return page, nil
}

// toSearch turns a validated filter into the list query's parameters.
func toSearch(f domain.OrderFilter) (queries.OrderSearch, error) {
	s := queries.OrderSearch{
		Q: f.Q, Email: f.Email, CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo,
		TotalMin: f.TotalMin, TotalMax: f.TotalMax,
		SortByTotal: f.Sort == domain.SortTotalAsc || f.Sort == domain.SortTotalDesc,
		Descending:  f.Sort == domain.SortCreatedDesc || f.Sort == domain.SortTotalDesc,
	}
	for _, st := range f.Statuses {
		s.Statuses = append(s.Statuses, string(st))
	}
	for _, st := range f.PaymentStatuses {
		s.PaymentStatuses = append(s.PaymentStatuses, string(st))
	}
	for _, st := range f.FulfillmentStatuses {
		s.FulfillmentStatuses = append(s.FulfillmentStatuses, string(st))
	}
	for _, id := range f.IDs {
		u, err := uuid.Parse(id)
		if err != nil {
			return s, domain.FieldErrors{"order_ids": "must be order ids (UUIDs)"}.Err()
		}
		s.IDs = append(s.IDs, u)
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil || c.Sort != f.Sort {
			return s, domain.FieldErrors{"cursor": "is not a cursor of this list and sort; start again without it"}.Err()
		}
		s.AfterValue, s.AfterID = c.Value, c.ID
	}
	return s, nil
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
		_, err = decimal.NewFromString(c.Value)
	} else {
		_, err = time.Parse(time.RFC3339Nano, c.Value)
	}
	return c, err
}
