package demo_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/demo"
)

func TestLoadShop(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	start := time.Now()
	if err := demo.LoadShop(e.ctx, e.svc, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	// How long it took is logged, not asserted: timings belong to benchmarks (a loaded
	// machine made a bound here fail).
	t.Logf("%s(took %s)", out.String(), time.Since(start))

	t.Run("CheckIsClean", func(t *testing.T) { e.mustBeClean() })

	t.Run("EveryState", func(t *testing.T) {
		for _, st := range []string{"created", "pending", "paid", "processing", "shipped", "delivered", "returned", "refunded", "cancelled"} {
			if n := e.intQuery("SELECT count(*) FROM orders WHERE status = $1", st); n == 0 {
				t.Errorf("no %s order", st)
			}
		}
		for _, ps := range []string{"pending", "partially_paid", "completed", "partially_refunded", "refunded"} {
			if n := e.intQuery("SELECT count(*) FROM orders WHERE payment_status = $1", ps); n == 0 {
				t.Errorf("no order with payment_status %s", ps)
			}
		}
		if n := e.intQuery("SELECT count(*) FROM orders WHERE fulfillment_status = 'partially_fulfilled'"); n == 0 {
			t.Error("no partially fulfilled order")
		}
		if n := e.intQuery("SELECT count(*) FROM orders"); n < 250 || n > 400 {
			t.Errorf("%d orders, want a few hundred", n)
		}
		if n := e.intQuery("SELECT count(*) FROM order_history WHERE actor_type = 'system' AND note LIKE '%reservation expired'"); n == 0 {
			t.Error("no order cancelled by the reservation expiry")
		}
		if n := e.intQuery("SELECT count(DISTINCT shipping_address->>'country') FROM orders"); n < 4 {
			t.Errorf("customers from %d countries, want several", n)
		}
		if n := e.intQuery("SELECT count(*) FROM products WHERE NOT active"); n != 1 {
			t.Errorf("%d inactive products, want 1", n)
		}
		if n := e.intQuery("SELECT count(*) FROM products WHERE sale_price IS NOT NULL"); n < 3 {
			t.Errorf("%d products on sale", n)
		}
		if n := e.intQuery("SELECT count(*) FROM inventory WHERE on_hand - reserved < 6"); n < 3 {
			t.Errorf("%d low-stock products", n)
		}
		if n := e.intQuery("SELECT count(*) FROM orders WHERE 'vip' = ANY(tags)"); n < 10 {
			t.Errorf("%d vip orders, want a few dozen", n)
		}
		if n := e.intQuery("SELECT count(*) FROM orders WHERE hold_reason IS NOT NULL AND status = 'paid'"); n != 1 {
			t.Errorf("%d paid orders on hold, want 1", n)
		}
	})

	t.Run("HistorySpreadsOverWeeks", func(t *testing.T) {
		if n := e.intQuery("SELECT count(DISTINCT date_trunc('day', created_at)) FROM orders"); n < 30 {
			t.Errorf("orders on %d distinct days, want most of 45", n)
		}
		if n := e.intQuery("SELECT count(*) FROM orders WHERE created_at < now() - interval '46 days' OR created_at > now()"); n != 0 {
			t.Errorf("%d orders outside the last 45 days", n)
		}
		// Every step happens after the one before it.
		if n := e.intQuery(`SELECT count(*) FROM orders WHERE paid_at < created_at OR shipped_at < paid_at
		                    OR delivered_at < shipped_at OR cancelled_at < created_at OR updated_at > now()`); n != 0 {
			t.Errorf("%d orders whose timeline runs backwards", n)
		}
		if n := e.intQuery(`SELECT count(*) FROM order_history h JOIN orders o ON o.id = h.order_id
		                    WHERE h.created_at < o.created_at OR h.created_at > now()`); n != 0 {
			t.Errorf("%d history rows outside their order's life", n)
		}
		// Order numbers carry their (backdated) day and still increase with time.
		if n := e.intQuery(`SELECT count(*) FROM orders WHERE substr(order_number, 5, 6) <> to_char(created_at AT TIME ZONE 'UTC', 'YYMMDD')`); n != 0 {
			t.Errorf("%d order numbers with another day than their creation", n)
		}
		if n := e.intQuery(`SELECT count(*) FROM (SELECT order_number, lag(order_number) OVER (ORDER BY created_at, order_number) AS prev FROM orders) x
		                    WHERE prev > order_number`); n != 0 {
			t.Errorf("%d order numbers out of time order", n)
		}
	})

	t.Run("SafeToRunAgain", func(t *testing.T) {
		before := e.intQuery("SELECT count(*) FROM orders")
		var again bytes.Buffer
		if err := demo.LoadShop(e.ctx, e.svc, &again); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(again.String(), "demo data already loaded") {
			t.Errorf("second run said %q", again.String())
		}
		if after := e.intQuery("SELECT count(*) FROM orders"); after != before {
			t.Errorf("orders %d -> %d", before, after)
		}
	})
}
