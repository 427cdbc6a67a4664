package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// tabOf finds a tab of the order list by its label: its link and count.
var tabPattern = regexp.MustCompile(`<a class="tab[^"]*" href="([^"]*)"[^>]*>\s*([^<]+?)\s*(?:<span class="tab-count">([^<]*)</span>)?\s*</a>`)

func tabsOf(t *testing.T, body string) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, m := range tabPattern.FindAllStringSubmatch(body, -1) {
		out[m[2]] = [2]string{strings.ReplaceAll(m[1], "&amp;", "&"), m[3]}
	}
	return out
}

// A view saved by support and shared with the warehouse is a tab for the warehouse and
// for support, not for admins; only support may rename or delete it. Each tab shows its
// count, and an admin's default view is where a role's list opens.
func TestSharedViewSeenByAnotherRoleNotByAThird(t *testing.T) {
	e := newPageEnv(t)
	f := e.orders()
	vip := f.paid("vip@example.com", "Vee")
	f.paid("plain@example.com", "Plain")
	f.create("unpaid@example.com", "Unpaid", 1)
	if _, err := e.svc.SetTags(context.Background(), domain.System, vip.ID, []string{"vip"}); err != nil {
		t.Fatal(err)
	}
	support, warehouse, admin := e.loggedIn(domain.RoleSupport), e.loggedIn(domain.RoleWarehouse), e.loggedIn(domain.RoleAdmin)

	// Saved from the list as it is: its query, a name, who sees it.
	p := support.post("/orders/views", url.Values{"query": {"tag=vip&status=paid"}, "name": {"VIP to ship"}, "shared_with": {"warehouse"}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/orders?status=paid&tag=vip" {
		t.Errorf("saved view opens %q", loc)
	}
	for _, c := range []struct {
		who  *browser
		role domain.Role
		sees bool
	}{{support, domain.RoleSupport, true}, {warehouse, domain.RoleWarehouse, true}, {admin, domain.RoleAdmin, false}} {
		tabs := tabsOf(t, c.who.get("/orders").Body)
		tab, ok := tabs["VIP to ship"]
		if ok != c.sees {
			t.Errorf("%s sees the tab: %v, want %v (tabs %v)", c.role, ok, c.sees, tabs)
		}
		if ok && (tab[0] != "/orders?status=paid&tag=vip" || tab[1] != "1") {
			t.Errorf("%s: tab %v, want its link and a count of 1", c.role, tab)
		}
		if tabs["Unpaid"][1] != "1" || tabs["All"][1] != "3" {
			t.Errorf("%s: common tabs' counts %v", c.role, tabs)
		}
	}
	p = warehouse.get("/orders?status=paid&tag=vip")
	expectBody(t, p, `aria-current data-view-id=`)
	if strings.Contains(p.Body, `class="tab active" href="/orders?status=paid&amp;tag=vip"`) {
		t.Error("a common tab is active on a saved view")
	}

	views, err := e.svc.ListViews(context.Background(), viewerOfRole(e, domain.RoleWarehouse))
	if err != nil || len(views) != 1 {
		t.Fatalf("warehouse views: %v %v", views, err)
	}
	id := views[0].ID
	// The warehouse may not rename or delete it (the page says why); support may.
	p = warehouse.post("/orders/views/"+id+"/delete", nil)
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, warehouse.get("/orders/views"), "Only who saved the view", "Shared with you")
	expectStatus(t, support.post("/orders/views/"+id, url.Values{"name": {"VIP, paid"}, "shared_with": {"everyone"}}), http.StatusSeeOther)
	if _, ok := tabsOf(t, admin.get("/orders").Body)["VIP, paid"]; !ok {
		t.Error("shared with everyone, the admin does not see it")
	}
	p = support.post("/orders/views/"+id, url.Values{"name": {""}, "shared_with": {"everyone"}})
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, `id="err-name"`)
	// A view of a query the list refuses is not saved, and the list says why.
	p = support.post("/orders/views", url.Values{"query": {"status=lost"}, "name": {"Lost"}, "shared_with": {"me"}})
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, "status unknown status")

	// The admin makes it the warehouse's default: the warehouse's list opens with it.
	expectStatus(t, admin.post("/orders/views/defaults", url.Values{"default_warehouse": {id}}), http.StatusSeeOther)
	p = warehouse.get("/orders")
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/orders?status=paid&tag=vip" {
		t.Errorf("the warehouse's list opens %q", loc)
	}
	all := warehouse.get("/orders?view=all")
	expectStatus(t, all, http.StatusOK)
	if got := tabsOf(t, all.Body)["All"][0]; got != "/orders?view=all" {
		t.Errorf("All links to %q", got)
	}
	expectStatus(t, support.get("/orders"), http.StatusOK) // support has no default
	// Shared with support only, it is no longer the warehouse's default.
	expectStatus(t, support.post("/orders/views/"+id, url.Values{"name": {"VIP, paid"}, "shared_with": {"support"}}), http.StatusSeeOther)
	expectStatus(t, warehouse.get("/orders"), http.StatusOK)
	expectStatus(t, support.post("/orders/views/"+id+"/delete", nil), http.StatusSeeOther)
	if _, ok := tabsOf(t, support.get("/orders").Body)["VIP, paid"]; ok {
		t.Error("a deleted view is still a tab")
	}
}

