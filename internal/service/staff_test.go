package service_test

import (
	"context"
	"sync"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

func TestTheLastActiveAdminStays(t *testing.T) {
	ctx := context.Background()
	svc := service.New(testdb.New(t), service.Config{})
	a, _ := svc.CreateStaffUser(ctx, "a@example.com", "A", domain.RoleAdmin, "a long password!")
	b, _ := svc.CreateStaffUser(ctx, "b@example.com", "B", domain.RoleAdmin, "a long password!")

	t.Run("TwoAdminsDemotingEachOtherAtOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]domain.StaffUser{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.SetStaffRole(ctx, pair[0].Actor(), pair[1].ID, domain.RoleSupport)
			}()
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if domain.ErrorCode(err) == domain.CodeConflict {
				failed++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if failed != 1 {
			t.Fatalf("%d of 2 demotions refused, want exactly 1", failed)
		}
	})
	users, _ := svc.ListStaffUsers(ctx)
	var admin domain.StaffUser
	for _, u := range users {
		if u.Role == domain.RoleAdmin {
			admin = u
		}
	}
	if admin.ID == "" {
		t.Fatal("no admin left")
	}
	other := a
	if admin.ID == a.ID {
		other = b
	}
	t.Run("ErrConflictWhenDisablingTheLastAdmin", func(t *testing.T) {
		if _, err := svc.SetStaffDisabled(ctx, other.Actor(), admin.ID, true); domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	t.Run("ErrForbiddenOnOneself", func(t *testing.T) {
		if _, err := svc.SetStaffDisabled(ctx, admin.Actor(), admin.ID, true); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("err = %v", err)
		}
		if _, err := svc.SetStaffRole(ctx, admin.Actor(), admin.ID, domain.RoleSupport); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("AnotherAdminMayThenBeDemoted", func(t *testing.T) {
		if _, err := svc.SetStaffRole(ctx, admin.Actor(), other.ID, domain.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetStaffDisabled(ctx, other.Actor(), admin.ID, true); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := svc.SetStaffRole(ctx, admin.Actor(), "00000000-0000-0000-0000-000000000000", domain.RoleSupport); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("err = %v", err)
		}
	})
}
