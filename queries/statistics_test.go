package queries_test

import (
	"context"
	"testing"

	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/queries"
)

// Analyze gives statistics to every table with rows, named nowhere, and leaves the empty
// ones unanalyzed: the planner then still assumes they may have grown, rather than
// planning them as empty for as long as a connection keeps its plans.
func TestAnalyzeEveryTableWithRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	testdb.WithoutAutovacuum(t, pool)
	if _, err := pool.Exec(ctx, `CREATE TABLE written (id int); INSERT INTO written SELECT generate_series(1, 100);
		CREATE TABLE emptied (id int); INSERT INTO emptied VALUES (1); DELETE FROM emptied;
		CREATE TABLE never_written (id int)`); err != nil {
		t.Fatal(err)
	}
	if err := queries.Analyze(ctx, pool, false); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]float64{"written": 100, "emptied": 0, "never_written": -1} {
		var got float64
		if err := pool.QueryRow(ctx, "SELECT reltuples FROM pg_class WHERE oid = $1::regclass", table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: reltuples %v after Analyze, want %v", table, got, want)
		}
	}
	var on int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace
		AND relkind = 'r' AND relname <> ALL ('{written,emptied,never_written}') AND NOT ('autovacuum_enabled=off' = ANY (coalesce(reloptions, '{}')))`).Scan(&on); err != nil {
		t.Fatal(err)
	}
	if on != 0 {
		t.Errorf("%d tables with autovacuum on after WithoutAutovacuum", on)
	}
}
