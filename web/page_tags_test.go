package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

func TestHeldOrderOnTheStaffPages(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	other := e.newOrder("paid")
	wh := e.loggedIn(domain.RoleWarehouse)
	support := e.loggedIn(domain.RoleSupport)

	t.Run("HoldNeedsAReason", func(t *testing.T) {
		p := support.post("/orders/"+o.Number+"/hold", url.Values{"reason": {"  "}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-reason"`, "Put on hold")
	})
	p := support.post("/orders/"+o.Number+"/hold", url.Values{"reason": {"Fraud check <b>pending</b>"}})
	expectStatus(t, p, http.StatusSeeOther)

	// Everyone who opens the order sees why, who and when; support and admins may release
	// it, the warehouse not (support's fraud check is not the warehouse's to overrule).
	for _, b := range []*browser{wh, support, e.loggedIn(domain.RoleAdmin)} {
		p := b.get("/orders/" + o.Number)
		expectStatus(t, p, http.StatusOK)
		expectBody(t, p, `class="hold-banner"`, "On hold: this order must not ship.", "Fraud check &lt;b&gt;pending&lt;/b&gt;", "Held by Test support", "Put on hold")
		if releasable := strings.Contains(p.Body, `action="/orders/`+o.Number+`/release"`); releasable != (b != wh) {
			t.Errorf("release form shown %v, want it for support and admins only", releasable)
		}
	}
	expectBody(t, wh.get("/orders/"+o.Number), "only support or an admin may release it")
	if p := wh.get("/orders/" + o.Number); strings.Contains(p.Body, `name="tag"`) || strings.Contains(p.Body, "chip-remove") {
		t.Error("the warehouse may not tag, yet sees the tag form")
	}

	// Not in the queue, no packing slip; the fulfill form says why and offers no button.
	p = wh.get("/fulfillment")
	expectBody(t, p, other.Number, "1 order")
	if strings.Contains(p.Body, o.Number) {
		t.Errorf("held %s is in the warehouse queue", o.Number)
	}
	expectStatus(t, wh.get("/orders/"+o.Number+"/packing-slip"), http.StatusConflict)
	p = wh.get("/orders/" + o.Number + "/fulfill")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Fraud check &lt;b&gt;pending&lt;/b&gt;", "on hold: it can be shipped once it is released")
	if strings.Contains(p.Body, "Mark as shipped") {
		t.Error("the fulfill form of a held order offers to ship it")
	}
	p = wh.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + o.Items[0].ID: {"1"}, "carrier": {"UPS"}, "tracking_number": {"1Z1"}})
	if p.Status != http.StatusConflict && p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("fulfilling a held order through the form: %d", p.Status)
	}
	expectBody(t, p, "is on hold")
	if got, _ := e.svc.GetOrder(context.Background(), o.Number); len(got.Fulfillments) != 0 {
		t.Fatal("a held order was fulfilled through the form")
	}

	// Released by support, it is back in the queue and the warehouse ships it.
	expectStatus(t, support.post("/orders/"+o.Number+"/release", nil), http.StatusSeeOther)
	p = wh.get("/orders/" + o.Number)
	expectBody(t, p, "Released from hold", "Put on hold")
	if strings.Contains(p.Body, `class="hold-banner"`) {
		t.Error("a released order still shows the hold banner")
	}
	expectBody(t, wh.get("/fulfillment"), o.Number, "2 orders")
	expectStatus(t, wh.post("/orders/"+o.Number+"/release", nil), http.StatusConflict) // not on hold: the page says so
	p = wh.post("/orders/"+o.Number+"/fulfill", url.Values{"qty_" + o.Items[0].ID: {"2"}, "qty_" + o.Items[1].ID: {"1"}, "carrier": {"UPS"}, "tracking_number": {"1Z1"}})
	expectStatus(t, p, http.StatusSeeOther)

}

