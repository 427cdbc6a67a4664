package domain

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"
)

func TestBalanceIsOutstandingOrRefundDue(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		status                  Status
		total, paid, refunded   string
		outstanding, refundOwed string
	}{
		{StatusCreated, "45", "0", "0", "45", "0"},
		{StatusPaid, "45", "45", "0", "0", "0"},
		{StatusPaid, "60", "45", "0", "15", "0"},      // an edit added 15.00
		{StatusPaid, "30", "45", "0", "0", "15"},      // an edit took 15.00 off
		{StatusPaid, "30", "45", "15", "0", "0"},      // and it was refunded
		{StatusDelivered, "45", "45", "45", "0", "0"}, // refunds of returns owe nothing more
		{StatusCancelled, "45", "0", "0", "0", "0"},
	} {
		b := Order{Status: tc.status, Total: d(tc.total), Paid: d(tc.paid), Refunded: d(tc.refunded)}.Balance()
		if !b.Outstanding.Equal(d(tc.outstanding)) || !b.RefundDue.Equal(d(tc.refundOwed)) {
			t.Errorf("%+v: balance %+v", tc, b)
		}
	}
}

func TestPatchApplySaysWhatChangedFieldByField(t *testing.T) {
	o := Order{Customer: Customer{Email: "a@example.com", Name: "Ann"}, ShippingAddress: Address{City: "Berlin", Country: "DE"}, Notes: "x"}
	c := Customer{Email: "a@example.com", Name: "Ann Lee"}
	a := Address{City: "Munich", Country: "DE"}
	same := "x"
	got := OrderPatch{Customer: &c, ShippingAddress: &a, Notes: &same}.Apply(&o)
	want := []string{"customer.name: Ann → Ann Lee", "shipping_address.city: Berlin → Munich"}
	if !slices.Equal(got, want) || o.ShippingAddress.City != "Munich" {
		t.Errorf("changes %q, want %q", got, want)
	}
	if got := (OrderPatch{}).Apply(&o); len(got) != 0 {
		t.Errorf("an empty patch changed %q", got)
	}
}

func TestPlanEditKeepsSoldPricesAndRefusesShippedUnits(t *testing.T) {
	d := decimal.RequireFromString
	items := []OrderItem{{ID: "l1", SKU: "A", Quantity: 3, FulfilledQuantity: 1, UnitPrice: d("10")}}
	prices := map[string]CatalogPrice{"A": {Name: "A", UnitPrice: d("12")}}
	p, err := PlanEdit(items, OrderEdit{Add: []ItemRequest{{SKU: "A", Quantity: 1}, {SKU: "A", Quantity: 2}},
		Remove: []LineQuantity{{OrderItemID: "l1", Quantity: 2}}}, prices, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.Items[0].Quantity != 1 || !p.Items[0].UnitPrice.Equal(d("10")) ||
		p.Items[1].Quantity != 3 || !p.Items[1].Total.Equal(d("36")) {
		t.Errorf("items %+v", p.Items)
	}
	if want := []string{"−2 × A", "+3 × A at 12.00"}; !slices.Equal(p.Changes, want) {
		t.Errorf("changes %q, want %q", p.Changes, want)
	}
	_, err = PlanEdit(items, OrderEdit{Remove: []LineQuantity{{OrderItemID: "l1", Quantity: 3}}}, prices, "USD")
	if ErrorCode(err) != CodeInvalidTransition {
		t.Errorf("removing a shipped unit: %v", err)
	}
}
