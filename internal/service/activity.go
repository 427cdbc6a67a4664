package service

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// The store-wide activity log (issue 28): the orders' history rows, and the changes staff
// make outside orders (settings, users, tokens, webhook endpoints, stock, logins), each
// recorded in the transaction of its change by audit.

type actorKey struct{}

// WithActor returns a context saying who makes the changes done with it: the web layer
// sets the staff user or token of the request, the command line domain.CLI. Use cases that
// take no actor of their own record it in the activity log.
func WithActor(ctx context.Context, a domain.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor WithActor set, if any.
func ActorOf(ctx context.Context) (domain.Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(domain.Actor)
	return a, ok
}

// actorFrom is who changes something with ctx: the system unless someone is named.
func actorFrom(ctx context.Context) domain.Actor {
	if a, ok := ActorOf(ctx); ok {
		return a
	}
	return domain.System
}

// audit records a change outside orders in the activity log, with q (the change's
// transaction), by actor.
func audit(ctx context.Context, q *queries.Queries, actor domain.Actor, kind, summary string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("activity details: %w", err)
	}
	if err := q.InsertActivity(ctx, queries.InsertActivityParams{Actor: domain.ClipText(actor.LogName(), domain.MaxName),
		ActorType: string(actor.Type), Kind: kind, Summary: domain.ClipText(summary, 500), Details: b}); err != nil {
		return fmt.Errorf("record %s activity: %w", kind, err)
	}
	return nil
}

// audited runs change and records what it did in the activity log, in one transaction,
// by the actor of ctx.
func (s *Service) audited(ctx context.Context, kind string, change func(q *queries.Queries) (summary string, details map[string]any, err error)) error {
	return s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		summary, details, err := change(q)
		if err != nil {
			return err
		}
		return audit(ctx, q, actorFrom(ctx), kind, summary, details)
	})
}

// ActivityPage is one page of the log, newest first.
type ActivityPage struct {
	Entries    []domain.ActivityEntry
	NextCursor string // empty on the last page
}

// activityCursor is the position after a page's last entry.
type activityCursor struct {
	At   string `json:"t"`
	Rank int    `json:"r"`
	ID   int64  `json:"i"`
}

