package web

import (
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// Two people on one order in two browsers: support reviews a change of lines while an
// admin changes the shipping address and refunds part of the money. Support's
// confirmation, and then its refund form (sent by htmx), come back with "This order
// changed while you were editing" and what changed, and do nothing; sent again from the
// form as it is drawn now, each is made.
func TestBrowserStaleFormsSayWhatChanged(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	mug := o.Items[0].ID

	s := e.session("support")
	s.login(domain.RoleSupport)
	s.open("/orders/"+o.Number+"/edit", "edit-drawn")
	s.setValue("#remove_"+mug, "1")
	s.typeInto("#reason", "Customer wants one mug only")
	s.submit(`#edit-lines button[type=submit]`, "edit-reviewed")
	s.waitText("#edit-lines", "Review changes")

	a := e.session("admin")
	a.login(domain.RoleAdmin)
	a.open("/orders/"+o.Number+"/edit", "admin-edit")
	a.setValue(`[name="shipping_address.city"]`, "Boston")
	a.submit(`#edit-contact button[type=submit]`, "admin-saved-address")
	if !strings.Contains(a.flash(), "saved") {
		t.Fatalf("admin's address change: %q", a.flash())
	}
	before := e.getOrder(o.Number)

	if st := s.submit(`#edit-lines button[type=submit]:not([name])`, "edit-stale"); st != 422 {
		t.Errorf("confirming a stale review: status %d, want 422", st)
	}
	s.waitText("#edit-lines .form-error-summary", "This order changed while you were editing")
	if got := s.text("#edit-lines .stale-changes"); !strings.Contains(got, "shipping_address.city") || !strings.Contains(got, "Boston") ||
		!strings.Contains(got, "Test Admin") {
		t.Errorf("what changed: %q", got)
	}
	if got := uiEval[string](s, `document.querySelector("#remove_`+mug+`").value`); got != "1" {
		t.Errorf("the typed quantity is gone: %q", got)
	}
	if now := e.getOrder(o.Number); now.Version != before.Version || len(now.Items) != len(before.Items) || now.Items[0].Quantity != 2 {
		t.Fatalf("the stale confirmation changed the order: version %d (was %d), mugs %d", now.Version, before.Version, now.Items[0].Quantity)
	}
	s.submit(`#edit-lines button[type=submit]`, "edit-reviewed-again")
	s.waitText("#edit-lines", "Review changes")
	s.submit(`#edit-lines button[type=submit]:not([name])`, "edit-confirmed")
	if got := e.getOrder(o.Number); got.Items[0].Quantity != 1 {
		t.Fatalf("after confirming again: %d mugs, want 1", got.Items[0].Quantity)
	}

	// The refund form is drawn, then the admin refunds first; the support's refund is
	// reviewed against an order that changed.
	s.open("/orders/"+o.Number+"/refund", "refund-drawn")
	a.open("/orders/"+o.Number+"/refund", "admin-refund")
	a.setValue("#amount", "5.00")
	a.click(`#action-panel button[type=submit]`)
	a.waitText("#action-panel", "Are you sure?")
	a.click(`#action-panel button.btn-danger`)
	a.waitFor("the order page", `location.pathname === "/orders/`+o.Number+`"`)
	s.setValue("#amount", "10.00")
	s.click(`#action-panel button[type=submit]`)
	s.waitText("#action-panel .form-error-summary", "This order changed while you were editing")
	s.shot("refund-stale")
	if got := s.text("#action-panel .stale-changes"); !strings.Contains(got, "Refund") || !strings.Contains(got, "5.00") {
		t.Errorf("what changed: %q", got)
	}
	s.click(`#action-panel button[type=submit]`)
	s.waitText("#action-panel", "Are you sure?")
	s.click(`#action-panel button.btn-danger`)
	s.waitFor("the order page", `location.pathname === "/orders/`+o.Number+`"`)
	s.shot("refund-made")
	if got := e.getOrder(o.Number); len(got.Refunds) != 2 {
		t.Fatalf("refunds after confirming again: %d, want 2", len(got.Refunds))
	}
}
