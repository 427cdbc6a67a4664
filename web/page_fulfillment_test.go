package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

func TestFulfillmentQueueListsPaidOrdersOldestFirst(t *testing.T) {
	e := newPageEnv(t)
	b := e.loggedIn(domain.RoleWarehouse)
	p := b.get("/fulfillment")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Nothing to ship", "0 orders")

	first := e.newOrder("paid")
	e.newOrder("created")
	partial := e.newOrder("partial")
	e.newOrder("shipped")
	p = b.get("/fulfillment")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "2 orders", first.Number, partial.Number, "2 lines", "3 units", "London", "GB", "Partially fulfilled")
	if strings.Index(p.Body, first.Number) > strings.Index(p.Body, partial.Number) {
		t.Error("queue is not oldest first")
	}
	expectStatus(t, e.loggedIn(domain.RoleSupport).get("/fulfillment"), http.StatusForbidden)
}

func TestFulfillPartiallyThenFullyThroughTheForm(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	mug, tee := o.Items[0], o.Items[1]
	b := e.loggedIn(domain.RoleWarehouse)
	p := b.get("/orders/" + o.Number + "/fulfill")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, `name="qty_`+mug.ID+`" value="2" min="0" max="2"`, `name="qty_`+tee.ID+`" value="1" min="0" max="1"`,
		`<option value="UPS">UPS</option>`, `name="notify_customer" checked`, "Mark as shipped", "data-scan", `data-sku="MUG-1"`)

	t.Run("QuantityAboveWhatIsLeftIsRefusedOnItsLine", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"3"}, "qty_" + tee.ID: {"0"}, "carrier": {"UPS"}, "tracking_number": {"1Z1"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Only 2 of MUG-1 left to fulfill.", `name="qty_`+mug.ID+`" value="3"`, `value="1Z1"`)
	})
	t.Run("BadTrackingNumberIsRefusedBesideIt", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"1"}, "carrier": {"UPS"}, "tracking_number": {"1Z<script>"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "may hold only letters, digits, spaces and hyphens", `id="err-tracking_number"`, `value="1Z&lt;script&gt;"`)
	})
	t.Run("NothingToShip", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"0"}, "qty_" + tee.ID: {"0"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Nothing to ship")
	})
	t.Run("NotANumber", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"two"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Enter a whole number from 0 to 2.", `value="two"`)
	})

	p = b.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"1"}, "qty_" + tee.ID: {"0"}, "carrier": {"UPS"},
		"tracking_number": {"1Z 111"}, "notify_customer": {"on"}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/orders/"+o.Number {
		t.Errorf("partial fulfillment went to %q", loc)
	}
	p = b.get("/orders/" + o.Number)
	expectBody(t, p, o.Number+": 1 item shipped via UPS; the rest is still to ship.", "badge-order status-processing", "1 fulfilled", "1 to ship")

	p = b.get("/orders/" + o.Number + "/fulfill")
	expectBody(t, p, `name="qty_`+mug.ID+`" value="1" min="0" max="1"`, "1 already shipped")
	p = b.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"1"}, "qty_" + tee.ID: {"1"}, "carrier": {"FedEx"}, "tracking_number": {"7489"}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/fulfillment" {
		t.Errorf("full fulfillment went to %q", loc)
	}
	expectBody(t, b.get("/fulfillment"), o.Number+": 2 items shipped via FedEx.", "Nothing to ship")
	got, _ := e.svc.GetOrder(context.Background(), o.Number)
	if got.Status != domain.StatusShipped || len(got.Fulfillments) != 2 {
		t.Fatalf("order is %s with %d fulfillments", got.Status, len(got.Fulfillments))
	}
	t.Run("AShippedOrderCannotShipAgain", func(t *testing.T) {
		p := b.get("/orders/" + o.Number + "/fulfill")
		expectBody(t, p, "only paid or processing orders can be shipped")
	})
	expectStatus(t, e.loggedIn(domain.RoleSupport).post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + mug.ID: {"1"}}), http.StatusForbidden)
}

// The service names a refused line by its order line id (for forms) as well as by the
// request's JSON path (for the API), and a shipment returns the order after it.
func TestFulfillNamesRefusedLinesByIDAndReturnsTheOrder(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	mug, tee := o.Items[0], o.Items[1]
	ctx := context.Background()
	_, _, err := e.svc.Fulfill(ctx, domain.System, o.Number, domain.FulfillmentRequest{Items: []domain.LineQuantity{
		{OrderItemID: tee.ID, Quantity: 1}, {OrderItemID: mug.ID, Quantity: 3}}})
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeQuantityExceedsFulfillable {
		t.Fatalf("err = %v, want quantity_exceeds_fulfillable", err)
	}
	if de.Lines[mug.ID] != "only 2 of MUG-1 left to fulfill" || de.Fields["items[1].quantity"] != de.Lines[mug.ID] || len(de.Lines) != 1 {
		t.Fatalf("lines %v, fields %v: want the mug's line under its id and under items[1].quantity", de.Lines, de.Fields)
	}
	_, after, err := e.svc.Fulfill(ctx, domain.System, o.Number, domain.FulfillmentRequest{Items: []domain.LineQuantity{{OrderItemID: mug.ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != domain.StatusProcessing || after.FulfillmentStatus != domain.FulfillmentPartiallyFulfilled || after.Items[0].FulfilledQuantity != 1 {
		t.Fatalf("order after a partial shipment: %s/%s, mug shipped %d", after.Status, after.FulfillmentStatus, after.Items[0].FulfilledQuantity)
	}
}