// ListActivity returns a page of the log. Each source is read by keyset on its index and
// stops at the page, so a page costs the same at ten rows and at tens of millions.
func (s *Service) ListActivity(ctx context.Context, f domain.ActivityFilter) (ActivityPage, error) {
	search, err := activitySearch(&f)
	if err != nil {
		return ActivityPage{}, err
	}
	search.Limit = f.Limit + 1
	rows, err := queries.New(s.reader(ctx)).SearchActivity(ctx, search)
	if err != nil {
		return ActivityPage{}, fmt.Errorf("activity: %w", err)
	}
	page := ActivityPage{Entries: make([]domain.ActivityEntry, 0, len(rows))}
	more := len(rows) > f.Limit
	if more {
		rows = rows[:f.Limit]
	}
	for _, r := range rows {
		e, err := activityEntry(r)
		if err != nil {
			return ActivityPage{}, err
		}
		page.Entries = append(page.Entries, e)
	}
	if more {
		last := rows[len(rows)-1]
		b, _ := json.Marshal(activityCursor{At: last.At.UTC().Format(time.RFC3339Nano), Rank: last.Rank, ID: last.ID}) // plain fields
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}

// ForEachActivity calls fn with every entry f selects (its cursor and limit aside), newest
// first, a page at a time: memory stays flat however long the log. An error from fn stops it.
func (s *Service) ForEachActivity(ctx context.Context, f domain.ActivityFilter, fn func(domain.ActivityEntry) error) error {
	f.Limit, f.Cursor = domain.MaxPageSize, ""
	for {
		page, err := s.ListActivity(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		f.Cursor = page.NextCursor
	}
}

// activitySearch validates f and turns it into the log's query.
func activitySearch(f *domain.ActivityFilter) (queries.ActivitySearch, error) {
	f.Actor = strings.TrimSpace(f.Actor)
	if err := f.Validate(); err != nil {
		return queries.ActivitySearch{}, err
	}
	s := queries.ActivitySearch{Actor: f.Actor, Kind: f.Kind, From: f.From, To: f.To,
		SkipHistory: f.Kind != "" && f.Kind != domain.ActivityOrder,
		SkipLog:     f.Kind == domain.ActivityOrder || f.OrderID != ""}
	if s.Kind == domain.ActivityOrder {
		s.Kind = ""
	}
	if f.OrderID != "" {
		id, err := uuid.Parse(f.OrderID)
		if err != nil {
			return s, domain.FieldErrors{"order_id": "must be an order id (UUID)"}.Err()
		}
		s.OrderID = id
	}
	if f.Cursor != "" {
		var c activityCursor
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		at, terr := time.Parse(time.RFC3339Nano, c.At)
		if err != nil || terr != nil || c.ID <= 0 || (c.Rank != queries.ActivityFromHistory && c.Rank != queries.ActivityFromLog) {
			return s, domain.FieldErrors{"cursor": "is not a cursor of the activity log; start again without it"}.Err()
		}
		s.After = &queries.ActivityKey{At: at, Rank: c.Rank, ID: c.ID}
	}
	return s, nil
}

func activityEntry(r queries.ActivityRow) (domain.ActivityEntry, error) {
	e := domain.ActivityEntry{At: r.At, Actor: r.Actor, ActorType: domain.ActorType(r.ActorType), Kind: r.Kind,
		Summary: r.Summary}
	if r.Rank == queries.ActivityFromHistory {
		e.ID = "hist_" + strconv.FormatInt(r.ID, 10)
		e.Kind = domain.ActivityOrder
		e.OrderID, e.OrderNumber = r.OrderID.UUID.String(), r.OrderNumber
		e.Summary = domain.HistorySummary(r.Kind, r.Status, r.Note)
		e.Details = map[string]any{"kind": r.Kind, "status": r.Status, "note": r.Note, "order_number": r.OrderNumber}
		return e, nil
	}
	e.ID = "act_" + strconv.FormatInt(r.ID, 10)
	if err := json.Unmarshal(r.Details, &e.Details); err != nil {
		return e, fmt.Errorf("activity %d details: %w", r.ID, err)
	}
	return e, nil
}

// ActivityColumns are the columns of the log's CSV export, in order.
var ActivityColumns = []string{"at", "actor", "actor_type", "kind", "order_number", "summary"}

// ExportActivity writes every entry f selects as CSV to w, newest first, a page at a time
// (flushed after each when w can flush): memory stays flat however long the log. Nothing
// is written when f is invalid, so that the caller can still answer an error.
func (s *Service) ExportActivity(ctx context.Context, f domain.ActivityFilter, w io.Writer) error {
	if _, err := activitySearch(&f); err != nil {
		return err
	}
	out := csv.NewWriter(w)
	header := false
	flush := func() error {
		out.Flush()
		if err := out.Error(); err != nil {
			return fmt.Errorf("activity export: %w", err)
		}
		if fl, ok := w.(interface{ Flush() }); ok {
			fl.Flush()
		}
		return nil
	}
	n := 0
	err := s.ForEachActivity(ctx, f, func(e domain.ActivityEntry) error {
		if !header {
			header = true
			if err := out.Write(ActivityColumns); err != nil {
				return err
			}
		}
		rec := []string{e.At.UTC().Format(time.RFC3339), e.Actor, string(e.ActorType), e.Kind, e.OrderNumber, e.Summary}
		for i := range rec {
			rec[i] = defuseFormula(rec[i])
		}
		if err := out.Write(rec); err != nil {
			return err
		}
		if n++; n%domain.MaxPageSize == 0 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !header {
		if err := out.Write(ActivityColumns); err != nil {
			return err
		}
	}
	return flush()
}
