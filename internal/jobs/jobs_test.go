package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/jobs"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// Two `oms serve` processes run the queue on one database: the expiry job cancels the
// unpaid order once, with the system as the actor, and releases its stock.
func TestExpiryJobCancelsUnpaidOrdersAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	svc := service.New(pool, service.Config{ReservationTTL: 30 * time.Minute})
	staff := domain.Actor{Type: domain.ActorStaff, Name: "Test"}
	if _, _, err := svc.PutProduct(ctx, domain.Product{SKU: "TEE-M", Name: "Tee", Price: decimal.RequireFromString("20"),
		Currency: "USD", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetOnHand(ctx, staff, "TEE-M", 5); err != nil {
		t.Fatal(err)
	}
	order := func() domain.Order {
		o, _, err := svc.CreateOrder(ctx, staff, domain.NewOrder{
			Customer: domain.Customer{Email: "ann@example.com", Name: "Ann"},
			ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St", City: "Springfield",
				Country: "US"},
			Items: []domain.ItemRequest{{SKU: "TEE-M", Quantity: 2}},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	expired, fresh := order(), order()
	if _, err := pool.Exec(ctx, "UPDATE orders SET created_at = now() - interval '31 minutes' WHERE id = $1", expired.ID); err != nil {
		t.Fatal(err)
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var runners []*jobs.Runner
	for range 2 {
		r, err := jobs.New(pool, svc, jobs.Config{ExpiryInterval: 200 * time.Millisecond, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	stop := func() {
		for _, r := range runners {
			stopCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
			if err := r.Stop(stopCtx); err != nil {
				t.Errorf("stop: %v", err)
			}
			cancel()
		}
		runners = nil
	}
	defer stop()

	deadline := time.Now().Add(20 * time.Second)
	for {
		o, err := svc.GetOrder(ctx, expired.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status == domain.StatusCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order still %s after 20s", o.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // a few more runs: none may touch the order again
	stop()

	o, _ := svc.GetOrder(ctx, expired.ID)
	cancellations := 0
	for _, h := range o.History {
		if h.Status == string(domain.StatusCancelled) {
			cancellations++
			if h.ActorType != domain.ActorSystem || h.Note != "not paid within 30m: reservation expired" {
				t.Errorf("history %+v, want the system saying why", h)
			}
		}
	}
	if cancellations != 1 {
		t.Errorf("%d cancellation entries, want 1", cancellations)
	}
	if f, _ := svc.GetOrder(ctx, fresh.ID); f.Status != domain.StatusCreated {
		t.Errorf("fresh order %s, want created", f.Status)
	}
	inv, _ := svc.GetInventory(ctx, "TEE-M")
	if inv.Reserved != 2 {
		t.Errorf("reserved %d, want 2 (the fresh order's)", inv.Reserved)
	}
	rep, err := svc.Audit(ctx)
	if err != nil || len(rep.Violations) > 0 {
		t.Errorf("check: %v %v", err, rep.Violations)
	}
}
