package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// contactForm is the edit page's contact form as o fills it.
func contactForm(o domain.Order) url.Values {
	v := url.Values{}
	for k, val := range newOrderEdit(o).Contact.Values {
		v.Set(k, val)
	}
	return v
}

func TestEditPageChangesTheAddressWithErrorsBesideTheFields(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	b := e.loggedIn(domain.RoleSupport)
	expectBody(t, b.get("/orders/"+o.Number), `href="/orders/`+o.Number+`/edit"`)
	p := b.get("/orders/" + o.Number + "/edit")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Customer and addresses", `value="London"`, "Review changes")

	form := contactForm(o)
	form.Set("shipping_address.city", "")
	form.Set("customer.email", "nope")
	p = b.post("/orders/"+o.Number+"/edit/contact", form)
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, `id="err-shipping_address.city"`, `id="err-customer.email"`, `value="nope"`)

	form = contactForm(o)
	form.Set("shipping_address.city", "Manchester")
	expectStatus(t, b.post("/orders/"+o.Number+"/edit/contact", form), http.StatusSeeOther)
	expectBody(t, b.get("/orders/"+o.Number), "Order edited", "shipping_address.city: London → Manchester")
}

func TestEditPageReviewsThenConfirmsAChangeOfLines(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid") // 2 × MUG-1 at $10, 1 × TEE-1 at $25: $45.00 paid
	mug := o.Items[0].ID
	b := e.loggedIn(domain.RoleSupport)
	lines := url.Values{"add[0].sku": {"TEE-1"}, "add[0].quantity": {"1"}, "remove_" + mug: {"1"}, "reason": {"swap a mug for a tee"}}

	p := b.post("/orders/"+o.Number+"/edit/lines", lines)
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Review changes", "+1 × TEE-1 at 25.00", "−1 × MUG-1", "$60.00", "$15.00 is outstanding", `name="confirmed" value="1"`)
	if got, _ := e.svc.GetOrder(context.Background(), o.Number); !got.Total.Equal(o.Total) {
		t.Fatal("the review changed the order")
	}

	lines.Set("confirmed", "1")
	expectStatus(t, b.post("/orders/"+o.Number+"/edit/lines", lines), http.StatusSeeOther)
	p = b.get("/orders/" + o.Number)
	expectBody(t, p, "Items of "+o.Number+" changed. $15.00 is outstanding", "Order edited", "Reason: swap a mug for a tee",
		`href="/orders/`+o.Number+`/payment"`)

	t.Run("RemovingMoreThanIsUnshipped", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/edit/lines", url.Values{"remove_" + mug: {"5"}, "reason": {"x"}, "confirmed": {"1"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Only 1 of MUG-1 are unshipped", `value="5"`)
	})
	t.Run("OutOfStock", func(t *testing.T) {
		p := b.post("/orders/"+o.Number+"/edit/lines", url.Values{"add[1].sku": {"TEE-1"}, "add[1].quantity": {"1000"}, "reason": {"x"}, "confirmed": {"1"}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-add[1].sku"`, "available")
	})

	// Paid up, then the new tee goes again: $25.00 is owed back, and the refund form offers it.
	expectStatus(t, b.post("/orders/"+o.Number+"/payment", url.Values{"amount": {"15.00"}}), http.StatusSeeOther)
	edited, _ := e.svc.GetOrder(context.Background(), o.Number)
	tee := edited.Items[len(edited.Items)-1].ID
	expectStatus(t, b.post("/orders/"+o.Number+"/edit/lines", url.Values{"remove_" + tee: {"1"}, "reason": {"no tee after all"}, "confirmed": {"1"}}), http.StatusSeeOther)
	expectBody(t, b.get("/orders/"+o.Number), "Refund due", "$25.00 is owed back")
	expectBody(t, b.get("/orders/"+o.Number+"/refund"), `value="25.00"`)

	rep, err := e.svc.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Violations {
		t.Errorf("check: %s", v)
	}
}

func TestWarehouseCannotEditOrders(t *testing.T) {
	e := newPageEnv(t)
	o := e.newOrder("paid")
	w := e.loggedIn(domain.RoleWarehouse)
	expectStatus(t, w.get("/orders/"+o.Number+"/edit"), http.StatusForbidden)
	expectStatus(t, w.post("/orders/"+o.Number+"/edit/contact", contactForm(o)), http.StatusForbidden)
	expectStatus(t, w.post("/orders/"+o.Number+"/edit/lines", url.Values{"add[0].sku": {"TEE-1"}, "add[0].quantity": {"1"},
		"reason": {"x"}, "confirmed": {"1"}}), http.StatusForbidden)
	if p := w.get("/orders/" + o.Number); p.Status == http.StatusOK {
		if strings.Contains(p.Body, `/edit"`) {
			t.Error("the warehouse sees an Edit action")
		}
	}
	if got, _ := e.svc.GetOrder(context.Background(), o.Number); len(got.Items) != 2 {
		t.Error("a refused form changed the order")
	}
}
