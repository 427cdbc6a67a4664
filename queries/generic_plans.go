package queries

// Hand-written: DBTXs that choose how PostgreSQL plans their statements.

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Batcher is what GenericPlans needs of a pool or connection.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// GenericPlans returns a DBTX that runs each statement with plan_cache_mode set to
// force_generic_plan, in the same round trip (one pipelined batch, one implicit
// transaction).
//
// Why: PostgreSQL re-plans a prepared statement for every execution ("custom plans") when
// it cannot cost its generic plan well, as with array parameters of unknown length. For
// the order write, a many-part statement, planning then costs more than the work itself
// (about 1 ms against 0.3 ms), on the hottest path of the system. Forced generic plans are
// planned once per connection. Only statements whose plan does not depend on parameter
// values (key lookups, inserts) may use this: a search's plan does, and keeps the default.
func GenericPlans(db Batcher) DBTX { return genericPlans{db: db, mode: "force_generic_plan"} }

// CustomPlans returns a DBTX that plans each execution for its own parameter values, in
// the same round trip. Why: a cached statement may switch to a generic plan after a few
// runs, and a search's best plan depends on its values (a trigram pattern, a prefix
// range, how many orders a status holds): one plan for all of them is slow for some.
func CustomPlans(db Batcher) DBTX { return genericPlans{db: db, mode: "force_custom_plan"} }

type genericPlans struct {
	db   Batcher
	mode string
}

func (g genericPlans) send(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue("SET plan_cache_mode = " + g.mode)
	b.Queue(sql, args...)
	// An error in the statement aborts the implicit transaction, which undoes the SET too.
	b.Queue("RESET plan_cache_mode")
	br := g.db.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		return failedBatch{br, err}
	}
	return br
}

func (g genericPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br := g.send(ctx, sql, args)
	tag, err := br.Exec()
	return tag, finish(br, err)
}

func (g genericPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	br := g.send(ctx, sql, args)
	return batchRow{br: br, row: br.QueryRow()}
}

func (g genericPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br := g.send(ctx, sql, args)
	rows, err := br.Query()
	if err != nil {
		return nil, finish(br, err)
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// batchRows finishes the batch as soon as the statement's rows are read, and reports
// what finishing it says through Err. The batch commits only then (at its end, after
// the RESET): rows that arrived are not yet written, and a commit that fails after them
// (a connection lost, a server shut down, a deferred constraint) must be an error where
// sqlc's code looks for one, which is Err after Next, before the deferred Close.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if r.closed {
		return r.err
	}
	return r.Rows.Err()
}

func (r *batchRows) Close() {
	if !r.closed {
		r.closed = true
		r.Rows.Close()
		r.err = finish(r.br, r.Rows.Err())
	}
}

// batchRow scans the statement's row, then finishes the batch.
type batchRow struct {
	br  pgx.BatchResults
	row pgx.Row
}

func (r batchRow) Scan(dest ...any) error {
	return finish(r.br, r.row.Scan(dest...))
}

// finish reads the RESET's result and closes the batch, keeping the statement's error.
func finish(br pgx.BatchResults, err error) error {
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// failedBatch answers every read with the error of the batch's first statement.
type failedBatch struct {
	pgx.BatchResults
	err error
}

func (f failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, f.err }
func (f failedBatch) QueryRow() pgx.Row                { return errRow{f.err} }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
