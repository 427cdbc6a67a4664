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
