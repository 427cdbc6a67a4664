package testdb_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/testdb"
)

func TestNewGivesAMigratedDatabase(t *testing.T) {
	pool := testdb.New(t)
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n); err != nil {
		t.Fatalf("orders table: %v", err)
	}
	if n != 0 {
		t.Fatalf("a fresh database has %d orders, want 0", n)
	}
	if got := pool.Config().MaxConns; got != testdb.MaxConns {
		t.Fatalf("MaxConns = %d, want %d", got, testdb.MaxConns)
	}
}

func TestDatabasesAreIsolated(t *testing.T) {
	ctx := context.Background()
	a, aURL := testdb.NewWithURL(t)
	b := testdb.New(t)
	if _, err := a.Exec(ctx, "INSERT INTO products (sku, name, price, currency) VALUES ('ISO-1', 'x', 1, 'USD')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM products WHERE sku = 'ISO-1'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a row written in one test database is visible in another")
	}
	conn, err := pgx.Connect(ctx, aURL)
	if err != nil {
		t.Fatalf("connect by URL: %v", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM products WHERE sku = 'ISO-1'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the URL does not reach the same database: n=%d err=%v", n, err)
	}
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		pool := testdb.New(t)
		if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	conn, err := pgx.Connect(context.Background(), testdb.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestParallelCreation(t *testing.T) {
	for range 8 {
		t.Run("db", func(t *testing.T) {
			t.Parallel()
			pool := testdb.New(t)
			if err := pool.Ping(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}
