package web

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// axeSource is axe-core 4.14.1 (npm axe-core@4.14.1, package/axe.min.js, MPL-2.0),
// vendored so that the test needs no network. To update: `npm pack axe-core@X.Y.Z`,
// copy package/axe.min.js to testdata/axe-X.Y.Z.min.js and change the name here.
//
//go:embed testdata/axe-4.14.1.min.js
var axeSource string

// axeRun checks the document against WCAG 2.0 and 2.1, levels A and AA.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
	.then(function (r) {
		return {passes: r.passes.length, violations: r.violations.map(function (v) {
			return {id: v.id, impact: v.impact || "", help: v.help, count: v.nodes.length,
				nodes: v.nodes.slice(0, 3).map(function (n) {
					return {target: n.target.map(String).join(" "), html: n.html};
				})};
		})};
	})`

// axeResult is how many rules a page passes, and the rules it breaks, each with the
// first few elements that break it.
type axeResult struct {
	Passes     int
	Violations []struct {
		ID, Impact, Help string
		Count            int
		Nodes            []struct{ Target, HTML string }
	}
}

// axePage is one page in one state: opened at path by a session of role ("": a customer,
// logged out), then brought to that state by then (a form submitted with errors...).
type axePage struct {
	name   string
	role   domain.Role
	path   string
	status int64 // the page's HTTP status; 0: 200
	then   func(s *uiSession)
	shows  string // a CSS selector the state must match (so that it is the state meant)
}

// axeSkipped are the GET staff routes that are not pages: downloads and event streams.
var axeSkipped = map[string]bool{
	"/orders/:number/events":   true, // server-sent events
	"/orders/exports/:id/file": true, // the export's file
	"/orders/new/products":     true, // the new order's product search results (an htmx fragment)
	"/activity/export":         true, // the activity log's CSV file
}

// Every page of the back office and of the customer's tracking, in the states where
// they differ, passes axe-core's WCAG 2.1 A/AA rules. A new page: one more entry.
func TestBrowserPagesHaveNoAxeViolations(t *testing.T) {
	e := newUIEnv(t)
	// Some sixty pages, about a second each on a busy machine: more than uiTestBudget.
	e.deadline = time.Now().Add(3 * time.Minute)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %#v", err)
		}
	}

	created := e.order(uiGrace, "created")
	paid := e.order(uiAlan, "paid")
	_, err := e.svc.SetTags(ctx, uiActor, paid.Number, []string{"vip", "gift-wrap"})
	must(err)
	_, err = e.svc.Hold(ctx, uiActor, paid.Number, "Address to be confirmed by phone")
	must(err)
	shipped := e.order(uiAda, "shipped")
	delivered := e.order(uiGrace, "delivered")
	returned := e.order(uiAlan, "returned")
	edited := e.order(uiAda, "paid") // paid, then a mug less: a refund is due
	_, err = e.svc.EditOrder(ctx, uiActor, edited.Number, domain.OrderEdit{Reason: "customer changed their mind",
		Remove: []domain.LineQuantity{{OrderItemID: edited.Items[0].ID, Quantity: 1}}})
	must(err)
	// Delivered 60 days ago: past the 30 days customers may ask for a return in.
	late := e.order(uiGrace, "delivered")
	_, err = e.pool.Exec(ctx, `UPDATE orders SET delivered_at = now() - interval '60 days' WHERE id = $1`, late.ID)
	must(err)
	toCancel := e.order(uiAlan, "created")
	// A public address (private ones are refused); no order is made after it, so no event
	// is ever queued for it.
	_, _, err = e.svc.CreateWebhookEndpoint(ctx, "https://8.8.8.8/hooks/oms", []string{"order.created"})
	must(err)
	hooks, err := e.svc.ListWebhookEndpoints(ctx)
	must(err)
	_, _, err = e.svc.CreateToken(ctx, "Storefront", domain.ScopeOrdersRead)
	must(err)
	e.staff(domain.RoleSupport) // one more row on the staff tab
	// A small export is a download: a background one, the page of its progress.
	e.staff(domain.RoleAdmin)
	staff, err := e.svc.ListStaffUsers(ctx)
	must(err)
	var export service.Export
	for _, u := range staff {
		if u.Role == domain.RoleAdmin {
			export, err = e.svc.StartExport(ctx, domain.Actor{Type: domain.ActorStaff, ID: u.ID, Name: u.Name}, domain.OrderFilter{}, nil, service.ExportCSV)
			must(err)
			// Saved views: one shared, one of the admin's own (tabs, the views page).
			admin := service.Viewer{Actor: u.Actor(), Role: u.Role}
			for _, v := range []struct{ name, query, share string }{{"Paid VIP", "status=paid&tag=vip", "everyone"}, {"Late", "sla=late&sort=ship_by", "me"}} {
				_, err = e.svc.CreateView(ctx, admin, domain.ViewChange{Name: &v.name, Query: &v.query, SharedWith: &v.share})
				must(err)
			}
		}
	}
	// Shipping deadlines: the dashboard's tiles, the deadline columns, the settings tab.
	hours := map[string][2]string{"mon": {"09:00", "17:00"}, "tue": {"09:00", "17:00"}, "wed": {"09:00", "17:00"},
		"thu": {"09:00", "17:00"}, "fri": {"09:00", "17:00"}}
	_, err = e.svc.SaveDeadlineSettings(ctx, domain.DeadlineInput{TimeZone: "Europe/Berlin", Hours: hours, ShipWithin: "16", AtRisk: "4"})
	must(err)
	// A shipping rate with deadline hours of its own (the rates' table and its column).
	_, err = e.svc.SaveShippingRate(ctx, uuid.Nil, domain.ShippingRateInput{Country: "DE", Currency: "EUR", Amount: "5", ShipWithin: "8"})
	must(err)

	order := func(o domain.Order, rest string) string { return "/orders/" + o.Number + rest }
	// trackOrder looks the order up on the tracking page, as its customer.
	trackOrder := func(o domain.Order, email string) func(s *uiSession) {
		return func(s *uiSession) {
			s.setValue("#order_number", o.Number)
			s.setValue("#email", email)
			s.submit(`form.track-form button[type=submit]`, "")
		}
	}
	// fieldError submits the form of button sel and waits for an error beside a field.
	fieldError := func(sel string) func(s *uiSession) {
		return func(s *uiSession) {
			s.click(sel)
			s.waitFor("a field error", `!!document.querySelector('[aria-invalid="true"]')`)
		}
	}
	// sendEmpty sends the form sel as it is (its required fields empty): a page with errors.
	sendEmpty := func(sel string) func(s *uiSession) {
		return func(s *uiSession) { s.submit(sel+" button[type=submit]", "") }
	}
	const invalid = `[aria-invalid="true"]`
	admin, warehouse := domain.RoleAdmin, domain.RoleWarehouse

	pages := []axePage{
		{name: "login", path: "/login"},
		{name: "login wrong password", path: "/login", then: func(s *uiSession) {
			s.setValue("#email", "admin@example.com")
			s.setValue("#password", "not the password")
			s.submit(`form[action="/login"] button[type=submit]`, "")
		}},
		{name: "dashboard", role: admin, path: "/"},
		{name: "orders", role: admin, path: "/orders"},
		{name: "orders filter panel", role: admin, path: "/orders?tag=vip", then: func(s *uiSession) {
			s.click(".filter-popover summary")
		}, shows: ".filter-popover[open] .filter-panel"},
		{name: "orders bad filter", role: admin, path: "/orders?created_from=yesterday", status: http.StatusUnprocessableEntity,
			shows: ".filter-popover[open]"},
		{name: "orders no match", role: admin, path: "/orders?q=nobody-orders-this"},
		{name: "orders saved view", role: admin, path: "/orders?status=paid&tag=vip", shows: ".saved-tab.active"},
		{name: "orders save view", role: admin, path: "/orders", then: func(s *uiSession) {
			s.click(".save-view-popover > summary")
		}, shows: ".save-view-popover[open] #save-view"},
		{name: "orders save view errors", role: admin, path: "/orders", then: func(s *uiSession) {
			s.click(".save-view-popover > summary")
			s.submit("#save-view button[type=submit]", "")
		}, shows: ".save-view-popover[open] " + invalid},
		{name: "saved views", role: admin, path: "/orders/views"},
		{name: "saved views rename errors", role: admin, path: "/orders/views", then: func(s *uiSession) {
			s.click("td details summary")
			s.setValue(`td details input[name="name"]`, "")
			s.submit("td details button[type=submit]", "")
		}, shows: "details[open] " + invalid},
		{name: "activity", role: admin, path: "/activity"},
		{name: "activity bad filter", role: admin, path: "/activity?from=yesterday", status: http.StatusUnprocessableEntity, shows: ".list-error"},
		{name: "order new", role: admin, path: "/orders/new"},
		{name: "order new errors", role: admin, path: "/orders/new", then: func(s *uiSession) {
			s.submit("#new-order button.btn-primary", "")
		}, shows: invalid},
		{name: "order created", role: admin, path: order(created, "")},
		{name: "order paid tagged held", role: admin, path: order(paid, ""), shows: ".hold-banner"},
		{name: "order shipped", role: admin, path: order(shipped, "")},
		{name: "order delivered", role: admin, path: order(delivered, "")},
		{name: "order with a return", role: admin, path: order(returned, "")},
		{name: "order refund due after edit", role: admin, path: order(edited, ""), shows: "dt.owed-back"},
		{name: "order comment errors", role: admin, path: order(shipped, ""), then: func(s *uiSession) {
			uiEval[chromedp.Void](s, `document.querySelector("#comment-form textarea").removeAttribute("required")`)
			s.click("#comment-form button[type=submit]")
			s.waitFor("the comment's error", `!!document.querySelector('#comment-form [aria-invalid="true"]')`)
		}},
		{name: "order as warehouse", role: warehouse, path: order(paid, "")},
		{name: "edit", role: admin, path: order(edited, "/edit")},
		{name: "edit review", role: admin, path: order(edited, "/edit"), then: func(s *uiSession) {
			s.setValue(`[name="add[0].sku"]`, "TEE-1")
			s.setValue(`[name="add[0].quantity"]`, "1")
			s.setValue("#reason", "customer asked on the phone")
			s.submit(`#edit-lines button.btn-primary`, "")
		}},
		{name: "edit errors", role: admin, path: order(edited, "/edit"), then: func(s *uiSession) {
			s.setValue(`[name="add[0].sku"]`, "NO-SUCH-SKU")
			s.setValue(`[name="add[0].quantity"]`, "1")
			s.submit(`#edit-lines button.btn-primary`, "")
		}, shows: invalid},
		{name: "payment", role: admin, path: order(created, "/payment")},
		{name: "payment errors", role: admin, path: order(created, "/payment"), then: func(s *uiSession) {
			s.setValue("#amount", "-3")
			fieldError(`#action-panel form button[type=submit]`)(s)
		}, shows: invalid},
		{name: "refund", role: admin, path: order(edited, "/refund")},
		{name: "refund errors", role: admin, path: order(edited, "/refund"), then: func(s *uiSession) {
			s.setValue("#amount", "abc")
			fieldError(`#action-panel form button[type=submit]`)(s)
		}, shows: invalid},
		{name: "cancel", role: admin, path: order(created, "/cancel")},
		{name: "return", role: admin, path: order(delivered, "/return")},
		{name: "fulfill", role: warehouse, path: order(edited, "/fulfill")},
		{name: "packing slip", role: warehouse, path: order(edited, "/packing-slip")},
		{name: "packing slips", role: warehouse, path: "/orders/packing-slips?ids=" + edited.ID + "&ids=" + created.ID},
		{name: "fulfillment queue", role: warehouse, path: "/fulfillment"},
		{name: "returns", role: admin, path: "/returns"},
		{name: "products", role: admin, path: "/products"},
		{name: "product new", role: admin, path: "/products/new"},
		{name: "product new errors", role: admin, path: "/products/new", then: sendEmpty("main form.narrow-form"), shows: invalid},
		{name: "product edit", role: admin, path: "/products/MUG-1/edit"},
		{name: "settings staff", role: admin, path: "/settings"},
		{name: "settings staff errors", role: admin, path: "/settings", then: sendEmpty(`form[action="/settings/staff"]`), shows: invalid},
		{name: "settings tokens", role: admin, path: "/settings/tokens"},
		{name: "settings tokens errors", role: admin, path: "/settings/tokens", then: sendEmpty(`form[action="/settings/tokens"]`), shows: invalid},
		{name: "settings tax", role: admin, path: "/settings/tax"},
		{name: "settings tax errors", role: admin, path: "/settings/tax", then: sendEmpty(`form[action="/settings/tax"]`), shows: invalid},
		{name: "settings shipping", role: admin, path: "/settings/shipping"},
		{name: "settings shipping errors", role: admin, path: "/settings/shipping", then: sendEmpty(`form[action="/settings/shipping"]`), shows: invalid},
		{name: "settings coupons", role: admin, path: "/settings/coupons"},
		{name: "settings coupons errors", role: admin, path: "/settings/coupons", then: sendEmpty(`form[action="/settings/coupons"]`), shows: invalid},
		{name: "settings emails", role: admin, path: "/settings/emails"},
		{name: "settings email", role: admin, path: "/settings/emails/shipped"},
		{name: "settings email preview", role: admin, path: "/settings/emails/shipped", then: func(s *uiSession) {
			s.submit(`form[action="/settings/emails/shipped"] button[formaction]`, "")
		}},
		{name: "settings email errors", role: admin, path: "/settings/emails/shipped", then: func(s *uiSession) {
			s.setValue(`[name="subject"]`, "")
			s.setValue(`[name="body"]`, "")
			s.submit(`form[action="/settings/emails/shipped"] button.btn-primary`, "")
		}, shows: invalid},
		{name: "settings webhooks", role: admin, path: "/settings/webhooks"},
		{name: "settings webhooks errors", role: admin, path: "/settings/webhooks", then: sendEmpty(`form[action="/settings/webhooks"]`), shows: invalid},
		{name: "settings webhook", role: admin, path: "/settings/webhooks/" + hooks[0].ID.String()},
		{name: "settings deadlines", role: admin, path: "/settings/deadlines"},
		{name: "settings deadlines errors", role: admin, path: "/settings/deadlines", then: func(s *uiSession) {
			s.setValue("#open_mon", "25:00")
			s.setValue("#time_zone", "Mars/Olympus")
			s.submit("form.deadlines-form button[type=submit]", "")
		}, shows: invalid},
		{name: "export", role: admin, path: "/orders/exports/" + export.ID},
		// The confirmation is the page without JavaScript (app.js asks in a dialog instead).
		{name: "bulk cancel confirm", role: admin, path: "/orders", then: func(s *uiSession) {
			uiEval[chromedp.Void](s, fmt.Sprintf(`(function () {
				var f = document.createElement("form");
				f.method = "post";
				f.action = "/orders/bulk/cancel";
				[["_csrf", document.querySelector('input[name="_csrf"]').value], ["ids", %q]].forEach(function (kv) {
					var i = document.createElement("input");
					i.type = "hidden";
					i.name = kv[0];
					i.value = kv[1];
					f.appendChild(i);
				});
				document.body.appendChild(f);
				f.submit();
			})()`, toCancel.ID))
			s.waitFor("the confirmation", `!!document.querySelector('input[name="confirmed"]')`)
		}},
		{name: "bulk cancel progress", role: admin, path: "", then: func(s *uiSession) {
			s.submit(`main form[action="/orders/bulk/cancel"] button[type=submit]`, "")
		}},
		{name: "not found", role: admin, path: "/orders/NO-SUCH-ORDER", status: http.StatusNotFound},
		{name: "forbidden", role: warehouse, path: "/settings", status: http.StatusForbidden},
		{name: "track lookup", path: "/track"},
		{name: "track not found", path: "/track", then: trackOrder(created, "nobody@example.com"), shows: ".track-notice-error"},
		{name: "track shipped", path: "/track", then: trackOrder(shipped, uiAda.email)},
		{name: "track return form", path: "/track", then: trackOrder(delivered, uiGrace.email)},
		{name: "track return errors", path: "/track", then: func(s *uiSession) {
			trackOrder(delivered, uiGrace.email)(s)
			s.setValue("#qty-"+delivered.Items[0].ID, "3")
			s.submit(`form.return-form button[type=submit]`, "")
		}, shows: invalid},
		{name: "track returns closed", path: "/track", then: trackOrder(late, uiGrace.email), shows: ".track-returns-closed"},
		{name: "track return requested", path: "/track", then: func(s *uiSession) {
			trackOrder(delivered, uiGrace.email)(s)
			s.setValue("#qty-"+delivered.Items[0].ID, "1")
			s.setValue("#reason-"+delivered.Items[0].ID, "Damaged or defective")
			s.submit(`form.return-form button[type=submit]`, "")
		}, shows: ".track-notice-success"},
	}

	sessions := map[domain.Role]*uiSession{}
	covered := map[string]bool{} // the paths checked
	for _, p := range pages {
		s := sessions[p.role]
		if s == nil {
			if p.role == "" {
				s = e.session("customer")
			} else {
				s = e.session(string(p.role))
				s.login(p.role)
			}
			sessions[p.role] = s
		}
		if p.path != "" {
			resp := uiRun(s, "open "+p.path, chromedp.NavigateResponse(e.url(p.path)))
			want := p.status
			if want == 0 {
				want = http.StatusOK
			}
			var status int64
			if resp != nil {
				status = resp.Status
			}
			if status != want {
				s.fatalf("%s: open %s: status %d, want %d", p.name, p.path, status, want)
			}
		}
		if p.then != nil {
			p.then(s)
		}
		if p.shows != "" && s.count(p.shows) == 0 {
			s.fatalf("%s: the page does not show %s", p.name, p.shows)
		}
		if os.Getenv("OMS_SCREENSHOTS_DIR") != "" { // to look at every page checked
			s.shot(p.name)
		}
		s.step("load axe", chromedp.Evaluate[chromedp.Void](axeSource))
		res := uiRun(s, "axe.run", chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
		where := s.location()
		covered[strings.SplitN(where, "?", 2)[0]] = true
		t.Run(p.name, func(t *testing.T) {
			if res.Passes == 0 {
				t.Errorf("%s: axe passed no rule: did it run?", where)
			}
			for _, v := range res.Violations {
				var b strings.Builder
				fmt.Fprintf(&b, "%s: %s (%s) %s, %d elements:", where, v.ID, v.Impact, v.Help, v.Count)
				for _, n := range v.Nodes {
					fmt.Fprintf(&b, "\n    %s: %s", n.Target, n.HTML)
				}
				t.Error(b.String())
			}
		})
	}

	// The guard: every GET staff page of the route table was checked.
	for key := range e.server.permissions {
		method, route, _ := strings.Cut(key, " ")
		if method != http.MethodGet || axeSkipped[route] {
			continue
		}
		re := regexp.MustCompile("^" + regexp.MustCompile(`:[a-z_]+`).ReplaceAllString(route, `[^/]+`) + "$")
		found := false
		for path := range covered {
			found = found || re.MatchString(path)
		}
		if !found {
			t.Errorf("GET %s is not in the pages axe checks: add it", route)
		}
	}
}
