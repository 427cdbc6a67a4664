package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/testdb"
)

// oms demo, then oms check: clean; demo again: nothing new; a corrupted row makes check
// fail (non-zero exit) naming the violation.
func TestDemoThenCheck(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"demo"}, nil, &out); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if !strings.Contains(out.String(), "300 orders") {
		t.Errorf("demo said %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"check"}, nil, &out); err != nil || out.String() != "OK: 300 orders, 40 SKUs checked\n" {
		t.Fatalf("check after demo: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"demo"}, nil, &out); err != nil || out.String() != "demo data already loaded\n" {
		t.Errorf("demo again: %v, %q", err, out.String())
	}

	if _, err := pool.Exec(ctx, "UPDATE inventory SET reserved = reserved + 1 WHERE sku = 'MUG-STONEWARE'"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := run(ctx, []string{"check"}, nil, &out)
	if err == nil || !strings.Contains(oneLine(err), "1 invariant violations") {
		t.Errorf("check of a corrupted database: %v", err)
	}
	if !strings.HasPrefix(out.String(), "VIOLATION reserved = open reservations: MUG-STONEWARE: ") {
		t.Errorf("check output %q", out.String())
	}
}

// oms serve runs the reservation expiry unless OMS_JOBS=off, and stops it on shutdown.
func TestServeRunsReservationExpiry(t *testing.T) {
	for _, jobs := range []bool{true, false} {
		pool, url := testdb.NewWithURL(t)
		ctx := context.Background()
		for _, sql := range []string{
			"INSERT INTO products (sku, name, price, currency) VALUES ('TEE', 'Tee', 10, 'USD')",
			"INSERT INTO inventory (sku, on_hand, reserved) VALUES ('TEE', 5, 0)",
		} {
			if _, err := pool.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		}
		svc := newService(pool, config{ReservationTTL: time.Minute})
		order, _, err := svc.CreateOrder(ctx, domain.System, domain.NewOrder{
			Customer:        domain.Customer{Email: "ann@example.com", Name: "Ann"},
			ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St", City: "Springfield", Country: "US"},
			Items:           []domain.ItemRequest{{SKU: "TEE", Quantity: 1}},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		o := order.ID
		if _, err := pool.Exec(ctx, "UPDATE orders SET created_at = now() - interval '2 minutes' WHERE id = $1", o); err != nil {
			t.Fatal(err)
		}

		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		serveCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- serve(serveCtx, config{DatabaseURL: url, Addr: addr, Jobs: jobs, ReservationTTL: time.Minute}, nil)
		}()
		waitReady(t, "http://"+addr+"/healthz")

		status := ""
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if err := pool.QueryRow(ctx, "SELECT status FROM orders WHERE id = $1", o).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if status == "cancelled" || !jobs && time.Until(deadline) < 7*time.Second {
				break
			}
		}
		stop()
		if err := <-done; err != nil {
			t.Errorf("jobs=%v: serve returned %v", jobs, err)
		}
		if want := map[bool]string{true: "cancelled", false: "created"}[jobs]; status != want {
			t.Errorf("jobs=%v: order %s, want %s", jobs, status, want)
		}
	}
}

// oms token add --scopes makes a token limited to those scopes; an unknown scope is
// refused before anything is written.
func TestTokenAddWithScopes(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"token", "add", "--name", "x", "--scopes", "orders:read,root"}, nil, &out); err == nil ||
		!strings.Contains(oneLine(err), `unknown scope "root"`) {
		t.Fatalf("unknown scope: %v", err)
	}
	if err := run(ctx, []string{"token", "add", "--name", "storefront", "--scopes", "orders:write, orders:read"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	var scopes []string
	if err := pool.QueryRow(ctx, "SELECT scopes FROM api_tokens").Scan(&scopes); err != nil || strings.Join(scopes, ",") != "orders:read,orders:write" {
		t.Fatalf("stored scopes %v, %v", scopes, err)
	}
}

// What the command line changes is in the activity log, by cli.
func TestCommandLineChangesAreInTheActivityLog(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"user", "add", "--email", "ann@example.com", "--name", "Ann", "--role", "support"},
		strings.NewReader("a-long-enough-password\n"), &out); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"token", "add", "--name", "storefront"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"user", "passwd", "--email", "ann@example.com"}, strings.NewReader("another-long-password\n"), &out); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"user", "disable", "--email", "ann@example.com"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, "SELECT actor || '/' || actor_type || '/' || kind FROM activity ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || strings.Join(got, " ") != "cli/cli/user cli/cli/token cli/cli/user cli/cli/user" {
		t.Errorf("activity %v, %v", got, err)
	}
}
