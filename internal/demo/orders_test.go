package demo_test

import (
	"bytes"
	"testing"

	"github.com/oms/oms/internal/demo"
)

// `oms demo --orders N` adds orders in every state that pass every audit of `oms check`
// (counters, stock, money, lines, history), with their lines, payments, shipments and
// returns, over the years asked for.
func TestLoadOrdersPassesEveryAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var out bytes.Buffer
	if err := demo.LoadShop(e.ctx, e.svc, &out); err != nil {
		t.Fatal(err)
	}
	before := e.intQuery(`SELECT count(*) FROM orders`)
	// Two years of history, then a busy last day (the young states: unpaid, paid, shipping).
	if err := demo.LoadOrders(e.ctx, e.pool, demo.Options{Orders: 3000, Years: 2, Seed: 1, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadOrders(e.ctx, e.pool, demo.Options{Orders: 25_000, Years: 0.003, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CompactOrderStats(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.mustBeClean()
	if n := e.intQuery(`SELECT count(*) FROM orders`); n != before+28_000 {
		t.Errorf("%d orders, want %d", n, before+28_000)
	}
	for _, st := range []string{"created", "pending", "paid", "processing", "shipped", "delivered", "returned", "refunded", "cancelled"} {
		if n := e.intQuery(`SELECT count(*) FROM orders WHERE status = $1`, st); n == 0 {
			t.Errorf("no %s order", st)
		}
	}
	if n := e.intQuery(`SELECT count(*) FROM orders WHERE created_at < now() - interval '700 days'`); n == 0 {
		t.Error("no order from two years ago")
	}
	for table, min := range map[string]int{"payments": 20_000, "fulfillments": 1_500, "fulfillment_events": 3_000,
		"returns": 50, "refunds": 100, "inventory_reservations": 100, "order_history": 60_000, "order_search_words": 28_000} {
		if n := e.intQuery(`SELECT count(*) FROM ` + table); n < min {
			t.Errorf("%d rows in %s, want at least %d", n, table, min)
		}
	}
	// Tags and holds as a shop has them: the tag filter and the held list have something to find.
	if n := e.intQuery(`SELECT count(*) FROM order_tags WHERE tag = 'vip'`); n < 28_000*2/100 || n > 28_000*4/100 {
		t.Errorf("%d orders tagged vip, want about 3%%", n)
	}
	if n := e.intQuery(`SELECT count(*) FROM orders WHERE hold_reason IS NOT NULL AND status <> 'paid'`); n != 0 {
		t.Errorf("%d held orders that are not paid", n)
	}
	if n := e.intQuery(`SELECT count(*) FROM orders o WHERE hold_reason IS NOT NULL AND EXISTS (
		SELECT 1 FROM order_history h WHERE h.order_id = o.id AND h.kind = 'hold' AND h.created_at = o.held_at)`); n == 0 {
		t.Error("no held order with its history")
	}
	if n := e.intQuery(`SELECT count(DISTINCT customer_email) FROM orders`); n < 900 {
		t.Errorf("%d customers", n)
	}
}
