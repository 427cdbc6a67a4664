package web

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/domain"
)

// Real-browser tests of the back-office (see browser_helpers_test.go for the harness).
// Run them alone with: go test ./web -run TestBrowser -v
// and keep the screenshots with OMS_SCREENSHOTS_DIR=/tmp/oms-shots.

func TestBrowserLoginShowsAWrongPasswordByTheFieldThenLogsIn(t *testing.T) {
	e := newUIEnv(t)
	e.order(uiGrace, "paid")
	e.product("LAMP-9", "Desk lamp", "49.00", 3) // low stock on the dashboard
	e.staff(domain.RoleAdmin)
	b := e.session("admin")

	// A page that needs a login leads to the login form, then back to that page.
	if st := b.open("/products", "login"); st != 200 {
		b.fatalf("login page: status %d", st)
	}
	if loc := b.location(); !strings.HasPrefix(loc, "/login") {
		b.fatalf("not sent to the login page: %s", loc)
	}
	b.typeInto("#email", "admin@example.com")
	b.typeInto("#password", "not the password")
	if st := b.submit(`form[action="/login"] button[type=submit]`, "login-wrong-password"); st != 401 {
		b.fatalf("wrong password: status %d, want 401", st)
	}
	// The message is under the password field, the email is kept, the password is not.
	msg := uiEval[string](b, `(function () {
		var f = document.getElementById("password").closest(".field");
		var err = f && f.querySelector(".field-error");
		return err ? err.innerText : "";
	})()`)
	if !strings.Contains(msg, "Email or password is incorrect") {
		b.fatalf("no error by the password field; page says: %s", b.text("main"))
	}
	if v := uiEval[string](b, `document.getElementById("email").value`); v != "admin@example.com" {
		t.Errorf("email field holds %q after the error", v)
	}
	if v := uiEval[string](b, `document.getElementById("password").value`); v != "" {
		t.Errorf("password field kept the password")
	}
	if !uiEval[bool](b, `document.getElementById("password").getAttribute("aria-invalid") === "true"`) {
		t.Errorf("password field is not marked aria-invalid")
	}

	b.typeInto("#password", uiPassword)
	if st := b.submit(`form[action="/login"] button[type=submit]`, "products"); st != 200 {
		b.fatalf("login: status %d", st)
	}
	b.expectLocation("/products")
	b.waitText(".usermenu-name", "Test Admin")
	for _, sku := range []string{"MUG-1", "TEE-1", "LAMP-9"} {
		if !b.visible("#product-" + sku) {
			t.Errorf("products page lacks %s", sku)
		}
	}
	// Live search narrows the products as one types.
	b.typeInto("#product-search", "lamp")
	b.waitFor("only the lamp listed", `document.querySelectorAll("#product-list [data-row]").length === 1 && !!document.getElementById("product-LAMP-9")`)
	b.waitFor("the search in the address bar", `location.search === "?q=lamp"`)
	b.shot("products-search")

	// The dashboard: the paid order is awaiting fulfillment, the lamp is low on stock.
	if st := b.open("/", "dashboard"); st != 200 {
		b.fatalf("dashboard: status %d", st)
	}
	main := b.text("main")
	for _, want := range []string{"Dashboard", "LAMP-9"} {
		if !strings.Contains(main, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if !uiEval[bool](b, `!!document.querySelector("main a[href^='/orders?']")`) {
		t.Errorf("dashboard has no link to a filtered order list")
	}

	// Log out through the user menu: the login form again, and pages need a login again.
	b.logout()
	b.shot("logged-out")
	if !strings.Contains(b.flash(), "logged out") {
		t.Errorf("no logged-out message: %q", b.flash())
	}
	b.open("/orders", "")
	if loc := b.location(); !strings.HasPrefix(loc, "/login") {
		t.Errorf("after logout /orders shows %s", loc)
	}
}

func TestBrowserOrderSearchAndTabsKeepTheViewInTheAddressBar(t *testing.T) {
	e := newUIEnv(t)
	graceUnpaid := e.order(uiGrace, "created")
	gracePaid := e.order(uiGrace, "paid")
	e.order(uiAlan, "shipped")
	e.order(uiAlan, "paid")
	e.order(uiAda, "created")
	b := e.session("support")
	b.login(domain.RoleSupport)

	rows := `document.querySelectorAll("#order-results [data-row]").length`
	b.open("/orders", "orders-all")
	if n := uiEval[int](b, rows); n != 5 {
		b.fatalf("%d rows, want 5", n)
	}
	b.waitText("[data-list-count]", "5")

	// Typing narrows the list as one types, and the address bar follows.
	b.typeInto("#order-search", "grace")
	b.waitFor("Grace's 2 orders", rows+` === 2`)
	b.waitFor("the search in the address bar", `location.search === "?q=grace"`)
	for _, o := range []domain.Order{graceUnpaid, gracePaid} {
		if b.count(fmt.Sprintf(`#order-results a[href="/orders/%s"]`, o.Number)) != 1 {
			t.Errorf("search result lacks %s", o.Number)
		}
	}
	b.shot("orders-search-grace")

	// A tab keeps the search and adds its filters to the address.
	b.submit(`#order-tabs a[href*="payment_status"]`, "orders-search-unpaid-tab")
	loc := b.location()
	if !strings.Contains(loc, "q=grace") || !strings.Contains(loc, "payment_status=") {
		b.fatalf("unpaid tab's address %s lacks the search or the filter", loc)
	}
	if n := uiEval[int](b, rows); n != 1 || b.count(fmt.Sprintf(`a[href="/orders/%s"]`, graceUnpaid.Number)) != 1 {
		b.fatalf("unpaid tab shows %d rows, want only %s", n, graceUnpaid.Number)
	}
	if tab := b.text(`#order-tabs a[aria-current]`); !regexp.MustCompile(`^Unpaid [0-9]+$`).MatchString(tab) {
		t.Errorf("current tab %q, want Unpaid with its count", tab)
	}
	if v := uiEval[string](b, `document.getElementById("order-search").value`); v != "grace" {
		t.Errorf("search box holds %q on the tab", v)
	}

	// The filter panel: status "shipped", applied, is in the address too.
	b.open("/orders", "")
	b.click("#order-filters .filter-popover > summary")
	b.click(`#order-filters input[name=status][value=shipped]`)
	b.shot("orders-filter-panel")
	b.submit(`#order-filters .filter-panel button[type=submit]`, "orders-filter-shipped")
	b.expectLocation("/orders?status=shipped")
	if n := uiEval[int](b, rows); n != 1 {
		t.Errorf("shipped filter shows %d rows, want 1", n)
	}

	// Back: the unpaid tab, then Grace's search, then the whole list, each as it was.
	b.back()
	b.waitFor("the whole list", `location.pathname + location.search === "/orders"`)
	b.back()
	b.waitFor("the unpaid tab again", `location.search.includes("payment_status=")`)
	b.waitFor("one row", rows+` === 1`)
	b.back()
	b.waitFor("Grace's search again", `location.search === "?q=grace"`)
	b.waitFor("Grace's 2 orders again", rows+` === 2`)
	b.shot("orders-back-to-search")
	b.back()
	b.waitFor("the whole list again", `location.search === "" && `+rows+` === 5`)
	b.shot("orders-back-to-all")
}

func TestBrowserBulkStatusChangeSaysWhichOrdersChangedAndWhyOthersDidNot(t *testing.T) {
	e := newUIEnv(t)
	paid1 := e.order(uiGrace, "paid")
	paid2 := e.order(uiAlan, "paid")
	shipped := e.order(uiAda, "shipped")
	b := e.session("support")
	b.login(domain.RoleSupport)
	b.open("/orders", "")

	// No selection, no bar; each row checked shows the bar with the count.
	if b.visible("[data-bulk-bar]") {
		t.Errorf("bulk bar shown before any row is selected")
	}
	for _, o := range []domain.Order{paid1, paid2, shipped} {
		b.click(fmt.Sprintf(`input[data-select][value="%s"]`, o.ID))
	}
	b.waitFor("the bulk bar", `(function () { var bar = document.querySelector("[data-bulk-bar]"); return bar && !bar.hidden && bar.getClientRects().length > 0; })()`)
	b.waitText("[data-bulk-count]", "3 selected")
	b.shot("orders-3-selected")

	// Change status ▾ → Processing.
	b.click("[data-bulk-bar] details:has(button[name=status]) > summary")
	b.waitFor("the status menu", `!!document.querySelector("[data-bulk-bar] button[name=status][value=processing]") && document.querySelector("[data-bulk-bar] button[name=status][value=processing]").getClientRects().length > 0`)
	b.shot("orders-bulk-status-menu")
	b.submit(`[data-bulk-bar] button[name=status][value=processing]`, "orders-bulk-summary")

	b.waitFor("the summary", `!!document.querySelector(".bulk-summary")`)
	head := b.text(".bulk-summary-head")
	if !strings.Contains(head, "2 updated") || !strings.Contains(head, "1 failed") {
		t.Errorf("summary says %q, want 2 updated, 1 failed", head)
	}
	failed := b.text(".bulk-failures")
	if !strings.Contains(failed, shipped.Number) || len(strings.TrimSpace(strings.Replace(failed, shipped.Number, "", 1))) < 10 {
		t.Errorf("failures %q do not name %s with a reason", failed, shipped.Number)
	}
	if strings.Contains(failed, paid1.Number) || strings.Contains(failed, paid2.Number) {
		t.Errorf("failures %q name an order that changed", failed)
	}
	t.Logf("failure shown: %s", failed)
	b.click(".bulk-succeeded > summary")
	ok := b.text(".bulk-succeeded")
	for _, o := range []domain.Order{paid1, paid2} {
		if !strings.Contains(ok, o.Number) {
			t.Errorf("succeeded list %q lacks %s", ok, o.Number)
		}
	}
	b.shot("orders-bulk-summary-open")

	for _, o := range []domain.Order{paid1, paid2} {
		if got := e.getOrder(o.Number).Status; got != domain.StatusProcessing {
			t.Errorf("%s is %s, want processing", o.Number, got)
		}
	}
	if got := e.getOrder(shipped.Number).Status; got != domain.StatusShipped {
		t.Errorf("%s is %s, want still shipped", shipped.Number, got)
	}
	// The rows show the new badges.
	if n := b.count(`#order-results [data-row] .badge-order.status-processing`); n != 2 {
		t.Errorf("%d rows show processing, want 2", n)
	}
}

func TestBrowserWarehouseShipsAnOrderPartlyThenFully(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	mug, tee := o.Items[0], o.Items[1]
	b := e.session("warehouse")
	b.login(domain.RoleWarehouse)

	// The queue lists the order; its row opens the form.
	b.open("/fulfillment", "queue")
	b.submit(fmt.Sprintf(`a.queue-link[href="/orders/%s/fulfill"]`, o.Number), "fulfill-form")
	qty := func(id string) string {
		return uiEval[string](b, fmt.Sprintf(`document.getElementById("qty-%s").value`, id))
	}
	if qty(mug.ID) != "2" || qty(tee.ID) != "1" {
		t.Errorf("quantities default to %s and %s, want what is left (2, 1)", qty(mug.ID), qty(tee.ID))
	}

	// One mug now: the steppers take one mug and the T-shirt off.
	b.click(`.fulfill-line[data-sku="MUG-1"] button[data-step="-1"]`)
	b.click(`.fulfill-line[data-sku="TEE-1"] button[data-step="-1"]`)
	if qty(mug.ID) != "1" || qty(tee.ID) != "0" {
		t.Fatalf("after the steppers: %s and %s, want 1 and 0", qty(mug.ID), qty(tee.ID))
	}
	b.setValue("#carrier", "UPS")
	b.typeInto("#tracking_number", "1Z999AA10123456784")
	if !uiEval[bool](b, `document.querySelector("input[name=notify_customer]").checked`) {
		t.Errorf("notify customer is not checked by default")
	}
	b.shot("fulfill-form-partial")
	b.submit(`form[data-fulfill] button[type=submit]`, "order-partly-shipped")

	// Back on the order: partly fulfilled, a flash says what is left.
	b.expectLocation("/orders/" + o.Number)
	if f := b.flash(); !strings.Contains(f, "1 item shipped via UPS") || !strings.Contains(f, "rest is still to ship") {
		t.Errorf("flash %q", f)
	}
	if b.count(`.order-header .badge-fulfillment.status-partially_fulfilled`) != 1 {
		t.Errorf("header lacks the partially fulfilled badge: %s", b.text(".order-header"))
	}
	if !strings.Contains(b.text("main"), "1Z999AA10123456784") {
		t.Errorf("the shipment's tracking number is not shown")
	}

	// The rest, counted with the scanner box: the first scan starts from zero.
	b.submit(fmt.Sprintf(`.order-header a[href="/orders/%s/fulfill"]`, o.Number), "fulfill-form-rest")
	if qty(mug.ID) != "1" || qty(tee.ID) != "1" {
		t.Errorf("quantities left %s and %s, want 1 and 1", qty(mug.ID), qty(tee.ID))
	}
	b.typeInto("#scan", "tee-1")
	b.pressEnter("#scan")
	b.waitText("#scan-status", "TEE-1: 1 of 1")
	if qty(mug.ID) != "0" {
		t.Errorf("first scan did not start the count from zero: mug %s", qty(mug.ID))
	}
	b.typeInto("#scan", "MUG-1")
	b.pressEnter("#scan")
	b.waitText("#scan-status", "MUG-1: 1 of 1")
	b.typeInto("#scan", "MUG-1")
	b.pressEnter("#scan")
	b.waitText("#scan-status", "already counted")
	b.typeInto("#scan", "NOPE-7")
	b.pressEnter("#scan")
	b.waitText("#scan-status", "not a line of this order")
	b.waitForWithin("the scan highlights to fade", `document.querySelectorAll(".fulfill-line.flash-hit").length === 0`, 2*time.Second)
	if loc := b.location(); loc != "/orders/"+o.Number+"/fulfill" {
		b.fatalf("Enter in the scan box left the form: %s", loc)
	}
	b.setValue("#carrier", "FedEx")
	b.typeInto("#tracking_number", "7489 2201 5550")
	b.shot("fulfill-form-scanned")
	b.submit(`form[data-fulfill] button[type=submit]`, "queue-after-shipping")

	// Back on the queue, now empty; the order is shipped and fulfilled.
	b.expectLocation("/fulfillment")
	if f := b.flash(); !strings.Contains(f, "2 items shipped via FedEx") {
		t.Errorf("flash %q", f)
	}
	if b.count(fmt.Sprintf(`a[href="/orders/%s/fulfill"]`, o.Number)) != 0 {
		t.Errorf("the shipped order is still in the queue")
	}
	got := e.getOrder(o.Number)
	if got.Status != domain.StatusShipped || got.FulfillmentStatus != domain.FulfillmentFulfilled || len(got.Fulfillments) != 2 {
		t.Errorf("order is %s/%s with %d shipments, want shipped/fulfilled with 2", got.Status, got.FulfillmentStatus, len(got.Fulfillments))
	}
	b.open("/orders/"+o.Number, "order-shipped")
	if b.count(`.order-header .badge-order.status-shipped`) != 1 || b.count(`.order-header .badge-fulfillment.status-fulfilled`) != 1 {
		t.Errorf("header badges: %s", b.text(".order-header .badges"))
	}
	if n := b.count(`.shipment a[href^="https://"]`); n != 2 {
		t.Errorf("%d tracking links, want 2", n)
	}
}

func TestBrowserReturnIsApprovedBySupportThenReceivedIntoStockByTheWarehouse(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiAda, "returned")
	ret := o.Returns[0]
	before, err := e.svc.GetInventory(context.Background(), "MUG-1")
	if err != nil {
		t.Fatal(err)
	}
	row := "#return-" + ret.ID

	// Support approves, after the confirmation that says what happens.
	b := e.session("support")
	b.login(domain.RoleSupport)
	b.open("/returns", "returns-requested")
	if !strings.Contains(b.text(row), o.Number) || !strings.Contains(b.text(row), "Too small") {
		b.fatalf("return row: %q", b.text(row))
	}
	b.typeInto(row+` input[name=note]`, "Label sent by email")
	b.click(row + ` button[formaction$="/approve"]`)
	b.waitFor("the confirm dialog", `document.getElementById("confirm-dialog").open`)
	if m := b.text("#confirm-message"); !strings.Contains(m, "Approve the return of 1 item of "+o.Number) {
		t.Errorf("confirmation says %q", m)
	}
	b.shot("returns-approve-confirm")
	b.submit("#confirm-ok", "returns-approved")
	b.expectLocation("/returns")
	if f := b.flash(); !strings.Contains(f, "approved for "+o.Number) {
		t.Errorf("flash %q", f)
	}
	if b.count(row) != 0 {
		t.Errorf("approved return still in the requested list")
	}
	if r := e.getOrder(o.Number).Returns[0]; r.Status != domain.ReturnApproved {
		t.Fatalf("return is %s, want approved", r.Status)
	}
	// Support may not receive parcels: the approved list has no form for them.
	b.open("/returns?status=approved", "returns-approved-support")
	if b.count(row+` form.decision`) != 0 {
		t.Errorf("support sees a receive form")
	}

	// The warehouse, in its own browser, receives the parcel and puts the mug back in stock.
	b = e.session("warehouse")
	b.login(domain.RoleWarehouse)
	b.open("/returns", "")
	b.submit(`a.tab[href="/returns?status=approved"]`, "returns-approved-warehouse")
	if !uiEval[bool](b, fmt.Sprintf(`document.querySelector(%q).checked`, row+` input[name=restock]`)) {
		t.Errorf("restock is not checked by default")
	}
	b.submit(row+` form.decision button[type=submit]`, "returns-received")
	if f := b.flash(); !strings.Contains(f, "received and put back in stock") {
		t.Errorf("flash %q", f)
	}
	r := e.getOrder(o.Number).Returns[0]
	if r.Status != domain.ReturnReceived || !r.Restocked {
		t.Errorf("return is %s (restocked %v), want received and restocked", r.Status, r.Restocked)
	}
	after, _ := e.svc.GetInventory(context.Background(), "MUG-1")
	if after.OnHand != before.OnHand+1 {
		t.Errorf("MUG-1 on hand %d, want %d", after.OnHand, before.OnHand+1)
	}
	b.open("/orders/"+o.Number, "order-returned")
	if !strings.Contains(b.text("#return-"+ret.ID), "restocked") {
		t.Errorf("order page's return: %q", b.text("#return-"+ret.ID))
	}
	if !strings.Contains(b.text(".shipment"), "Latest scan: Delivered, ") {
		t.Errorf("shipment's latest scan reads %q", b.text(".shipment"))
	}
}

func TestBrowserWarehouseIsRefusedARefund(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	refund := fmt.Sprintf(`a[href="/orders/%s/refund"]`, o.Number)

	// Support sees the Refund action (so that its absence below means something).
	s := e.session("support")
	s.login(domain.RoleSupport)
	s.open("/orders/"+o.Number, "order-support")
	if s.count(refund) != 1 {
		t.Errorf("support sees no Refund action: %s", s.text(".order-header .page-actions"))
	}

	w := e.session("warehouse")
	w.login(domain.RoleWarehouse)
	w.open("/orders/"+o.Number, "order-warehouse")
	if !strings.Contains(w.text(".order-header .page-actions"), "Fulfill items") {
		t.Errorf("warehouse header actions: %q", w.text(".order-header .page-actions"))
	}
	if w.count(refund) != 0 || strings.Contains(w.text(".order-header"), "Refund") {
		t.Errorf("warehouse sees a Refund action: %s", w.text(".order-header .page-actions"))
	}
	if st := w.open("/orders/"+o.Number+"/refund", "refund-form-forbidden"); st != 403 {
		t.Errorf("GET refund form: status %d, want 403", st)
	}
	// A forged POST from the warehouse's own page, with its valid CSRF token.
	w.open("/orders/"+o.Number, "")
	st := uiEval[int](w, fmt.Sprintf(`fetch("/orders/%s/refund", {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"] },
		body: "amount=10.00&reason=forged&confirmed=1",
		redirect: "manual"
	}).then(function (r) { return r.status; })`, o.Number))
	if st != 403 {
		t.Errorf("POST refund as warehouse: status %d, want 403", st)
	}
	if got := e.getOrder(o.Number); !got.Refunded.IsZero() || len(got.Refunds) != 0 {
		t.Errorf("a refund was made: %s", got.Refunded)
	}
}

func TestBrowserSecondSessionSeesTheChangeWithoutReloading(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiAlan, "paid")
	path := "/orders/" + o.Number

	// Support watches the order page.
	watcher := e.session("support-watching")
	watcher.login(domain.RoleSupport)
	watcher.open(path, "order-before")
	watcher.waitFor("the live stream", `window.__omsSSEOpen >= 1`)
	uiEval[bool](watcher, `window.__omsNotReloaded = true`)

	// The admin, in another browser session, comments and moves the order on.
	admin := e.session("admin-acting")
	admin.login(domain.RoleAdmin)
	admin.open(path, "")
	// The admin's five actions of a paid order sit in one row right of the title, the
	// next step (Fulfill items) first and primary, Cancel order last.
	if got := uiEval[string](admin, `(function () {
		var h = document.querySelector(".order-header"), t = h.querySelector("h1"), acts = h.querySelectorAll(".page-actions > *");
		var hr = h.getBoundingClientRect(), tr = t.getBoundingClientRect(), out = [];
		acts.forEach(function (a) {
			var r = a.getBoundingClientRect(), b = a.matches(".btn") ? a : a.querySelector("summary");
			if (r.top > tr.bottom || r.left < tr.right) out.push(b.textContent.trim() + " is not right of the title");
		});
		var last = acts[acts.length - 1].getBoundingClientRect();
		if (Math.abs(last.right - hr.right) > 1) out.push("the actions end " + Math.round(hr.right - last.right) + "px before the header");
		var labels = Array.prototype.map.call(acts, function (a) { return (a.matches(".btn") ? a : a.querySelector("summary")).textContent.trim(); });
		if (labels[0] !== "Fulfill items" || !acts[0].matches(".btn-primary") || labels[labels.length - 1] !== "Cancel order") out.push("actions " + labels.join(", "));
		return out.join("; ");
	})()`); got != "" {
		t.Errorf("order header at 1280px: %s", got)
	}
	admin.typeInto("#comment", "Customer called: leave the parcel at the back door")
	admin.submit(`#comment-form button[type=submit]`, "order-commented")
	admin.waitText("#timeline", "leave the parcel at the back door")

	watcher.waitForWithin("the comment in the watcher's timeline",
		`document.getElementById("timeline").innerText.includes("leave the parcel at the back door")`, 5*time.Second)
	watcher.shot("order-live-comment")

	admin.click(`.order-header details:has(input[name=to][value=processing]) > summary`)
	admin.typeInto(`#note-processing`, "Picking now")
	admin.submit(`.order-header form:has(input[name=to][value=processing]) button[type=submit]`, "order-processing")
	if got := e.getOrder(o.Number).Status; got != domain.StatusProcessing {
		admin.fatalf("order is %s after Mark as processing; page says %s", got, admin.flash())
	}
	watcher.waitForWithin("the processing badge on the watcher's page",
		`!!document.querySelector(".order-header .badge-order.status-processing")`, 5*time.Second)
	watcher.shot("order-live-processing")
	if !uiEval[bool](watcher, `window.__omsNotReloaded === true`) {
		t.Errorf("the watcher's page reloaded instead of updating in place")
	}
	if !strings.Contains(watcher.text("#timeline"), "Picking now") {
		t.Errorf("watcher's timeline lacks the status note: %s", watcher.text("#timeline"))
	}
}

