package domain_test

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// TestActionsFollowTheStateMachineAndTheRole checks, per status and role, what may be
// done next with an order and which action is primary: the next natural step of the state
// machine when the role may take it, otherwise none; refund and cancel are never promoted,
// cancel is last. Transitions are offered only where TestTransitionsAllowExactlyTheContractTable
// allows them.
func TestActionsFollowTheStateMachineAndTheRole(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		status      domain.Status
		paid        string // of a 45.00 total
		left, back  int    // units left to ship, units that may be returned
		role        domain.Role
		want        []string // keys in order
		wantPrimary string   // "" for none
	}{
		{domain.StatusCreated, "0", 3, 0, domain.RoleAdmin, []string{"status-pending", "payment", "edit", "cancel"}, "status-pending"},
		{domain.StatusCreated, "0", 3, 0, domain.RoleSupport, []string{"status-pending", "payment", "edit", "cancel"}, "status-pending"},
		{domain.StatusCreated, "0", 3, 0, domain.RoleWarehouse, nil, ""},
		{domain.StatusPending, "10", 3, 0, domain.RoleAdmin, []string{"payment", "refund", "edit", "cancel"}, "payment"},
		{domain.StatusPending, "45", 3, 0, domain.RoleSupport, []string{"status-paid", "refund", "edit", "cancel"}, "status-paid"},
		{domain.StatusPaid, "45", 3, 0, domain.RoleAdmin, []string{"fulfill", "status-processing", "refund", "packing-slip", "edit", "cancel"}, "fulfill"},
		{domain.StatusPaid, "45", 3, 0, domain.RoleSupport, []string{"status-processing", "refund", "edit", "cancel"}, "status-processing"},
		{domain.StatusPaid, "40", 3, 0, domain.RoleSupport, []string{"payment", "status-processing", "refund", "edit", "cancel"}, "payment"},
		{domain.StatusPaid, "45", 3, 0, domain.RoleWarehouse, []string{"fulfill", "packing-slip"}, "fulfill"},
		{domain.StatusProcessing, "45", 1, 0, domain.RoleAdmin, []string{"fulfill", "refund", "packing-slip", "edit", "cancel"}, "fulfill"},
		{domain.StatusProcessing, "45", 1, 0, domain.RoleSupport, []string{"refund", "edit", "cancel"}, ""},
		{domain.StatusProcessing, "45", 1, 0, domain.RoleWarehouse, []string{"fulfill", "packing-slip"}, "fulfill"},
		{domain.StatusShipped, "45", 0, 0, domain.RoleAdmin, []string{"status-delivered", "refund", "packing-slip"}, "status-delivered"},
		{domain.StatusShipped, "45", 0, 0, domain.RoleSupport, []string{"status-delivered", "refund"}, "status-delivered"},
		{domain.StatusShipped, "45", 0, 0, domain.RoleWarehouse, []string{"packing-slip"}, ""},
		{domain.StatusDelivered, "45", 0, 3, domain.RoleSupport, []string{"return", "refund"}, "return"},
		{domain.StatusDelivered, "45", 0, 0, domain.RoleSupport, []string{"refund"}, ""},
		{domain.StatusDelivered, "45", 0, 3, domain.RoleWarehouse, nil, ""},
		{domain.StatusReturned, "45", 0, 2, domain.RoleAdmin, []string{"refund", "return"}, "refund"},
		{domain.StatusReturned, "45", 0, 0, domain.RoleWarehouse, nil, ""},
		{domain.StatusCancelled, "0", 3, 0, domain.RoleAdmin, nil, ""},
		{domain.StatusRefunded, "45", 0, 0, domain.RoleAdmin, nil, ""},
	} {
		t.Run(string(tc.status)+"/"+string(tc.role)+"/paid "+tc.paid, func(t *testing.T) {
			o := domain.Order{Number: "ORD-1", Status: tc.status, Total: d("45.00"), Paid: d(tc.paid),
				Items: []domain.OrderItem{{ID: "l1", Quantity: tc.left + tc.back, FulfilledQuantity: tc.back}}}
			if tc.status == domain.StatusRefunded {
				o.Refunded = o.Paid
			}
			var keys []string
			primary := ""
			for _, a := range domain.Actions(o, tc.role) {
				keys = append(keys, string(a.Key))
				if !tc.role.Can(a.Permission) {
					t.Errorf("%s needs %s, which %s has not", a.Key, a.Permission, tc.role)
				}
				if a.To != "" && (!domain.CanTransition(o.Status, a.To) || a.Key != domain.TransitionAction(a.To)) {
					t.Errorf("%s moves %s to %s", a.Key, o.Status, a.To)
				}
				if a.Primary {
					if primary != "" {
						t.Errorf("two primary actions: %q and %q", primary, a.Key)
					}
					primary = string(a.Key)
				}
			}
			if !slices.Equal(keys, tc.want) {
				t.Errorf("actions = %q, want %q", keys, tc.want)
			}
			if primary != tc.wantPrimary {
				t.Errorf("primary = %q, want %q", primary, tc.wantPrimary)
			}
			if i := slices.Index(keys, "cancel"); i >= 0 && i != len(keys)-1 {
				t.Errorf("cancel is not last: %q", keys)
			}
		})
	}
}