// viewerOfRole is the test user of role r, as the views see them.
func viewerOfRole(e *pageEnv, r domain.Role) service.Viewer {
	return service.Viewer{Actor: e.users[r].Actor(), Role: r}
}

// The tabs are in the order the user puts them: by the arrows of /orders/views (and by
// dragging, which posts the order to /orders/views/tabs).
func TestViewTabsKeepTheirOrder(t *testing.T) {
	e := newPageEnv(t)
	e.orders()
	b := e.loggedIn(domain.RoleSupport)
	for _, name := range []string{"First", "Second", "Third"} {
		p := b.post("/orders/views", url.Values{"query": {"q=" + strings.ToLower(name)}, "name": {name}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("save %s: %d %s", name, p.Status, regexp.MustCompile(`(?s)class="field-error"[^>]*>[^<]*`).FindAllString(p.Body, -1))
		}
	}
	order := func() string {
		var names []string
		for _, m := range regexp.MustCompile(`data-view-id="[^"]+"[^>]*>\s*([^<]+?)\s*<`).FindAllStringSubmatch(b.get("/orders").Body, -1) {
			names = append(names, m[1])
		}
		return strings.Join(names, ",")
	}
	if got := order(); got != "First,Second,Third" {
		t.Fatalf("tabs %s", got)
	}
	views, _ := e.svc.ListViews(context.Background(), viewerOfRole(e, domain.RoleSupport))
	expectStatus(t, b.post("/orders/views/"+views[2].ID+"/move", url.Values{"dir": {"left"}}), http.StatusSeeOther)
	if got := order(); got != "First,Third,Second" {
		t.Errorf("after moving Third left: %s", got)
	}
	p := b.post("/orders/views/tabs", url.Values{"ids": {views[1].ID, views[0].ID}}, "X-Requested-With", "fetch")
	expectStatus(t, p, http.StatusNoContent)
	if got := order(); got != "Second,First,Third" {
		t.Errorf("after dragging: %s", got)
	}
	expectBody(t, b.get("/orders/views"), "Move Second left", "Rename or share")
}

// Settings → Shipping deadlines saves the rules from the form, says what is wrong next
// to the field, and paid orders get their deadline (shown on the list and the order).
func TestDeadlineSettingsPage(t *testing.T) {
	e := newPageEnv(t)
	f := e.orders()
	o := f.paid("ada@example.com", "Ada")
	admin := e.loggedIn(domain.RoleAdmin)
	p := admin.get("/settings/deadlines")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, `name="works_mon" checked`, `value="09:00"`, `name="ship_within_hours" type="text" value=""`)

	form := url.Values{"time_zone": {"America/New_York"}, "ship_within_hours": {"16"}, "at_risk_hours": {"4"},
		"holidays": {"2026-12-25\n2026-07-04"}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		form.Set("works_"+d, "on")
		form.Set("open_"+d, "00:00")
		form.Set("close_"+d, "24:00")
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("time_zone", "Mars/Olympus")
	bad.Set("close_tue", "08:00")
	bad.Set("open_tue", "09:00")
	bad.Set("holidays", "soon")
	p = admin.post("/settings/deadlines", bad)
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, `id="err-time_zone"`, `id="err-hours.tue"`, `id="err-holidays"`, `value="Mars/Olympus"`)

	p = admin.post("/settings/deadlines", form)
	expectStatus(t, p, http.StatusSeeOther)
	p = admin.get("/settings/deadlines")
	expectBody(t, p, "Shipping deadlines saved", "were recomputed", `value="America/New_York"`, "2026-07-04\n2026-12-25")
	got, err := e.svc.GetOrder(context.Background(), o.ID)
	if err != nil || got.ShipBy == nil || !got.ShipBy.Equal(got.PaidAt.Add(16*60*60*1e9)) {
		t.Fatalf("ship by %v (paid %v), %v", got.ShipBy, got.PaidAt, err)
	}
	expectBody(t, admin.get("/orders"), `>Ship by`, `class="ship-by"`)
	expectBody(t, admin.get("/orders/"+o.Number), "Ship by")
	expectBody(t, e.loggedIn(domain.RoleWarehouse).get("/fulfillment"), "the soonest deadline first", "due in 15 h")
	expectStatus(t, e.loggedIn(domain.RoleSupport).get("/settings/deadlines"), http.StatusForbidden)

	// The dashboard counts late and at-risk orders, and offers the daily email.
	if _, err := e.pool.Exec(context.Background(), `UPDATE orders SET ship_by = now() - interval '1 hour' WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	wh := e.loggedIn(domain.RoleWarehouse)
	p = wh.get("/")
	expectBody(t, p, "Late to ship", `href="/orders?sla=late&amp;sort=ship_by"`, "Email me each day")
	if !regexp.MustCompile(`Late to ship</div>\s*<div class="stat-value">1</div>`).MatchString(p.Body) {
		t.Error("the late tile does not count the late order")
	}
	expectStatus(t, wh.post("/account/late-digest", url.Values{"on": {"true"}}), http.StatusSeeOther)
	if on, _ := e.svc.LateDigest(context.Background(), e.users[domain.RoleWarehouse].ID); !on {
		t.Error("the digest is not switched on")
	}
	expectBody(t, wh.get("/"), "Stop the email")
	expectBody(t, wh.get("/orders?sla=late"), o.Number, `class="badge badge-late"`)
}

// /activity shows admins every change with who made it, filtered by who, what, order and
// dates, and exports the same as CSV; other roles may not see it.
func TestActivityPage(t *testing.T) {
	e := newPageEnv(t)
	f := e.orders()
	o := f.paid("ada@example.com", "Ada")
	admin := e.loggedIn(domain.RoleAdmin)
	expectStatus(t, admin.post("/settings/tax", url.Values{"country": {"US"}, "rate": {"7.25"}}), http.StatusSeeOther)
	bad := e.browser()
	bad.login("support@example.com", "not the password")

	p := admin.get("/activity")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "admin@example.com", "Saved the tax rate of US: 7.25 %", "Logged in", "Login refused: wrong password",
		"support@example.com", o.Number, `href="/activity/export"`)
	p = admin.get("/activity?order=" + o.Number)
	expectBody(t, p, "Status: paid", `href="/activity/export?order_id=`+o.ID+`"`)
	if strings.Contains(p.Body, "Saved the tax rate") {
		t.Error("the order filter shows settings")
	}
	p = admin.get("/activity?kind=settings&actor=admin@example.com")
	expectBody(t, p, "Saved the tax rate")
	if strings.Contains(p.Body, o.Number) {
		t.Error("the kind filter shows orders")
	}
	p = admin.get("/activity?order=ORD-NOPE&from=yesterday")
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, "Order is no order number we know")
	expectStatus(t, e.loggedIn(domain.RoleSupport).get("/activity"), http.StatusForbidden)

	exp := admin.get("/activity/export?kind=settings")
	expectStatus(t, exp, http.StatusOK)
	recs, err := csv.NewReader(bytes.NewReader([]byte(exp.Body))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][1] != "admin@example.com" || recs[1][3] != "settings" {
		t.Fatalf("export %v %v", recs, err)
	}
}