// A double click on "Yes, refund" makes one refund: htmx drops the second submit while
// the first runs (hx-sync), and the form's one-time token would refuse it anyway.
func TestBrowserDoubleClickRefundsOnce(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	s := e.session("support")
	s.login(domain.RoleSupport)
	s.open("/orders/"+o.Number+"/refund", "refund-form")
	s.setValue("#amount", "10.00")
	s.click(`#action-panel button[type="submit"]`)
	s.waitFor("the confirm step", `document.querySelector("#action-panel .confirm-message") !== null`)
	s.shot("refund-confirm-double-click")
	uiEval[bool](s, `(function () {
		const b = document.querySelector("#action-panel button.btn-danger");
		b.dispatchEvent(new MouseEvent("dblclick", {bubbles: true}));
		b.click(); b.click();
		return true;
	})()`)
	s.waitFor("the order page", `location.pathname === "/orders/`+o.Number+`"`)
	s.waitFor("the flash", `document.body.innerText.includes("Refunded $10.00")`)
	s.shot("order-after-refund")
	if got := e.getOrder(o.Number); len(got.Refunds) != 1 || got.Refunded.String() != "10" {
		t.Fatalf("%d refunds, refunded %s: want one refund of 10.00", len(got.Refunds), got.Refunded)
	}
}

