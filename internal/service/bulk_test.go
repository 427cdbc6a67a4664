package service_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
)

func TestBulkTransition(t *testing.T) {
	t.Run("MixedResults", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("TEE-M", "20.00", 10)
		a := e.order("a@example.com", "TEE-M", 1)
		b := e.order("b@example.com", "TEE-M", 1)
		c := e.order("c@example.com", "TEE-M", 1)
		if _, err := e.svc.Transition(e.ctx, opsStaff, c.ID, domain.StatusCancelled, ""); err != nil {
			t.Fatal(err)
		}
		unknownID := uuid.NewString()
		ids := []string{a.ID, b.Number, c.ID, unknownID, "ORD-000000-999999", a.ID}
		res, err := e.svc.BulkTransition(e.ctx, opsStaff, ids, domain.StatusPending, "bulk")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{a.ID, b.Number}; !slices.Equal(res.Succeeded, want) {
			t.Errorf("succeeded %v, want %v", res.Succeeded, want)
		}
		wantFailed := map[string]string{c.ID: domain.CodeInvalidTransition, unknownID: domain.CodeNotFound,
			"ORD-000000-999999": domain.CodeNotFound}
		if len(res.Failed) != len(wantFailed) {
			t.Errorf("failed %v, want %d", res.Failed, len(wantFailed))
		}
		for _, f := range res.Failed {
			if code := domain.ErrorCode(f.Err); code != wantFailed[f.ID] {
				t.Errorf("%s failed with %s (%v), want %s", f.ID, code, f.Err, wantFailed[f.ID])
			}
		}
		for _, id := range []string{a.ID, b.ID} {
			o, _ := e.svc.GetOrder(e.ctx, id)
			last := o.History[len(o.History)-1]
			if o.Status != domain.StatusPending || last.Note != "bulk" || last.Actor != opsStaff.Name {
				t.Errorf("%s: %s, history %+v", o.Number, o.Status, last)
			}
		}
		e.mustBeClean()
	})

	t.Run("CancelReleasesStockOfEach", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("MUG", "5.00", 100)
		var ids []string
		for i := range 40 {
			ids = append(ids, e.order(fmt.Sprintf("m%d@example.com", i), "MUG", 2).ID)
		}
		res, err := e.svc.BulkTransition(e.ctx, opsStaff, ids, domain.StatusCancelled, "")
		if err != nil || len(res.Succeeded) != 40 || len(res.Failed) != 0 {
			t.Fatalf("%d succeeded, %v failed, %v", len(res.Succeeded), res.Failed, err)
		}
		if got := e.reserved("MUG"); got != 0 {
			t.Errorf("reserved %d, want 0", got)
		}
		e.mustBeClean()
	})

	t.Run("ErrValidationFailed", func(t *testing.T) {
		e := newOpsEnv(t)
		many := make([]string, 501)
		for i := range many {
			many[i] = uuid.NewString()
		}
		for name, call := range map[string]func() error{
			"no ids":         func() error { _, err := e.svc.BulkTransition(e.ctx, opsStaff, nil, domain.StatusPaid, ""); return err },
			"too many ids":   func() error { _, err := e.svc.BulkTransition(e.ctx, opsStaff, many, domain.StatusPaid, ""); return err },
			"unknown status": func() error { _, err := e.svc.BulkTransition(e.ctx, opsStaff, many[:1], "lost", ""); return err },
			"no status":      func() error { _, err := e.svc.BulkTransition(e.ctx, opsStaff, many[:1], "", ""); return err },
		} {
			if code := domain.ErrorCode(call()); code != domain.CodeValidationFailed {
				t.Errorf("%s: code %s, want validation_failed", name, code)
			}
		}
	})
}
