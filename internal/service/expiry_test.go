package service_test

import (
	"sync"
	"testing"
	"time"

	"github.com/oms/oms/internal/domain"
)

func TestExpireReservations(t *testing.T) {
	t.Run("CancelsUnpaidOrdersReleasesStockWritesSystemHistory", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("TEE-M", "20.00", 10)
		old := e.order("old@example.com", "TEE-M", 3)
		pending := e.order("pending@example.com", "TEE-M", 2)
		fresh := e.order("fresh@example.com", "TEE-M", 1)
		if _, err := e.svc.Transition(e.ctx, opsStaff, pending.ID, domain.StatusPending, ""); err != nil {
			t.Fatal(err)
		}
		e.backdate(old.ID, 31*time.Minute)
		e.backdate(pending.ID, 2*time.Hour)
		if got := e.reserved("TEE-M"); got != 6 {
			t.Fatalf("reserved before = %d, want 6", got)
		}

		n, err := e.svc.ExpireReservations(e.ctx, time.Now().Add(-30*time.Minute), 100)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("expired %d orders, want 2", n)
		}
		for _, id := range []string{old.ID, pending.ID} {
			o, err := e.svc.GetOrder(e.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != domain.StatusCancelled || o.CancelledAt == nil {
				t.Errorf("%s: status %s, cancelled_at %v; want cancelled with a time", o.Number, o.Status, o.CancelledAt)
			}
			last := o.History[len(o.History)-1]
			if last.Status != "cancelled" || last.ActorType != domain.ActorSystem || last.Actor != "system" ||
				last.Note != "not paid within 30m: reservation expired" {
				t.Errorf("%s: last history %+v, want a system cancellation saying why", o.Number, last)
			}
		}
		if o, _ := e.svc.GetOrder(e.ctx, fresh.ID); o.Status != domain.StatusCreated {
			t.Errorf("fresh order: status %s, want created (still within the TTL)", o.Status)
		}
		if got := e.reserved("TEE-M"); got != 1 {
			t.Errorf("reserved after = %d, want 1 (only the fresh order's)", got)
		}

		n, err = e.svc.ExpireReservations(e.ctx, time.Now().Add(-30*time.Minute), 100)
		if err != nil || n != 0 {
			t.Errorf("second run: %d, %v; want 0 orders", n, err)
		}
		e.mustBeClean()
	})

	t.Run("LeavesPaidAndProcessedOrdersAlone", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("MUG", "10.00", 10)
		o := e.order("paid@example.com", "MUG", 1)
		// Paid in the database as the payments service would leave it.
		e.exec(`UPDATE orders SET status = 'paid', paid = total, payment_status = 'completed', paid_at = now(),
		        created_at = now() - interval '2 hours' WHERE id = $1`, o.ID)
		n, err := e.svc.ExpireReservations(e.ctx, time.Now().Add(-30*time.Minute), 100)
		if err != nil || n != 0 {
			t.Fatalf("expired %d, %v; want 0", n, err)
		}
		if got := e.reserved("MUG"); got != 1 {
			t.Errorf("reserved = %d, want 1", got)
		}
	})

	t.Run("LeavesOrdersWithMoneyOnThemToStaff", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("MUG", "10.00", 10)
		partly := e.order("partly@example.com", "MUG", 2)
		inFlight := e.order("card@example.com", "MUG", 1)
		e.exec(`UPDATE orders SET paid = 5, payment_status = 'partially_paid' WHERE id = $1`, partly.ID)
		e.exec(`INSERT INTO payments (order_id, gateway, amount, currency, status, external_id)
		        VALUES ($1, 'stripe', 10, 'USD', 'pending', 'pi_in_flight')`, inFlight.ID)
		e.exec(`INSERT INTO payments (order_id, gateway, amount, currency, status) VALUES ($1, 'manual', 5, 'USD', 'completed')`, partly.ID)
		e.backdate(partly.ID, 2*time.Hour)
		e.backdate(inFlight.ID, 2*time.Hour)
		n, err := e.svc.ExpireReservations(e.ctx, time.Now().Add(-30*time.Minute), 100)
		if err != nil || n != 0 {
			t.Fatalf("expired %d, %v; want 0: a partly paid order and one with a card payment in flight stay", n, err)
		}
		if got := e.reserved("MUG"); got != 3 {
			t.Errorf("reserved = %d, want 3", got)
		}
	})

	t.Run("RespectsTheBatchLimit", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("PEN", "1.00", 100)
		for range 5 {
			e.backdate(e.order("a@example.com", "PEN", 1).ID, time.Hour)
		}
		n, err := e.svc.ExpireReservations(e.ctx, time.Now().Add(-30*time.Minute), 3)
		if err != nil || n != 3 {
			t.Fatalf("first batch: %d, %v; want 3", n, err)
		}
		n, err = e.svc.ExpireReservations(e.ctx, time.Now().Add(-30*time.Minute), 3)
		if err != nil || n != 2 {
			t.Fatalf("second batch: %d, %v; want 2", n, err)
		}
	})
}

// Several `oms serve` processes may run the expiry job at once: each order must be
// cancelled exactly once, with one history row, and its stock released once.
func TestExpireReservationsConcurrentRunsNoDoubleProcessing(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("HOT", "5.00", 1000)
	e.stock("COLD", "7.00", 1000)
	const orders = 120
	for i := range orders {
		o := e.order("c@example.com", "HOT", 1+i%3, "COLD", 2)
		e.backdate(o.ID, time.Hour)
	}
	fresh := e.order("fresh@example.com", "HOT", 4)

	const runners = 6
	var wg sync.WaitGroup
	counts := make([]int, runners)
	errs := make([]error, runners)
	cutoff := time.Now().Add(-30 * time.Minute)
	for r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := e.svc.ExpireReservations(e.ctx, cutoff, 7)
				counts[r] += n
				if err != nil || n == 0 {
					errs[r] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for r := range runners {
		if errs[r] != nil {
			t.Fatalf("runner %d: %v", r, errs[r])
		}
		total += counts[r]
	}
	if total != orders {
		t.Errorf("runs cancelled %d orders in all, want %d", total, orders)
	}
	if n := e.intQuery("SELECT count(*) FROM orders WHERE status = 'cancelled'"); n != orders {
		t.Errorf("%d cancelled orders, want %d", n, orders)
	}
	if n := e.intQuery(`SELECT count(*) FROM (SELECT order_id FROM order_history WHERE status = 'cancelled'
	                    GROUP BY order_id HAVING count(*) <> 1) x`); n != 0 {
		t.Errorf("%d orders with other than one cancellation history row", n)
	}
	if n := e.intQuery("SELECT count(*) FROM order_history WHERE status = 'cancelled' AND actor_type = 'system'"); n != orders {
		t.Errorf("%d system cancellation rows, want %d", n, orders)
	}
	if got := e.reserved("HOT"); got != 4 {
		t.Errorf("HOT reserved = %d, want 4 (the fresh order's)", got)
	}
	if got := e.reserved("COLD"); got != 0 {
		t.Errorf("COLD reserved = %d, want 0", got)
	}
	if o, _ := e.svc.GetOrder(e.ctx, fresh.ID); o.Status != domain.StatusCreated {
		t.Errorf("fresh order %s, want created", o.Status)
	}
	e.mustBeClean()
}
