package service_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

func TestBulkTagOnAHundredOrders(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 1000)
	var ids []string
	for i := range 100 {
		ids = append(ids, e.order(fmt.Sprintf("c%d@example.com", i), "TEE-M", 1).ID)
	}
	full := e.order("full@example.com", "TEE-M", 1)
	var twenty []string
	for i := range domain.MaxTags {
		twenty = append(twenty, fmt.Sprintf("t%02d", i))
	}
	if _, err := e.svc.SetTags(e.ctx, opsStaff, full.ID, twenty); err != nil {
		t.Fatal(err)
	}

	res, err := e.svc.BulkTag(e.ctx, opsStaff, append(slices.Clone(ids), full.ID, "ORD-NOPE"), " Promo ", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Succeeded) != 100 || len(res.Failed) != 2 || res.Failed[0].ID != full.ID || domain.ErrorCode(res.Failed[1].Err) != domain.CodeNotFound {
		t.Fatalf("bulk add: %d succeeded, failed %+v", len(res.Succeeded), res.Failed)
	}
	page, err := e.svc.ListOrders(e.ctx, domain.OrderFilter{Tag: "promo", Limit: 200}, service.RowsOnly)
	if err != nil || page.Total != 100 || !page.TotalExact || len(page.Orders) != 100 {
		t.Fatalf("tag=promo after bulk: %d orders, total %d, err %v", len(page.Orders), page.Total, err)
	}
	o, _ := e.svc.GetOrder(e.ctx, ids[42])
	if !slices.Equal(o.Tags, []string{"promo"}) || o.History[len(o.History)-1].Note != "added promo" || o.History[len(o.History)-1].Actor != "Test Staff" {
		t.Errorf("order after bulk tag: %q, %+v", o.Tags, o.History[len(o.History)-1])
	}
	// Adding it again changes nothing; removing takes it off every order.
	if res, err := e.svc.BulkTag(e.ctx, opsStaff, ids, "promo", false); err != nil || len(res.Succeeded) != 100 {
		t.Fatalf("again: %v %+v", err, res.Failed)
	}
	if n := e.intQuery(`SELECT count(*) FROM order_history WHERE kind = 'tags'`); n != 101 {
		t.Errorf("%d tag history rows, want 101 (one per change, none for a no-op)", n)
	}
	if res, err := e.svc.BulkTag(e.ctx, opsStaff, ids, "promo", true); err != nil || len(res.Succeeded) != 100 {
		t.Fatalf("remove: %v %+v", err, res.Failed)
	}
	if n := e.intQuery(`SELECT count(*) FROM order_tags WHERE tag = 'promo'`); n != 0 {
		t.Errorf("%d promo entries left", n)
	}
	e.mustBeClean()

	for _, bad := range []string{"", "Has,Comma", "<b>"} {
		if _, err := e.svc.BulkTag(e.ctx, opsStaff, ids, bad, false); domain.ErrorCode(err) != domain.CodeValidationFailed {
			t.Errorf("bulk tag %q: %v", bad, err)
		}
	}
}

func TestWarehouseQueueLeavesOutHeldOrders(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 100)
	var paid []domain.Order
	for i := range 3 {
		o := e.order(fmt.Sprintf("c%d@example.com", i), "TEE-M", 1)
		if _, _, err := e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: o.Total, Gateway: "manual"}); err != nil {
			t.Fatal(err)
		}
		paid = append(paid, o)
	}
	if _, err := e.svc.Hold(e.ctx, opsStaff, paid[1].ID, "address check"); err != nil {
		t.Fatal(err)
	}
	queue := func() (numbers []string, total int64) {
		page, err := e.svc.ListOrders(e.ctx, service.FulfillmentQueueFilter(50), service.WithLines)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Orders {
			numbers = append(numbers, o.Number)
		}
		if !page.TotalExact {
			t.Error("the queue's count must be exact")
		}
		return numbers, page.Total
	}
	if got, n := queue(); !slices.Equal(got, []string{paid[0].Number, paid[2].Number}) || n != 2 {
		t.Errorf("queue with %s held: %v (total %d)", paid[1].Number, got, n)
	}
	if _, err := e.svc.Release(e.ctx, opsStaff, paid[1].ID); err != nil {
		t.Fatal(err)
	}
	if got, n := queue(); len(got) != 3 || n != 3 {
		t.Errorf("queue after release: %v (total %d)", got, n)
	}
	e.mustBeClean()
}
