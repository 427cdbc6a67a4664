package domain

import "testing"

func TestOrderFindsItsPartsByID(t *testing.T) {
	o := Order{
		Fulfillments: []Fulfillment{{ID: "f1"}, {ID: "f2"}},
		Returns:      []Return{{ID: "r1"}},
		Refunds:      []Refund{{ID: "x1"}, {ID: "x2"}},
	}
	if f := o.FulfillmentByID("f2"); f != &o.Fulfillments[1] {
		t.Errorf("FulfillmentByID(f2) = %p, want the order's own second fulfillment", f)
	}
	if r := o.ReturnByID("r1"); r == nil || r.ID != "r1" {
		t.Errorf("ReturnByID(r1) = %+v", r)
	}
	if r := o.RefundByID("x2"); r == nil || r.ID != "x2" {
		t.Errorf("RefundByID(x2) = %+v", r)
	}
	for _, id := range []string{"", "f3", "r1x"} {
		if o.FulfillmentByID(id) != nil || o.RefundByID(id) != nil {
			t.Errorf("id %q found something", id)
		}
	}
	if o.ReturnByID("f1") != nil {
		t.Error("a fulfillment's id found a return")
	}
}
