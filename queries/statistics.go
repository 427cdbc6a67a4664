package queries

// Hand-written: the planner's statistics after the product's own bulk writes.

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Analyze gathers the planner's statistics for every table of the schema that has
// rows (the connection's current schema, where the migrations create them); with
// vacuum, it vacuums them too, so that the visibility map lets counts read an index
// alone. With vacuum, db must not be in a transaction.
//
// Why every table, found in the catalog: a bulk write (the demo's orders, a migration
// that fills a table) reaches tables that nobody remembers to list, and a table without
// statistics leaves the plan of every query that reads it to luck: after a million
// orders were loaded, the five tables the loader did not name turned each order's page
// into scans of millions of rows (issue 21). Why not only the tables that changed: the
// statistics collector counts other sessions' changes only a while after they commit.
// Why not the empty ones: until a table is first analyzed the planner assumes it may
// have grown (ten pages at least), while an analyzed empty table is planned as empty,
// and a plan kept for a connection's life would stay so. ANALYZE reads a sample of each
// table, so this takes seconds at any size.
func Analyze(ctx context.Context, db DBTX, vacuum bool) error {
	tables, err := schemaTables(ctx, db, true)
	if err != nil || len(tables) == 0 {
		return err
	}
	cmd := "ANALYZE "
	if vacuum {
		cmd = "VACUUM (ANALYZE) "
	}
	if _, err := db.Exec(ctx, cmd+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// DisableAutovacuum turns autovacuum off for every table of the schema, so that they
// have only the statistics that the product's own ANALYZE gives them: what tests and
// benchmarks measure the product on, whatever the server's autovacuum would do meanwhile.
func DisableAutovacuum(ctx context.Context, db DBTX) error {
	tables, err := schemaTables(ctx, db, false)
	if err != nil || len(tables) == 0 {
		return err
	}
	if _, err := db.Exec(ctx, "ALTER TABLE "+strings.Join(tables, " SET (autovacuum_enabled = off); ALTER TABLE ")+
		" SET (autovacuum_enabled = off)"); err != nil {
		return fmt.Errorf("autovacuum off: %w", err)
	}
	return nil
}

// schemaTables are the tables of the current schema, quoted; with written, only those
// with rows in their files (or rows deleted since).
func schemaTables(ctx context.Context, db DBTX, written bool) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND (NOT $1 OR pg_relation_size(c.oid) > 0)
		ORDER BY 1`, written)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return tables, nil
}