// The edit page: add a product, review what it does to the total, confirm; the order
// page then shows what is outstanding.
func TestBrowserEditOrderReviewsThenConfirms(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	s := e.session("support")
	s.login(domain.RoleSupport)
	s.open("/orders/"+o.Number, "order-before-edit")
	if st := s.submit(fmt.Sprintf(`.order-header a[href="/orders/%s/edit"]`, o.Number), "edit-page"); st != 200 {
		s.fatalf("edit page: status %d", st)
	}
	s.setValue(`[name="add[0].sku"]`, "TEE-1")
	s.setValue(`[name="add[0].quantity"]`, "2")
	s.setValue(`[name="remove_`+o.Items[0].ID+`"]`, "1")
	s.setValue("#reason", "customer asked on the phone")
	if st := s.submit(`#edit-lines button.btn-primary`, "edit-review"); st != 200 {
		s.fatalf("review: status %d", st)
	}
	review := s.text("#edit-lines")
	for _, want := range []string{"+2 × TEE-1 at 25.00", "−1 × MUG-1", "$87.50", "$37.50 is outstanding"} {
		if !strings.Contains(review, want) {
			t.Errorf("review lacks %q: %s", want, review)
		}
	}
	if st := s.submit(`#edit-lines button.btn-primary`, "order-after-edit"); st != 200 {
		s.fatalf("confirm: status %d", st)
	}
	s.expectLocation("/orders/" + o.Number)
	if f := s.flash(); !strings.Contains(f, "$37.50 is outstanding") {
		t.Errorf("flash %q", f)
	}
	if got := e.getOrder(o.Number); got.Total.String() != "87.5" || len(got.Items) != 3 {
		t.Errorf("after the edit: total %s, %d lines", got.Total, len(got.Items))
	}
}

