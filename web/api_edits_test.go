package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

func editHistory(o orderJSON) string {
	var notes []string
	for _, h := range o.History {
		if h.Kind == "edit" {
			notes = append(notes, h.Note+" (by "+h.By+")")
		}
	}
	return strings.Join(notes, " | ")
}

func TestPatchOrderRecordsWhatChangedAndValidatesAsCreation(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE", "10.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE", 1))
	path := "/api/v1/orders/" + o.ID

	ship := map[string]any{"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St", "city": "Chicago",
		"region": "IL", "postal_code": "60601", "country": "us"}
	var got orderJSON
	e.must(http.StatusOK, "PATCH", path, map[string]any{"shipping_address": ship, "notes": "ring twice"}).JSON(t, &got)
	if got.ShippingAddress.City != "Chicago" || got.ShippingAddress.Country != "US" || got.Notes != "ring twice" || got.BillingAddress.City != "Springfield" {
		t.Errorf("after the patch: shipping %+v, billing %+v, notes %q", got.ShippingAddress, got.BillingAddress, got.Notes)
	}
	h := editHistory(got)
	for _, want := range []string{"shipping_address.city: Springfield → Chicago", "shipping_address.postal_code: 62701 → 60601",
		"notes: (empty) → ring twice", "(by test)"} {
		if !strings.Contains(h, want) {
			t.Errorf("history %q lacks %q", h, want)
		}
	}

	// The same again, and an empty patch: 200 and no history.
	e.must(http.StatusOK, "PATCH", path, map[string]any{"shipping_address": ship, "notes": "ring twice"})
	e.must(http.StatusOK, "PATCH", path, map[string]any{}).JSON(t, &got)
	if n := strings.Count(editHistory(got), "(by test)"); n != 1 {
		t.Errorf("%d edit entries after no-op patches, want 1", n)
	}

	r := e.must(http.StatusUnprocessableEntity, "PATCH", path, map[string]any{
		"customer":        map[string]any{"email": "not-an-email"},
		"billing_address": map[string]any{"first_name": "", "last_name": "Lee", "address1": "x", "city": "y", "country": "XX"}})
	var body errorBody
	r.JSON(t, &body)
	for _, f := range []string{"customer.email", "billing_address.first_name", "billing_address.country"} {
		if body.Error.Fields[f] == "" {
			t.Errorf("fields %v lack %s", body.Error.Fields, f)
		}
	}
	e.must(http.StatusBadRequest, "PATCH", path, map[string]any{"total": "1.00"})
}

func TestPatchOrderIsRefusedOnceSomethingShipped(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE", "10.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE", 2))
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/payments", map[string]any{"amount": o.Total})
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "UPS", "tracking_number": "1Z",
		"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 1}}})
	r := e.must(http.StatusConflict, "PATCH", "/api/v1/orders/"+o.ID, map[string]any{"notes": "too late"})
	if r.ErrorCode() != domain.CodeInvalidTransition {
		t.Errorf("code %s", r.ErrorCode())
	}
}

func TestEditOrderThroughTheAPIReportsTheBalance(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE", "10.00", 10)
	e.product("MUG", "4.50", 3)
	o := e.createOrder(orderBody("ann@example.com", "TEE", 2))
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/payments", map[string]any{"amount": o.Total})
	path := "/api/v1/orders/" + o.ID + "/edits"

	var got orderJSON
	e.must(http.StatusOK, "POST", path, map[string]any{"add": []map[string]any{{"sku": "MUG", "quantity": 2}}, "reason": "phone call"}).JSON(t, &got)
	if got.Total != "29.00" || got.Balance.Outstanding != "9.00" || got.Balance.RefundDue != "0.00" || got.PaymentStatus != "partially_paid" {
		t.Errorf("total %s, balance %+v, payment %s", got.Total, got.Balance, got.PaymentStatus)
	}
	if e.inventory("MUG").Reserved != 2 {
		t.Errorf("MUG reserved %d", e.inventory("MUG").Reserved)
	}
	e.must(http.StatusOK, "POST", path, map[string]any{"remove": []map[string]any{{"order_item_id": got.Items[0].ID, "quantity": 2}},
		"reason": "changed their mind"}).JSON(t, &got)
	if got.Total != "9.00" || got.Balance.RefundDue != "11.00" || got.Balance.Outstanding != "0.00" {
		t.Errorf("total %s, balance %+v", got.Total, got.Balance)
	}
	if h := editHistory(got); !strings.Contains(h, "+2 × MUG at 4.50") || !strings.Contains(h, "−2 × TEE") || !strings.Contains(h, "Reason: changed their mind") {
		t.Errorf("history %q", h)
	}

	r := e.must(http.StatusConflict, "POST", path, map[string]any{"add": []map[string]any{{"sku": "MUG", "quantity": 2}}, "reason": "more"})
	var body errorBody
	r.JSON(t, &body)
	if body.Error.Code != domain.CodeOutOfStock || !strings.Contains(body.Error.Fields["add[0].sku"], "1 available") {
		t.Errorf("out of stock answer %s", r.Body)
	}
	e.must(http.StatusUnprocessableEntity, "POST", path, map[string]any{"add": []map[string]any{{"sku": "MUG", "quantity": 1}}})
	e.must(http.StatusNotFound, "POST", "/api/v1/orders/ORD-000000-000000/edits", map[string]any{"add": []map[string]any{{"sku": "MUG", "quantity": 1}}, "reason": "x"})

	rep, err := e.svc.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Violations {
		t.Errorf("check: %s", v)
	}
}

