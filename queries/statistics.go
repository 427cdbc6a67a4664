package queries

// Hand-written: the planner's statistics after the product's own bulk writes.

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Analyze gathers the planner's statistics for every table of the schema (the
// connection's current schema, where the migrations create them); with vacuum, it
// vacuums them too, so that the visibility map lets counts read an index alone. With
// vacuum, db must not be in a transaction.
//
// Why every table, found in the catalog: a bulk write (the demo's orders, a migration
// that fills a table) reaches tables that nobody remembers to list, and a table without
// statistics leaves the plan of every query that reads it to luck: after a million
// orders were loaded, the five tables the loader did not name turned each order's page
// into scans of millions of rows (issue 21). Why not only the tables that changed: the
// statistics collector counts other sessions' changes only a while after they commit.
// ANALYZE reads a sample of each table, so this takes seconds at any size.
func Analyze(ctx context.Context, db DBTX, vacuum bool) error {
	rows, err := db.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("analyze: list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("analyze: list tables: %w", err)
	}
	if len(tables) == 0 {
		return nil
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