func TestBrowserCustomerRequestsAReturnOnTheTrackingPage(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "delivered")
	mug := o.Items[0].ID

	b := e.session("customer")
	b.open("/track", "track-lookup")
	b.typeInto("#order_number", o.Number)
	b.typeInto("#email", uiGrace.email)
	b.submit(`form.track-form button[type=submit]`, "track-return-form")
	if b.count(`form.return-form fieldset`) != 2 {
		b.fatalf("return form lines: %d, want 2", b.count(`form.return-form fieldset`))
	}

	// Too many mugs: refused beside the mug's line, what was typed kept.
	b.setValue("#qty-"+mug, "3")
	b.setValue("#reason-"+mug, "Damaged or defective")
	b.typeInto("#return-reason", "The handle came off")
	if st := b.submit(`form.return-form button[type=submit]`, "track-return-refused"); st != 422 {
		b.fatalf("status %d, want 422", st)
	}
	if msg := b.text("#err-qty-" + mug); !strings.Contains(msg, "At most 2 of MUG-1") {
		t.Errorf("mug line error %q", msg)
	}
	if v := uiEval[string](b, `document.getElementById("return-reason").value`); v != "The handle came off" {
		t.Errorf("reason kept as %q", v)
	}

	b.setValue("#qty-"+mug, "1")
	b.submit(`form.return-form button[type=submit]`, "track-return-requested")
	if !strings.Contains(b.text(".track-notice-success"), "We have your return request") {
		b.fatalf("no confirmation: %q", b.text("main"))
	}
	if r := b.text(".returns"); !strings.Contains(r, "Requested") || !strings.Contains(r, "Damaged or defective") {
		t.Errorf("the customer's returns read %q", r)
	}
	got := e.getOrder(o.Number)
	if len(got.Returns) != 1 || got.Returns[0].Status != domain.ReturnRequested || got.Returns[0].Items[0].Quantity != 1 {
		t.Fatalf("returns = %+v", got.Returns)
	}
}

