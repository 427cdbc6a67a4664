package service_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// statsViolations are the audit's findings about the order counters.
func statsViolations(e *opsEnv) []service.Violation {
	e.t.Helper()
	rep, err := e.svc.Audit(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []service.Violation
	for _, v := range rep.Violations {
		if v.Invariant == "status counters = orders" || v.Invariant == "daily counters = orders and revenue" {
			out = append(out, v)
		}
	}
	return out
}

// The counters the dashboard and the list totals read match a full recount after a
// random mix of every kind of change, made by 8 workers at once while the compaction
// job folds the deltas in concurrently.
func TestOrderCountersMatchARecountUnderConcurrentChanges(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("A", "10.00", 100_000)
	e.stock("B", "3.50", 100_000)

	stop := make(chan struct{})
	compacted := make(chan int64)
	go func() {
		var total int64
		defer func() { compacted <- total }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			n, err := e.svc.CompactOrderStats(e.ctx)
			if err != nil {
				t.Error(err)
				return
			}
			total += n
		}
	}()

	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 25 {
				story(e, rng, fmt.Sprintf("w%d-%d@example.com", w, i))
			}
		})
	}
	wg.Wait()
	close(stop)
	if n := <-compacted; n == 0 {
		t.Error("the compaction folded no deltas while the changes ran")
	}
	if v := statsViolations(e); len(v) > 0 {
		t.Fatalf("counters differ from a recount: %v", v)
	}
	if _, err := e.svc.CompactOrderStats(e.ctx); err != nil {
		t.Fatal(err)
	}
	if v := statsViolations(e); len(v) > 0 {
		t.Fatalf("after the last compaction: %v", v)
	}
	if n := e.intQuery(`SELECT count(*) FROM order_stat_deltas`); n != 0 {
		t.Errorf("%d deltas left after compacting", n)
	}

	// What the dashboard shows is the recount.
	d, err := e.svc.Dashboard(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range domain.Statuses {
		if want := e.intQuery(`SELECT count(*) FROM orders WHERE status = $1`, string(s)); d.StatusCounts[s] != want {
			t.Errorf("dashboard: %d %s orders, the table holds %d", d.StatusCounts[s], s, want)
		}
	}
	var revenue decimal.Decimal
	if err := e.pool.QueryRow(e.ctx, `SELECT coalesce(sum(total), 0) FROM orders WHERE status <> 'cancelled'
		AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`).Scan(&revenue); err != nil {
		t.Fatal(err)
	}
	if len(d.Today) != 1 || d.Today[0].Orders != 200 || !d.Today[0].Revenue.Equal(revenue) {
		t.Errorf("today: %+v, want 200 orders and %s", d.Today, revenue)
	}
}

// story plays one order's life up to a random point: created, paid, cancelled (with a
// refund), shipped, delivered, refunded in part, returned.
func story(e *opsEnv, rng *rand.Rand, email string) {
	t := e.t
	o := e.order(email, "A", 1+rng.IntN(2), "B", 1+rng.IntN(3))
	switch rng.IntN(8) {
	case 0:
		return
	case 1:
		if _, _, err := e.svc.Cancel(e.ctx, opsStaff, o.ID, "changed mind", false); err != nil {
			t.Error(err)
		}
		return
	}
	if _, _, err := e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: o.Total, Gateway: "manual"}); err != nil {
		t.Error(err)
		return
	}
	switch rng.IntN(6) {
	case 0:
		return
	case 1:
		if _, _, err := e.svc.Cancel(e.ctx, opsStaff, o.ID, "out of patience", true); err != nil {
			t.Error(err)
		}
		return
	}
	f, _, err := e.svc.Fulfill(e.ctx, opsStaff, o.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1"})
	if err != nil {
		t.Error(err)
		return
	}
	if rng.IntN(4) == 0 {
		return
	}
	if _, err := e.svc.AddTrackingEvent(e.ctx, domain.System, f.ID, domain.TrackingEventRequest{Status: "delivered"}); err != nil {
		t.Error(err)
		return
	}
	switch rng.IntN(3) {
	case 0:
		if _, _, err := e.svc.Refund(e.ctx, opsStaff, o.ID, decimal.RequireFromString("1.00"), "goodwill"); err != nil {
			t.Error(err)
		}
	case 1:
		r, err := e.svc.RequestReturn(e.ctx, opsStaff, o.ID, service.NewReturn{
			Items: []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: o.Items[0].Quantity}}})
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := e.svc.ApproveReturn(e.ctx, opsStaff, r.ID, ""); err != nil {
			t.Error(err)
		}
	}
}

// Every kind of write to the orders table moves the counters, including the ones that
// bypass the services (bulk SQL, deletes), and a write that rolls back moves nothing.
func TestOrderCountersFollowEveryWrite(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("A", "10.00", 1000)
	for i := range 5 {
		e.order(fmt.Sprintf("c%d@example.com", i), "A", 1)
	}
	e.exec(`UPDATE orders SET status = 'pending'`)
	e.exec(`UPDATE orders SET created_at = created_at - interval '3 days' WHERE id IN (SELECT id FROM orders LIMIT 2)`)
	e.exec(`UPDATE orders SET notes = 'x'`) // moves nothing
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(e.ctx, `UPDATE orders SET status = 'cancelled', cancelled_at = now()`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(e.ctx); err != nil {
		t.Fatal(err)
	}
	if v := statsViolations(e); len(v) > 0 {
		t.Fatalf("after updates: %v", v)
	}
	e.exec(`DELETE FROM orders WHERE id IN (SELECT id FROM orders LIMIT 1)`)
	if _, err := e.svc.CompactOrderStats(e.ctx); err != nil {
		t.Fatal(err)
	}
	if v := statsViolations(e); len(v) > 0 {
		t.Fatalf("after a delete: %v", v)
	}
	// A counter that is off is reported.
	e.exec(`UPDATE order_state_counts SET orders = orders + 1 WHERE status = 'pending'`)
	e.exec(`UPDATE order_daily_stats SET revenue = revenue + 1 WHERE day = (SELECT max(day) FROM order_daily_stats)`)
	if v := statsViolations(e); len(v) != 2 {
		t.Fatalf("a corrupted counter: %v, want 2 violations", v)
	}
}
