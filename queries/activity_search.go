package queries

// Hand-written: the activity log reads two tables (every order's history, and the
// changes outside orders) as one list, newest first, by keyset on each one's index
// (migration 00031), and only the filters in use are sent, so that each one uses its
// index at any number of rows.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Activity sources, ranked for the log's order (at DESC, rank DESC, id DESC): rows at
// the same moment list the changes outside orders first.
const (
	ActivityFromHistory = 0
	ActivityFromLog     = 1
)

// HistoryActor is how the log names the actor of a history row (domain.Actor.LogName):
// the same expression as the index order_history_actor_idx, so that a filter on it reads
// that index.
const HistoryActor = `(CASE h.actor_type WHEN 'staff' THEN coalesce(h.actor_email, h.actor) WHEN 'token' THEN h.actor ELSE h.actor_type END)`

// ActivityKey is an entry's position in the log.
type ActivityKey struct {
	At   time.Time
	Rank int
	ID   int64
}

// ActivitySearch selects entries of the log; zero values mean "any".
type ActivitySearch struct {
	Actor       string
	Kind        string // "order": history rows only; another kind: that kind of change only
	OrderID     uuid.UUID
	From, To    *time.Time // To exclusive
	After       *ActivityKey
	Limit       int
	SkipHistory bool // the kind names changes outside orders
	SkipLog     bool // the kind is order, or an order is named
}

// ActivityRow is one entry: a history row (Rank ActivityFromHistory: Status, Note, the
// order) or a change outside orders (Summary, Details).
type ActivityRow struct {
	Rank        int
	ID          int64
	At          time.Time
	Actor       string
	ActorType   string
	Kind        string
	Status      string
	Note        string
	Summary     string
	Details     []byte
	OrderID     uuid.NullUUID
	OrderNumber string
}

// keyset is the predicate "after s.After" for the source of rank: the list is ordered by
// (at, rank, id) descending.
func (s ActivitySearch) keyset(rank int, alias string, args *sqlArgs) string {
	a := s.After
	switch {
	case a == nil:
		return ""
	case rank < a.Rank:
		return fmt.Sprintf("%s.created_at <= %s", alias, args.add(a.At))
	case rank > a.Rank:
		return fmt.Sprintf("%s.created_at < %s", alias, args.add(a.At))
	}
	return fmt.Sprintf("(%[1]s.created_at, %[1]s.id) < (%[2]s::timestamptz, %[3]s::bigint)", alias, args.add(a.At), args.add(a.ID))
}

func (s ActivitySearch) dates(alias string, args *sqlArgs) []string {
	var conds []string
	if s.From != nil {
		conds = append(conds, alias+".created_at >= "+args.add(*s.From))
	}
	if s.To != nil {
		conds = append(conds, alias+".created_at < "+args.add(*s.To))
	}
	return conds
}

// SearchActivity returns up to s.Limit entries after s.After, newest first.
func (q *Queries) SearchActivity(ctx context.Context, s ActivitySearch) ([]ActivityRow, error) {
	var args sqlArgs
	var parts []string
	limit := args.add(s.Limit)
	if !s.SkipHistory {
		conds := s.dates("h", &args)
		if s.Actor != "" {
			conds = append(conds, HistoryActor+" = "+args.add(s.Actor))
		}
		if s.OrderID != uuid.Nil {
			conds = append(conds, "h.order_id = "+args.add(s.OrderID))
		}
		if k := s.keyset(ActivityFromHistory, "h", &args); k != "" {
			conds = append(conds, k)
		}
		// The page of history rows first, then their orders' numbers (one probe each).
		parts = append(parts, fmt.Sprintf(`(SELECT %d AS rank, h.id, h.created_at, h.actor, h.actor_type, h.kind, h.status, h.note,
				'' AS summary, NULL::jsonb AS details, h.order_id, o.order_number
			FROM (SELECT h.id, h.created_at, %s AS actor, h.actor_type, h.kind, h.status, h.note, h.order_id
			      FROM order_history h WHERE %s ORDER BY h.created_at DESC, h.id DESC LIMIT %s) h
			JOIN orders o ON o.id = h.order_id)`, ActivityFromHistory, HistoryActor, and(conds), limit))
	}
	if !s.SkipLog {
		conds := s.dates("a", &args)
		if s.Actor != "" {
			conds = append(conds, "a.actor = "+args.add(s.Actor))
		}
		if s.Kind != "" {
			conds = append(conds, "a.kind = "+args.add(s.Kind))
		}
		if k := s.keyset(ActivityFromLog, "a", &args); k != "" {
			conds = append(conds, k)
		}
		parts = append(parts, fmt.Sprintf(`(SELECT %d AS rank, a.id, a.created_at, a.actor, a.actor_type, a.kind, '' AS status, '' AS note,
				a.summary, a.details, NULL::uuid AS order_id, '' AS order_number
			FROM activity a WHERE %s ORDER BY a.created_at DESC, a.id DESC LIMIT %s)`, ActivityFromLog, and(conds), limit))
	}
	if len(parts) == 0 {
		return []ActivityRow{}, nil
	}
	sql := fmt.Sprintf("SELECT * FROM (%s) e ORDER BY created_at DESC, rank DESC, id DESC LIMIT %s",
		strings.Join(parts, "\nUNION ALL\n"), limit)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ActivityRow, error) {
		var a ActivityRow
		var orderNumber *string
		err := r.Scan(&a.Rank, &a.ID, &a.At, &a.Actor, &a.ActorType, &a.Kind, &a.Status, &a.Note, &a.Summary, &a.Details,
			&a.OrderID, &orderNumber)
		if orderNumber != nil {
			a.OrderNumber = *orderNumber
		}
		return a, err
	})
}
