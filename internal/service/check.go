package service

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/queries"
)

// Violation is one broken invariant: which rule, what (a SKU, an order number, an order
// line) and how.
type Violation struct {
	Invariant string
	Subject   string
	Detail    string
}

func (v Violation) String() string { return v.Invariant + ": " + v.Subject + ": " + v.Detail }

// CheckReport is the outcome of an audit.
type CheckReport struct {
	Orders     int64
	SKUs       int64
	Violations []Violation
}

// finding is the shape every check query answers; each generated row type has it.
type finding = struct {
	Subject string
	Detail  string
}

// collect turns a check query's rows into violations of the named invariant.
func collect[T ~struct {
	Subject string
	Detail  string
}](invariant string, rows []T, err error) ([]Violation, error) {
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", invariant, err)
	}
	out := make([]Violation, len(rows))
	for i, r := range rows {
		f := finding(r)
		out[i] = Violation{Invariant: invariant, Subject: f.Subject, Detail: f.Detail}
	}
	return out, nil
}

// Audit checks the database's invariants, each with one set-based query over every SKU
// and order. It reads one snapshot (a repeatable-read, read-only transaction), so
// concurrent writers cannot make it report a half-finished change.
func (s *Service) Audit(ctx context.Context) (CheckReport, error) {
	var rep CheckReport
	tx, err := s.pool.BeginTx(ctx, pgxRepeatableReadOnly)
	if err != nil {
		return rep, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	q := queries.New(tx)
	counts, err := q.CheckCounts(ctx)
	if err != nil {
		return rep, fmt.Errorf("count: %w", err)
	}
	rep.Orders, rep.SKUs = counts.Orders, counts.Skus

	checks := []func() ([]Violation, error){
		func() ([]Violation, error) {
			r, err := q.CheckReservedMatchesReservations(ctx)
			return collect("reserved = open reservations", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckStockBounds(ctx)
			return collect("0 <= reserved <= on_hand", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckPaidMatchesPayments(ctx)
			return collect("paid = completed payments", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckRefundedMatchesRefunds(ctx)
			return collect("refunded = succeeded refunds, refunded + pending <= paid", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckRefundsSettled(ctx)
			return collect("refunds follow their parts", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckLineQuantities(ctx)
			return collect("line quantities", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckOrderAmounts(ctx)
			return collect("order amounts", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckDerivedStatuses(ctx)
			return collect("payment and fulfillment status", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckStatusMatchesAmounts(ctx)
			return collect("status backed by money and goods", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckNoStrandedReservations(ctx)
			return collect("no stranded reservations", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckReservationsBelongToLines(ctx)
			return collect("reservations belong to order lines", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckHistoryMatchesStatus(ctx)
			return collect("history records the status", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckLineSummary(ctx)
			return collect("line summary = lines", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckOrderStateCounts(ctx)
			return collect("status counters = orders", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckOrderDailyStats(ctx)
			return collect("daily counters = orders and revenue", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckOrderTags(ctx)
			return collect("order_tags = orders' tags", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckShipBy(ctx)
			return collect("a deadline only while waiting to ship", r, err)
		},
		func() ([]Violation, error) {
			r, err := q.CheckVersions(ctx)
			return collect("versions count the changes", r, err)
		},
	}
	for _, check := range checks {
		v, err := check()
		if err != nil {
			return rep, err
		}
		rep.Violations = append(rep.Violations, v...)
	}
	return rep, nil
}

// Check audits the database (oms check): it prints "OK: ..." and returns nil when every
// invariant holds, else prints one line per violation and returns an error counting them.
func (s *Service) Check(ctx context.Context, out io.Writer) error {
	rep, err := s.Audit(ctx)
	if err != nil {
		return err
	}
	if len(rep.Violations) == 0 {
		fmt.Fprintf(out, "OK: %d orders, %d SKUs checked\n", rep.Orders, rep.SKUs)
		return nil
	}
	for _, v := range rep.Violations {
		fmt.Fprintln(out, "VIOLATION "+v.String())
	}
	return fmt.Errorf("check: %d invariant violations in %d orders and %d SKUs", len(rep.Violations), rep.Orders, rep.SKUs)
}

var pgxRepeatableReadOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
