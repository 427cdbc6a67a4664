// Package migrations holds the SQL schema, embedded in the binary, and applies it.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/oms/oms/queries"
)

//go:embed *.sql
var FS embed.FS

// upLock is the session advisory lock that `oms migrate` holds while it migrates.
const upLock = 0x6f6d735f6d696772 // "oms_migr"

// Up applies every pending migration: the OMS schema (goose) and the job queue's
// tables (river). Running it again is a no-op, and so is running it in several
// processes at once (each `oms serve` deployment step may): they take turns.
func Up(ctx context.Context, pool *pgxpool.Pool) error {
	// River's migrator takes no lock of its own: two processes migrating a fresh
	// database at once would both create its types. One session lock covers both steps;
	// it needs a session of its own (a direct connection, not a transaction pooler).
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Release()
	if err := waitForLock(ctx, conn); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", upLock) //nolint:errcheck // released with the session anyway
	return up(ctx, pool)
}

// waitForLock takes upLock, trying again every lockRetry. It never waits inside a
// statement: a statement waiting for the lock holds a snapshot, and CREATE INDEX
// CONCURRENTLY (00031) waits for every older snapshot of its database to end, so the
// holder would wait for the waiter forever.
func waitForLock(ctx context.Context, conn *pgxpool.Conn) error {
	for {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", upLock).Scan(&got); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if got {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migration lock: %w", ctx.Err())
		case <-time.After(lockRetry):
		}
	}
}

// lockRetry is how often a migrator waiting for another tries the lock again.
const lockRetry = 200 * time.Millisecond

func up(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	// goose's own session lock, kept for its table's sake.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	// The job queue's tables first: the schema's outbox trigger inserts into them.
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, FS, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	applied, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	if len(applied) == 0 {
		return nil
	}
	// A migration may fill, rewrite or index tables: what it leaves is analyzed before
	// anything is planned on it (autovacuum may be off, busy, or late).
	return queries.Analyze(ctx, pool, false)
}
