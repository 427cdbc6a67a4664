package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oms/oms/internal/domain"
)

// A support lead saves the list as a shared tab from the list itself, finds it with its
// count, drags it before another tab, and renames it on the views page; the warehouse,
// which it is shared with, sees it.
func TestBrowserSavedViewTabs(t *testing.T) {
	e := newUIEnv(t)
	paid := e.order(uiGrace, "paid")
	e.order(uiAlan, "paid")
	e.order(uiAda, "created")
	s := e.session("support")
	s.login(domain.RoleSupport)

	save := func(path, name, share string) {
		s.open(path, "")
		s.click(".save-view-popover > summary")
		s.setValue("#view-name", name)
		s.setValue("#view-share", share)
		s.submit(`#save-view button[type=submit]`, "view-saved-"+strings.ToLower(strings.ReplaceAll(name, " ", "-")))
	}
	save("/orders?status=paid&q=grace", "Grace paid", "warehouse")
	if f := s.flash(); !strings.Contains(f, "Saved the view Grace paid") {
		t.Errorf("flash %q", f)
	}
	if tab := s.text(`#order-tabs a[aria-current]`); tab != "Grace paid 1" {
		t.Errorf("current tab %q, want the saved view with its count", tab)
	}
	if !strings.Contains(s.text("#order-results"), paid.Number) {
		t.Error("the saved view does not list Grace's paid order")
	}
	save("/orders?status=created", "To pay", "me")
	names := func() string {
		return uiEval[string](s, `Array.from(document.querySelectorAll("[data-view-tabs] [data-view-id]")).map(function (a) { return a.firstChild.textContent.trim(); }).join(",")`)
	}
	if got := names(); got != "Grace paid,To pay" {
		t.Fatalf("saved tabs %q", got)
	}

	// Dragging "To pay" before "Grace paid" keeps that order.
	uiEval[chromedp.Void](s, `(function () {
		var tabs = document.querySelectorAll("[data-view-tabs] [data-view-id]");
		var dt = new DataTransfer();
		var fire = function (el, type) { el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt})); };
		fire(tabs[1], "dragstart");
		fire(tabs[0], "dragover");
		fire(tabs[0], "drop");
		fire(tabs[1], "dragend");
	})()`)
	if got := names(); got != "To pay,Grace paid" {
		t.Errorf("after the drop: %q", got)
	}
	s.waitFor("the new order saved", `fetch("/orders/views", {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (t) {
		window.__order = t.indexOf("To pay") < t.indexOf("Grace paid"); }), window.__order === true`)
	s.open("/orders", "orders-tabs-reordered")
	if got := names(); got != "To pay,Grace paid" {
		t.Errorf("after reloading: %q", got)
	}

	// Rename on the views page; the arrows move it back.
	s.open("/orders/views", "views-page")
	s.click(`tr:has(a[href="/orders?q=grace&status=paid"]) details summary`)
	s.setValue(`tr:has(a[href="/orders?q=grace&status=paid"]) input[name=name]`, "Grace, paid")
	s.submit(`tr:has(a[href="/orders?q=grace&status=paid"]) details button[type=submit]`, "views-renamed")
	s.submit(`button[aria-label="Move Grace, paid left"]`, "views-moved")
	s.open("/orders", "")
	if got := names(); got != "Grace, paid,To pay" {
		t.Errorf("after renaming and moving: %q", got)
	}

	w := e.session("warehouse")
	w.login(domain.RoleWarehouse)
	w.open("/orders", "orders-warehouse-shared-tab")
	if got := w.text("#order-tabs"); !strings.Contains(got, "Grace, paid") || strings.Contains(got, "To pay") {
		t.Errorf("the warehouse's tabs: %q", got)
	}
}

// An admin sets shipping deadlines in Settings; paid orders then show when they must
// ship, the queue puts the soonest first, and the dashboard counts what is late.
func TestBrowserDeadlineSettings(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	s := e.session("admin")
	s.login(domain.RoleAdmin)
	s.open("/settings/deadlines", "deadlines-settings")
	s.setValue("#ship_within_hours", "16")
	s.setValue("#time_zone", "Europe/Berlin")
	s.setValue("#close_fri", "12:30")
	s.setValue("textarea[name=holidays]", "2026-12-25\n2026-12-26")
	s.submit(`form.deadlines-form button[type=submit]`, "deadlines-saved")
	if f := s.flash(); !strings.Contains(f, "Shipping deadlines saved") || !strings.Contains(f, "1 open order") {
		t.Errorf("flash %q", f)
	}
	if v := uiEval[string](s, `document.getElementById("close_fri").value`); v != "12:30" {
		t.Errorf("Friday closes at %q", v)
	}
	// A mistake is shown next to its day, the input kept.
	s.setValue("#open_mon", "25:00")
	s.submit(`form.deadlines-form button[type=submit]`, "deadlines-error")
	if got := s.text(`[id="err-hours.mon"]`); !strings.Contains(got, "09:00 and 17:00") {
		t.Errorf("Monday's error: %q", got)
	}
	if v := uiEval[string](s, `document.getElementById("open_mon").value`); v != "25:00" {
		t.Errorf("the input is not kept: %q", v)
	}

	s.open("/orders", "orders-ship-by")
	if got := s.text("#order-results"); !strings.Contains(got, "Ship by") {
		t.Errorf("the list has no Ship by column: %q", got)
	}
	s.open("/orders/"+o.Number, "order-ship-by")
	if !strings.Contains(s.text(".order-meta"), "Ship by") {
		t.Error("the order does not say when it must ship")
	}
	if _, err := e.pool.Exec(s.ctx, `UPDATE orders SET ship_by = now() - interval '3 hours' WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	s.open("/", "dashboard-deadlines")
	if got := s.text(".tile-late .stat-value"); got != "1" {
		t.Errorf("late tile %q", got)
	}
	s.submit(`.digest-form button[type=submit]`, "dashboard-digest-on")
	if !strings.Contains(s.text(".digest-form"), "Stop the email") {
		t.Error("the digest is not on")
	}
	s.open("/fulfillment", "queue-by-deadline")
	if got := s.text(".queue"); !strings.Contains(got, "3 h late") {
		t.Errorf("queue %q", got)
	}
}
