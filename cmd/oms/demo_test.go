package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/testdb"
)

// oms demo and oms demo --orders leave every table they wrote with the planner's
// statistics, with autovacuum off: nothing is planned on luck right after a load.
func TestDemoLeavesEveryTableAnalyzed(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	testdb.WithoutAutovacuum(t, pool)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	unanalyzed := func() []string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var missing []string
		for _, table := range tables {
			// A table with rows has statistics once analyzed: rows in pg_stats, and a
			// row count in pg_class.
			var hasRows, hasStats bool
			err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`),
				EXISTS (SELECT 1 FROM pg_stats s WHERE format('%I.%I', s.schemaname, s.tablename) = $1)
				AND (SELECT reltuples > 0 FROM pg_class WHERE oid = $1::regclass)`, table).Scan(&hasRows, &hasStats)
			if err != nil {
				t.Fatal(err)
			}
			if hasRows && !hasStats {
				missing = append(missing, table)
			}
		}
		return missing
	}

	var out strings.Builder
	if err := run(ctx, []string{"demo"}, nil, &out); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if m := unanalyzed(); len(m) > 0 {
		t.Errorf("after oms demo, tables with rows and no statistics: %s", strings.Join(m, ", "))
	}
	if err := run(ctx, []string{"demo", "--orders", "2000", "--seed", "1"}, nil, &out); err != nil {
		t.Fatalf("demo --orders: %v\n%s", err, out.String())
	}
	if m := unanalyzed(); len(m) > 0 {
		t.Errorf("after oms demo --orders, tables with rows and no statistics: %s", strings.Join(m, ", "))
	}
}