// htmxReady is true once htmx has set up every element that makes a request (content it
// just swapped in is set up a moment after it appears).
const htmxReady = `Array.from(document.querySelectorAll("[hx-get],[hx-post]")).every(function (el) {
	var d = el["htmx-internal-data"]; return !!(d && d.initHash); })`

func TestBrowserSupportTakesAnOrderOnThePhone(t *testing.T) {
	e := newUIEnv(t)
	e.product("MUG-1", "Enamel mug", "10.00", 50)
	e.product("TEE-1", "Cotton tee", "25.00", 20)
	b := e.session("support")
	b.login(domain.RoleSupport)
	b.open("/orders", "orders")
	b.submit(`a[href="/orders/new"]`, "new-order-empty")
	b.expectLocation("/orders/new")
	if st := b.submit(`#new-order button.btn-primary`, "new-order-errors"); st != 422 {
		b.fatalf("an empty order: status %d, want 422", st)
	}
	if !b.visible(`[id="err-customer.email"]`) || !b.visible(`[id="err-shipping_address.city"]`) {
		t.Errorf("no errors beside the email and the city: %s", b.text("main"))
	}

	add := func(typed, sku string, lines int) {
		b.setValue("#product-q", "")
		b.typeInto("#product-q", typed)
		b.waitFor("the search finds "+sku, fmt.Sprintf(`!!document.querySelector('#product-results button[value=%q]')`, sku))
		b.waitFor("htmx ready", htmxReady)
		b.click(fmt.Sprintf(`#product-results button[value=%q]`, sku))
		b.waitFor(fmt.Sprintf("%d lines", lines), fmt.Sprintf(`document.querySelectorAll('#order-lines input[name$=".sku"]').length === %d`, lines))
		b.waitFor("htmx ready", htmxReady)
	}
	add("mug", "MUG-1", 1)
	add("TEE", "TEE-1", 2)
	b.waitText("#order-total", "$35.00")
	b.setValue(`input[name="items[0].quantity"]`, "3")
	b.waitText("#order-total", "$55.00")
	b.waitText("#line-total-0", "$30.00")

	for sel, v := range map[string]string{
		"customer.email": "ada@example.com", "customer.name": "Ada Lovelace", "shipping_address.first_name": "Ada",
		"shipping_address.last_name": "Lovelace", "shipping_address.address1": "12 St James's Square",
		"shipping_address.city": "London", "shipping_address.postal_code": "SW1Y 4JH", "shipping_address.country": "GB",
	} {
		b.typeInto(fmt.Sprintf(`input[name=%q]`, sel), v)
	}
	// The country's input asks for new totals 300 ms after the last key (hx-trigger delay),
	// which moves the button when they come: wait for them first.
	time.Sleep(500 * time.Millisecond)
	b.waitFor("no htmx request in flight", `!document.querySelector('.htmx-request')`)
	b.waitFor("htmx ready", htmxReady)
	b.shot("new-order-filled")
	if st := b.submit(`#new-order button.btn-primary`, "order-created"); st != 200 {
		b.fatalf("create order: status %d", st)
	}
	loc := b.location()
	number, ok := strings.CutSuffix(strings.TrimPrefix(loc, "/orders/"), "/payment")
	if !ok {
		b.fatalf("after creating: %s, want the order's payment form", loc)
	}
	if !strings.Contains(b.flash(), "created for ada@example.com") {
		t.Errorf("flash = %q", b.flash())
	}
	o := e.getOrder(number)
	if len(o.Items) != 2 || o.Items[0].SKU != "MUG-1" || o.Items[0].Quantity != 3 || o.Items[1].SKU != "TEE-1" ||
		o.Source != "staff" || o.Total.String() != "55" {
		t.Errorf("order %s: source %s, total %s, items %+v", number, o.Source, o.Total, o.Items)
	}
	for sku, want := range map[string]int{"MUG-1": 3, "TEE-1": 1} {
		if inv, err := e.svc.GetInventory(context.Background(), sku); err != nil || inv.Reserved != want {
			t.Errorf("%s reserved %d (%v), want %d", sku, inv.Reserved, err, want)
		}
	}

	// An admin finds Ada from the start of her email and gives a manual discount.
	a := e.session("admin")
	a.login(domain.RoleAdmin)
	a.open("/orders/new", "")
	a.typeInto(`input[name="customer.email"]`, "ada@")
	a.waitFor("htmx ready", htmxReady)
	a.click(`button[name="lookup"]`)
	a.waitFor("Ada's details filled in", `document.querySelector('input[name="shipping_address.city"]').value === "London"`)
	a.typeInto("#product-q", "mug")
	a.waitFor("the search finds the mug", `!!document.querySelector('#product-results button[value="MUG-1"]')`)
	a.waitFor("htmx ready", htmxReady)
	a.click(`#product-results button[value="MUG-1"]`)
	a.waitText("#order-total", "$10.00")
	a.waitFor("htmx ready", htmxReady)
	a.typeInto(`input[name="manual_discount"]`, "2.50")
	a.waitText("#totals", "Manual discount")
	a.waitText("#order-total", "$7.50")
	a.shot("new-order-discount")
}
