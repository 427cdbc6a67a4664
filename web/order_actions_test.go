package web

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// TestOrderActionsPrimaryIsTheNaturalNextStep checks, per status and role, the header's
// buttons and which one is primary: the next natural step of the state machine when the
// role may take it, otherwise none; refund and cancel are never promoted, cancel is last.
func TestOrderActionsPrimaryIsTheNaturalNextStep(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		status      domain.Status
		paid        string // of a 45.00 total
		left, back  int    // units left to ship, units that may be returned
		role        domain.Role
		want        []string // labels in order
		wantPrimary string   // "" for none
	}{
		{domain.StatusCreated, "0", 3, 0, domain.RoleAdmin, []string{"Mark as pending", "Record payment", "Edit", "Cancel order"}, "Mark as pending"},
		{domain.StatusCreated, "0", 3, 0, domain.RoleSupport, []string{"Mark as pending", "Record payment", "Edit", "Cancel order"}, "Mark as pending"},
		{domain.StatusCreated, "0", 3, 0, domain.RoleWarehouse, nil, ""},
		{domain.StatusPending, "10", 3, 0, domain.RoleAdmin, []string{"Record payment", "Refund", "Edit", "Cancel order"}, "Record payment"},
		{domain.StatusPending, "45", 3, 0, domain.RoleSupport, []string{"Mark as paid", "Refund", "Edit", "Cancel order"}, "Mark as paid"},
		{domain.StatusPaid, "45", 3, 0, domain.RoleAdmin, []string{"Fulfill items", "Mark as processing", "Refund", "Print packing slip", "Edit", "Cancel order"}, "Fulfill items"},
		{domain.StatusPaid, "45", 3, 0, domain.RoleSupport, []string{"Mark as processing", "Refund", "Edit", "Cancel order"}, "Mark as processing"},
		{domain.StatusPaid, "40", 3, 0, domain.RoleSupport, []string{"Record payment", "Mark as processing", "Refund", "Edit", "Cancel order"}, "Record payment"},
		{domain.StatusPaid, "45", 3, 0, domain.RoleWarehouse, []string{"Fulfill items", "Print packing slip"}, "Fulfill items"},
		{domain.StatusProcessing, "45", 1, 0, domain.RoleAdmin, []string{"Fulfill items", "Refund", "Print packing slip", "Edit", "Cancel order"}, "Fulfill items"},
		{domain.StatusProcessing, "45", 1, 0, domain.RoleSupport, []string{"Refund", "Edit", "Cancel order"}, ""},
		{domain.StatusProcessing, "45", 1, 0, domain.RoleWarehouse, []string{"Fulfill items", "Print packing slip"}, "Fulfill items"},
		{domain.StatusShipped, "45", 0, 0, domain.RoleAdmin, []string{"Mark as delivered", "Refund", "Print packing slip"}, "Mark as delivered"},
		{domain.StatusShipped, "45", 0, 0, domain.RoleSupport, []string{"Mark as delivered", "Refund"}, "Mark as delivered"},
		{domain.StatusShipped, "45", 0, 0, domain.RoleWarehouse, []string{"Print packing slip"}, ""},
		{domain.StatusDelivered, "45", 0, 3, domain.RoleSupport, []string{"Create return", "Refund"}, "Create return"},
		{domain.StatusDelivered, "45", 0, 0, domain.RoleSupport, []string{"Refund"}, ""},
		{domain.StatusDelivered, "45", 0, 3, domain.RoleWarehouse, nil, ""},
		{domain.StatusReturned, "45", 0, 2, domain.RoleAdmin, []string{"Refund", "Create return"}, "Refund"},
		{domain.StatusReturned, "45", 0, 0, domain.RoleWarehouse, nil, ""},
		{domain.StatusCancelled, "0", 3, 0, domain.RoleAdmin, nil, ""},
		{domain.StatusRefunded, "45", 0, 0, domain.RoleAdmin, nil, ""},
	} {
		t.Run(string(tc.status)+"/"+string(tc.role)+"/paid "+tc.paid, func(t *testing.T) {
			o := domain.Order{Number: "ORD-1", Status: tc.status, Total: d("45.00"), Paid: d(tc.paid)}
			if tc.status == domain.StatusRefunded {
				o.Refunded = o.Paid
			}
			o.Items = []domain.OrderItem{{ID: "l1", Quantity: tc.left + tc.back, FulfilledQuantity: tc.back}}
			p := views.Page{User: &views.User{Role: tc.role}}
			got := orderActions(p, o)
			var labels []string
			primary := ""
			for _, a := range got {
				labels = append(labels, a.Label)
				if a.Style == "primary" {
					if primary != "" {
						t.Errorf("two primary buttons: %q and %q", primary, a.Label)
					}
					primary = a.Label
				}
			}
			if !slices.Equal(labels, tc.want) {
				t.Errorf("actions = %q, want %q", labels, tc.want)
			}
			if primary != tc.wantPrimary {
				t.Errorf("primary = %q, want %q", primary, tc.wantPrimary)
			}
			if i := slices.Index(labels, "Cancel order"); i >= 0 && i != len(labels)-1 {
				t.Errorf("Cancel order is not last: %q", labels)
			}
		})
	}
}
