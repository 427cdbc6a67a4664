package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/queries"
)

func recreateDB(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// dropDB runs on the way out, also after an interrupt: it has a context of its own.
func dropDB(admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oms-bench: drop %s: %v\n", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "oms-bench: drop %s: %v\n", name, err)
	}
}

// seed loads the catalog straight with SQL: through the API it would take minutes.
// Unless analyze, the tables are left as a bulk load leaves them, without statistics,
// and autovacuum is off for them, so that they stay so during the run.
func seed(ctx context.Context, dbURL string, analyze bool) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", apiDB, err)
	}
	defer conn.Close(context.Background())
	stmts := []string{
		fmt.Sprintf(`INSERT INTO products (sku, name, price, currency, active)
			SELECT '%s' || lpad(g::text, 5, '0'), 'Bench product ' || g, 10.00, 'USD', true
			FROM generate_series(1, %d) g`, skuPrefix, numSKUs),
		// effectively unlimited stock, as in the raw reference
		`INSERT INTO inventory (sku, on_hand, reserved) SELECT sku, 1000000000, 0 FROM products`,
	}
	if analyze {
		stmts = append(stmts, `VACUUM ANALYZE products`, `VACUUM ANALYZE inventory`)
	} else if err := queries.DisableAutovacuum(ctx, conn); err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

func verifyReservations(ctx context.Context, dbURL string) ([]string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", apiDB, err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `
		SELECT i.sku, i.reserved, coalesce(r.open, 0)
		FROM inventory i
		LEFT JOIN (SELECT sku, sum(quantity) AS open FROM inventory_reservations
		           WHERE status = 'reserved' GROUP BY sku) r ON r.sku = i.sku
		WHERE i.reserved <> coalesce(r.open, 0)
		ORDER BY i.sku`)
	if err != nil {
		return nil, fmt.Errorf("verify reservations: %w", err)
	}
	var bad []string
	for rows.Next() {
		var sku string
		var reserved, open int64
		if err := rows.Scan(&sku, &reserved, &open); err != nil {
			return nil, err
		}
		bad = append(bad, fmt.Sprintf("%s: reserved %d, open reservations %d", sku, reserved, open))
	}
	return bad, rows.Err()
}

// findPGTool finds a PostgreSQL program on PATH or in the distribution's directories.
func findPGTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	dirs = append(dirs, "/opt/homebrew/bin", "/usr/local/bin")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

func redact(connString string) string {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return "(unparsable connection string)"
	}
	return fmt.Sprintf("%s@%s:%d", cfg.User, cfg.Host, cfg.Port)
}

// ensureDB creates the database unless it exists.
func ensureDB(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return nil
}
