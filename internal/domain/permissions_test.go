package domain

import "testing"

func TestRoleCan(t *testing.T) {
	// The matrix written out a second time, as the README shows it: A admin, S support, W warehouse.
	want := map[Permission]string{
		PermViewDashboard:    "ASW",
		PermViewOrders:       "ASW",
		PermExportOrders:     "AS",
		PermTransitionOrders: "AS",
		PermCancelOrders:     "AS",
		PermCreateOrders:     "AS",
		PermEditOrders:       "AS",
		PermDiscountOrders:   "A",
		PermTagOrders:        "AS",
		PermHoldOrders:       "ASW",
		PermComment:          "AS",
		PermRecordPayments:   "AS",
		PermRefund:           "AS",
		PermFulfill:          "AW",
		PermViewReturns:      "ASW",
		PermCreateReturns:    "AS",
		PermDecideReturns:    "AS",
		PermReceiveReturns:   "AW",
		PermViewProducts:     "ASW",
		PermEditProducts:     "A",
		PermAdjustStock:      "AW",
		PermManageStaff:      "A",
		PermManageTokens:     "A",
		PermManageSettings:   "A",
		PermSaveViews:        "ASW",
		PermDefaultViews:     "A",
		PermViewActivity:     "A",
	}
	if len(want) != len(Permissions) {
		t.Fatalf("test covers %d permissions, domain has %d", len(want), len(Permissions))
	}
	letters := map[Role]byte{RoleAdmin: 'A', RoleSupport: 'S', RoleWarehouse: 'W'}
	for _, p := range Permissions {
		for _, r := range Roles {
			expected := false
			for i := 0; i < len(want[p]); i++ {
				if want[p][i] == letters[r] {
					expected = true
				}
			}
			if got := r.Can(p); got != expected {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, expected)
			}
		}
	}
	t.Run("UnknownRoleCanNothing", func(t *testing.T) {
		for _, p := range Permissions {
			if Role("guest").Can(p) || Role("").Can(p) {
				t.Errorf("unknown role may %s", p)
			}
		}
	})
}

// The staff routes that move money through another permission's form (a cancellation
// or bulk cancellation with a refund, a return's approval) rely on every role that has
// that permission being allowed to refund too: API tokens are held to the same by their
// scopes (web/api_auth.go). A role given one without the other must fail here first.
func TestRolesThatCancelOrDecideReturnsMayRefund(t *testing.T) {
	for _, r := range Roles {
		for _, p := range []Permission{PermCancelOrders, PermDecideReturns} {
			if r.Can(p) && !r.Can(PermRefund) {
				t.Errorf("%s may %s (which refunds) but not %s", r, p, PermRefund)
			}
		}
	}
}
