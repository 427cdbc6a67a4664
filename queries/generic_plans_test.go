package queries_test

import (
	"context"
	"testing"

	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/queries"
)

// A statement sent through GenericPlans commits only at the end of its batch, after the
// RESET: its rows arriving is not its commit. A commit that fails after them (here a
// deferred constraint trigger; in production a connection lost or a server shut down
// in between) must reach the caller as an error, read as sqlc's code reads it, so that
// no order is acknowledged that was never written.
func TestGenericPlansReportsAFailedCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := pool.Exec(ctx, `
		CREATE TABLE commit_probe (x int NOT NULL);
		CREATE FUNCTION commit_probe_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.x < 0 THEN RAISE EXCEPTION 'refused at commit'; END IF;
			RETURN NULL;
		END $$;
		CREATE CONSTRAINT TRIGGER commit_probe_at_commit AFTER INSERT ON commit_probe
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_probe_refuse();`); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM commit_probe`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	for _, db := range []struct {
		name string
		tx   queries.DBTX
	}{{"generic", queries.GenericPlans(pool)}, {"custom", queries.CustomPlans(pool)}} {
		t.Run(db.name, func(t *testing.T) {
			// Query, read as sqlc's :many methods read it: rows, Err, then Close.
			readAll := func(x int) ([]int, error) {
				rows, err := db.tx.Query(ctx, `INSERT INTO commit_probe VALUES ($1) RETURNING x`, x)
				if err != nil {
					return nil, err
				}
				defer rows.Close()
				var got []int
				for rows.Next() {
					var v int
					if err := rows.Scan(&v); err != nil {
						return nil, err
					}
					got = append(got, v)
				}
				return got, rows.Err()
			}
			before := count()
			if got, err := readAll(-1); err == nil {
				t.Errorf("Query: rows %v and no error, but nothing was committed", got)
			}
			var v int
			if err := db.tx.QueryRow(ctx, `INSERT INTO commit_probe VALUES ($1) RETURNING x`, -2).Scan(&v); err == nil {
				t.Error("QueryRow: no error, but nothing was committed")
			}
			if _, err := db.tx.Exec(ctx, `INSERT INTO commit_probe VALUES ($1)`, -3); err == nil {
				t.Error("Exec: no error, but nothing was committed")
			}
			if n := count(); n != before {
				t.Fatalf("%d rows written, want %d", n, before)
			}
			// What commits is answered as before, and the connection serves the next statement.
			if got, err := readAll(7); err != nil || len(got) != 1 || got[0] != 7 {
				t.Errorf("Query of a good row: %v, %v", got, err)
			}
			if err := db.tx.QueryRow(ctx, `INSERT INTO commit_probe VALUES ($1) RETURNING x`, 8).Scan(&v); err != nil || v != 8 {
				t.Errorf("QueryRow of a good row: %d, %v", v, err)
			}
			if n := count(); n != before+2 {
				t.Errorf("%d rows, want %d", n, before+2)
			}
		})
	}
}