func TestTagsOnTheStaffPages(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	other := e.newOrder("created")
	support := e.loggedIn(domain.RoleSupport)

	expectStatus(t, support.post("/orders/"+o.Number+"/tags", url.Values{"tag": {"VIP, gift wrap"}}), http.StatusSeeOther)
	p := support.get("/orders/" + o.Number)
	expectBody(t, p, `aria-label="Remove tag vip"`, `aria-label="Remove tag gift wrap"`, "Tags changed", "added gift wrap, vip")

	p = support.post("/orders/"+o.Number+"/tags", url.Values{"tag": {"ok, <script>"}})
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, `id="err-tag"`, `value="ok, &lt;script&gt;"`)

	expectStatus(t, support.post("/orders/"+o.Number+"/tags", url.Values{"remove": {"vip"}}), http.StatusSeeOther)
	got, _ := e.svc.GetOrder(context.Background(), o.Number)
	if strings.Join(got.Tags, ",") != "gift wrap" {
		t.Errorf("tags after removing vip: %q", got.Tags)
	}
	expectStatus(t, e.loggedIn(domain.RoleWarehouse).post("/orders/"+o.Number+"/tags", url.Values{"tag": {"x"}}), http.StatusForbidden)

	// The list shows the chips and filters by tag.
	p = support.get("/orders?tag=Gift+Wrap")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, o.Number, `class="chip chip-tag"`, `value="Gift Wrap"`)
	if strings.Contains(p.Body, other.Number) {
		t.Errorf("tag filter lists %s, which has no tag", other.Number)
	}
	p = support.get("/orders?tag=%3Cb%3E")
	expectBody(t, p, "must be a tag")

	// Bulk: add to both, then remove from both.
	ids := url.Values{"ids": {o.ID, other.ID}, "tag": {"Promo"}, "action": {"add"}, "back": {"/orders"}}
	expectStatus(t, support.post("/orders/bulk/tag", ids), http.StatusSeeOther)
	p = support.get("/orders?tag=promo")
	expectBody(t, p, o.Number, other.Number, "Tag promo added")
	ids.Set("action", "remove")
	expectStatus(t, support.post("/orders/bulk/tag", ids), http.StatusSeeOther)
	expectBody(t, support.get("/orders?tag=promo"), "Tag promo removed", "No orders match these filters")
	for _, id := range []string{o.ID, other.ID} {
		if got, _ := e.svc.GetOrder(context.Background(), id); strings.Contains(strings.Join(got.Tags, ","), "promo") {
			t.Errorf("bulk remove left promo on %s: %q", got.Number, got.Tags)
		}
	}
	expectStatus(t, e.loggedIn(domain.RoleWarehouse).post("/orders/bulk/tag", ids), http.StatusForbidden)
	p = support.post("/orders/bulk/tag", url.Values{"tag": {"promo"}, "action": {"add"}})
	expectStatus(t, p, http.StatusSeeOther) // refused as a whole: a flash on the list
}

// Releasing a hold needs the right to place that kind of hold (issue 20): the warehouse
// releases what the warehouse held, not an admin's fraud review (no Release button, and
// a 403 saying who may, the hold staying); support neither; the admin does. A token
// releases only what a token held: a person's hold is released on the order page.
func TestReleasingAHoldNeedsTheRightToPlaceThatKindOfHold(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	admin, support, wh := e.loggedIn(domain.RoleAdmin), e.loggedIn(domain.RoleSupport), e.loggedIn(domain.RoleWarehouse)
	expectStatus(t, admin.post("/orders/"+o.Number+"/hold", url.Values{"reason": {"Fraud review"}}), http.StatusSeeOther)

	p := wh.get("/orders/" + o.Number)
	expectBody(t, p, "Fraud review", "was put on hold by Test admin (admin): only an admin may release it.")
	if strings.Contains(p.Body, `action="/orders/`+o.Number+`/release"`) {
		t.Error("the warehouse is offered to release an admin's hold")
	}
	for _, b := range []*browser{wh, support} {
		p := b.post("/orders/"+o.Number+"/release", nil)
		expectStatus(t, p, http.StatusForbidden)
		expectBody(t, p, "was put on hold by Test admin (admin): only an admin may release it")
	}
	_, token, err := e.svc.CreateToken(context.Background(), "ERP")
	if err != nil {
		t.Fatal(err)
	}
	api := &apiEnv{t: t, srv: e.srv, svc: e.svc, pool: e.pool, token: token}
	r := api.mustCode(http.StatusForbidden, domain.CodeForbidden, "POST", "/api/v1/orders/"+o.ID+"/release", nil)
	if !strings.Contains(string(r.Body), "staff release this one on the order page") {
		t.Errorf("token release refusal: %s", r.Body)
	}
	if got, _ := e.svc.GetOrder(context.Background(), o.Number); got.Hold == nil || got.Hold.Reason != "Fraud review" {
		t.Fatalf("a refused release changed the hold: %+v", got.Hold)
	}
	expectStatus(t, admin.post("/orders/"+o.Number+"/release", nil), http.StatusSeeOther)

	// What the warehouse held, the warehouse releases; so may support and the admin.
	expectStatus(t, wh.post("/orders/"+o.Number+"/hold", url.Values{"reason": {"Box damaged, repacking"}}), http.StatusSeeOther)
	expectBody(t, wh.get("/orders/"+o.Number), `action="/orders/`+o.Number+`/release"`)
	expectStatus(t, wh.post("/orders/"+o.Number+"/release", nil), http.StatusSeeOther)

	// A token's hold: the token releases it, or support; not the warehouse.
	api.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "Fraud score 87"})
	expectStatus(t, wh.post("/orders/"+o.Number+"/release", nil), http.StatusForbidden)
	expectStatus(t, support.post("/orders/"+o.Number+"/release", nil), http.StatusSeeOther)
	api.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "Fraud score 90"})
	api.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/release", nil)
}
