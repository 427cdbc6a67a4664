package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

func TestCreateReturnFromTheOrderPage(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("delivered")
	mug, tee := o.Items[0], o.Items[1]
	b := e.loggedIn(domain.RoleSupport)
	p := b.get("/orders/" + o.Number + "/return")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, `name="qty_`+mug.ID+`" value="0" min="0" max="2"`, "up to 2")

	t.Run("NothingChosen", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/return", url.Values{"qty_" + mug.ID: {"0"}, "reason": {"wrong size"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "at least one item", "wrong size")
	})
	t.Run("MoreThanDelivered", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/return", url.Values{"qty_" + mug.ID: {"3"}, "qty_" + tee.ID: {"1"}, "reason": {"wrong size"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "At most 2 of MUG-1 can be returned.", `name="qty_`+mug.ID+`" value="3"`, "wrong size")
	})
	p = b.post("/orders/"+o.Number+"/return", url.Values{"qty_" + mug.ID: {"2"}, "reason": {"wrong size"}})
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, b.get("/orders/"+o.Number), "Return of 2 items requested", "Return requested", "wrong size")
	expectStatus(t, e.loggedIn(domain.RoleWarehouse).get("/orders/"+o.Number+"/return"), http.StatusForbidden)
}

func TestReturnsQueueApproveRejectReceive(t *testing.T) {
	e := newPageEnv(t)
	support := e.loggedIn(domain.RoleSupport)
	warehouse := e.loggedIn(domain.RoleWarehouse)
	p := support.get("/returns")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "No returns to decide", "0 returns")

	a := e.newOrder("returned")
	r := e.newOrder("returned")
	retA, retR := a.Returns[0].ID, r.Returns[0].ID
	p = support.get("/returns")
	expectBody(t, p, "2 returns", a.Number, r.Number, "too small", "/returns/"+retA+"/approve", "/returns/"+retR+"/reject", "data-confirm=")
	if strings.Index(p.Body, a.Number) > strings.Index(p.Body, r.Number) {
		t.Error("returns queue is not oldest first")
	}
	// Warehouse sees the queue but may not decide.
	wp := warehouse.get("/returns")
	expectStatus(t, wp, http.StatusOK)
	if strings.Contains(wp.Body, "/approve") {
		t.Error("warehouse is offered approve")
	}
	expectStatus(t, warehouse.post("/returns/"+retA+"/approve", url.Values{"back": {"/returns"}}), http.StatusForbidden)
	expectStatus(t, warehouse.post("/returns/"+retA+"/reject", url.Values{"back": {"/returns"}}), http.StatusForbidden)

	t.Run("LongNoteIsRefusedBesideTheReturn", func(t *testing.T) {
		note := strings.Repeat("z", domain.MaxNote+1)
		p := support.post("/returns/"+retR+"/reject", url.Values{"note": {note}, "back": {"/returns"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "at most 5000 characters", note)
	})

	p = support.post("/returns/"+retA+"/approve", url.Values{"note": {"ok by phone"}, "back": {"/returns"}})
	expectStatus(t, p, http.StatusSeeOther)
	p = support.post("/returns/"+retR+"/reject", url.Values{"note": {"worn"}, "back": {"/orders/" + r.Number}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/orders/"+r.Number {
		t.Errorf("reject from the order page went back to %q", loc)
	}
	p = support.get("/returns")
	expectBody(t, p, "Return of 1 item approved for "+a.Number+"; $10.00 refunded.", "No returns to decide")
	expectBody(t, support.get("/orders/"+r.Number), "Return rejected", "worn")

	t.Run("AlreadyDecidedIsExplained", func(t *testing.T) {
		p := support.post("/returns/"+retA+"/reject", url.Values{"back": {"/returns?status=approved"}})
		expectStatus(t, p, http.StatusConflict)
		expectBody(t, p, "is already approved")
	})

	p = warehouse.get("/returns?status=approved")
	expectBody(t, p, "1 return", a.Number, "/returns/"+retA+"/receive", "Put the items back in stock")
	expectStatus(t, support.post("/returns/"+retA+"/receive", url.Values{"back": {"/returns"}}), http.StatusForbidden)
	before, _ := e.svc.GetInventory(context.Background(), "MUG-1")
	p = warehouse.post("/returns/"+retA+"/receive", url.Values{"restock": {"on"}, "back": {"/returns?status=approved"}})
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, warehouse.get("/returns?status=approved"), "received and put back in stock", "No parcels expected")
	after, _ := e.svc.GetInventory(context.Background(), "MUG-1")
	if after.OnHand != before.OnHand+1 {
		t.Errorf("on hand %d -> %d, want +1", before.OnHand, after.OnHand)
	}
	expectStatus(t, warehouse.post("/returns/"+retA+"/receive", url.Values{"_csrf": {"forged"}}), http.StatusForbidden)
}