// Issue 20: moving an order to a country with lower tax, refunding the difference and
// moving it back left it "paid" by the gross paid (220.00 of 220.00) while the shop kept
// 200.00. What an order owes is counted on the money it holds: the balance says 20.00 is
// outstanding, neither the API nor the fulfillment form ships it (409 invalid_transition
// naming what is owed), the order page asks for the payment, and once it is paid it ships.
func TestAnOrderOwingWhatARefundTookBackDoesNotShip(t *testing.T) {
	pe := newPageEnv(t)
	_, token, err := pe.svc.CreateToken(context.Background(), "storefront")
	if err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{t: t, srv: pe.srv, svc: pe.svc, pool: pe.pool, token: token}
	e.product("LAMP", "100.00", 10)
	e.exec(`INSERT INTO tax_rates (country, region, rate) VALUES ('US', '', 0.10)`)
	o := e.paidOrderOf("ann@example.com", "LAMP", 2)
	if o.Total != "220.00" || o.Status != "paid" {
		t.Fatalf("order %s %s, want 220.00 paid", o.Total, o.Status)
	}
	path := "/api/v1/orders/" + o.ID
	us := map[string]any{"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St", "city": "Springfield",
		"region": "IL", "postal_code": "62701", "country": "US"}
	de := map[string]any{"first_name": "Ann", "last_name": "Lee", "address1": "1 Hauptstr.", "city": "Berlin",
		"postal_code": "10115", "country": "DE"}
	e.must(http.StatusOK, "PATCH", path, map[string]any{"shipping_address": de}).JSON(t, &o)
	if o.Total != "200.00" || o.Balance.RefundDue != "20.00" {
		t.Fatalf("in Germany: total %s, refund due %s", o.Total, o.Balance.RefundDue)
	}
	e.must(http.StatusCreated, "POST", path+"/refunds", map[string]any{"amount": "20.00", "reason": "no US tax"})
	e.must(http.StatusOK, "PATCH", path, map[string]any{"shipping_address": us}).JSON(t, &o)
	if o.Total != "220.00" || o.Paid != "220.00" || o.Refunded != "20.00" || o.Balance.Outstanding != "20.00" || o.Balance.RefundDue != "0.00" {
		t.Fatalf("back in the US: total %s, paid %s, refunded %s, balance %+v: want 20.00 outstanding",
			o.Total, o.Paid, o.Refunded, o.Balance)
	}

	r := e.mustCode(http.StatusConflict, domain.CodeInvalidTransition, "POST", path+"/fulfillments", map[string]any{"carrier": "UPS"})
	if !strings.Contains(string(r.Body), "owes 20.00 USD") {
		t.Errorf("the refusal does not say what is owed: %s", r.Body)
	}
	warehouse := pe.loggedIn(domain.RoleWarehouse)
	warehouse.get("/orders/" + o.OrderNumber + "/fulfill")
	p := warehouse.post("/orders/"+o.OrderNumber+"/fulfill", url.Values{"qty_" + o.Items[0].ID: {"2"}, "carrier": {"UPS"}})
	if p.Status < 400 || !strings.Contains(p.Body, "owes 20.00 USD") {
		t.Errorf("the fulfillment form: %d, want a refusal saying what is owed", p.Status)
	}
	if got := e.fetchOrder(o.ID); got.FulfillmentStatus != "unfulfilled" || len(got.Fulfillments) != 0 {
		t.Fatalf("an order owing money shipped: %s, %d fulfillments", got.FulfillmentStatus, len(got.Fulfillments))
	}
	page := pe.loggedIn(domain.RoleSupport).get("/orders/" + o.OrderNumber)
	expectBody(t, page, "Record payment", `href="/orders/`+o.OrderNumber+`/payment"`)
	if !strings.Contains(page.Body, "Outstanding") || !strings.Contains(page.Body, "20.00") {
		t.Error("the order page does not show the 20.00 outstanding")
	}

	e.recordPayment(o.ID, "20.00")
	if got := e.fetchOrder(o.ID); got.Balance.Outstanding != "0.00" {
		t.Fatalf("after paying: outstanding %s", got.Balance.Outstanding)
	}
	e.must(http.StatusCreated, "POST", path+"/fulfillments", map[string]any{"carrier": "UPS"})
	e.checkMoneyAndStock()
}
