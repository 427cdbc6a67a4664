package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// phoneOrder is the staff order form filled in: 2 × MUG-1 ($10) and 1 × TEE-1 ($25) for Ada.
func phoneOrder(extra ...string) url.Values {
	v := url.Values{
		"items[0].sku": {"MUG-1"}, "items[0].quantity": {"2"}, "items[1].sku": {"TEE-1"}, "items[1].quantity": {"1"},
		"customer.email": {"ada@example.com"}, "customer.name": {"Ada Lovelace"}, "customer.phone": {"+44 20 7946 0000"},
		"shipping_address.first_name": {"Ada"}, "shipping_address.last_name": {"Lovelace"},
		"shipping_address.address1": {"12 St James's Square"}, "shipping_address.city": {"London"},
		"shipping_address.postal_code": {"SW1Y 4JH"}, "shipping_address.country": {"GB"},
		"billing_same": {"on"}, "notes": {"Phoned in"}, views.OnceFieldName: {"once-" + strings.Join(extra, "-")},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// createdOrder is the order a 303 of the form points to.
func (e *pageEnv) createdOrder(p page) domain.Order {
	e.t.Helper()
	loc := p.Header.Get("Location")
	number := strings.TrimSuffix(strings.TrimPrefix(loc, "/orders/"), "/payment")
	o, err := e.svc.GetOrder(context.Background(), number)
	if err != nil {
		e.t.Fatalf("order of %q: %v", loc, err)
	}
	return o
}

func (e *pageEnv) reserved(sku string) int {
	e.t.Helper()
	inv, err := e.svc.GetInventory(context.Background(), sku)
	if err != nil {
		e.t.Fatal(err)
	}
	return inv.Reserved
}

func TestStaffOrderIsPricedReservedAndRecordedAsTheStaffUsers(t *testing.T) {
	e := newPageEnv(t)
	e.stock("MUG-1", "10.00")
	e.stock("TEE-1", "25.00")
	b := e.loggedIn(domain.RoleSupport)
	expectBody(t, b.get("/orders"), `href="/orders/new"`)
	p := b.get("/orders/new")
	expectStatus(t, p, http.StatusOK)
	if strings.Contains(p.Body, "manual_discount") {
		t.Error("support sees the manual discount field")
	}

	p = b.post("/orders/new", phoneOrder())
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); !strings.HasSuffix(loc, "/payment") {
		t.Errorf("Location = %q, want the payment form (record payment right after)", loc)
	}
	o := e.createdOrder(p)
	if o.Source != "staff" || o.Subtotal.String() != "45" || len(o.Items) != 2 || o.Items[0].UnitPrice.String() != "10" {
		t.Errorf("order: source %q, subtotal %s, items %+v", o.Source, o.Subtotal, o.Items)
	}
	if h := o.History[0]; h.Actor != "Test support" || h.ActorType != domain.ActorStaff || h.Status != "created" {
		t.Errorf("creation history = %+v, want by the support user", h)
	}
	if e.reserved("MUG-1") != 2 || e.reserved("TEE-1") != 1 {
		t.Errorf("reserved MUG-1 %d, TEE-1 %d, want 2 and 1", e.reserved("MUG-1"), e.reserved("TEE-1"))
	}
	expectBody(t, b.get(p.Header.Get("Location")), "Order "+o.Number+" created for ada@example.com: $45.00 to pay.")

	t.Run("a double submit creates one order", func(t *testing.T) {
		form := phoneOrder("twice", "1")
		first := b.post("/orders/new", form)
		second := b.post("/orders/new", form)
		expectStatus(t, second, http.StatusSeeOther)
		if first.Header.Get("Location") != second.Header.Get("Location") {
			t.Errorf("second submit went to %q, first to %q", second.Header.Get("Location"), first.Header.Get("Location"))
		}
		if e.reserved("MUG-1") != 4 {
			t.Errorf("MUG-1 reserved %d, want 4 (two orders in all)", e.reserved("MUG-1"))
		}
	})

	t.Run("the previous customer is found by the start of the email", func(t *testing.T) {
		p := b.post("/orders/new/preview", url.Values{"customer.email": {"ADA@exa"}, "lookup": {"1"}})
		expectStatus(t, p, http.StatusOK)
		expectBody(t, p, `value="ada@example.com"`, `value="Ada Lovelace"`, `value="12 St James&#39;s Square"`, `value="GB"`, "Filled in from")
		p = b.post("/orders/new/preview", url.Values{"customer.email": {"nobody@example.com"}, "lookup": {"1"}})
		expectBody(t, p, "no previous order with this email")
	})
}

func TestStaffOrderFormRecalculatesWithTheSamePricing(t *testing.T) {
	e := newPageEnv(t)
	e.stock("MUG-1", "10.00")
	e.stock("TEE-1", "25.00")
	b := e.loggedIn(domain.RoleSupport)

	p := b.get("/orders/new/products?q=mug")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Product MUG-1", "$10.00", `value="MUG-1"`, ">1000<")

	form := url.Values{"add": {"MUG-1"}}
	p = b.post("/orders/new/preview", form)
	expectBody(t, p, `name="items[0].sku" value="MUG-1"`, `name="items[0].quantity" value="1"`, `id="order-total"`)
	form = url.Values{"items[0].sku": {"MUG-1"}, "items[0].quantity": {"3"}, "add": {"TEE-1"}}
	p = b.post("/orders/new/preview", form)
	expectBody(t, p, `name="items[1].sku" value="TEE-1"`, "$55.00")

	p = b.post("/orders/new/totals", url.Values{"items[0].sku": {"MUG-1"}, "items[0].quantity": {"4"}})
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, `id="totals"`, "$40.00")
	if strings.Contains(p.Body, "<html") {
		t.Error("the totals fragment is a whole page")
	}
	p = b.post("/orders/new/preview", url.Values{"items[0].sku": {"MUG-1"}, "items[0].quantity": {"4"}, "remove": {"0"}})
	expectBody(t, p, "Add products to see the totals.")
}

func TestStaffOrderErrorsAreShownBesideTheirFields(t *testing.T) {
	e := newPageEnv(t)
	e.stock("MUG-1", "10.00")
	e.stock("TEE-1", "25.00")
	b := e.loggedIn(domain.RoleSupport)

	t.Run("validation", func(t *testing.T) {
		p := b.post("/orders/new", phoneOrder("shipping_address.city", "", "items[1].quantity", "0"))
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-shipping_address.city"`, `id="err-line-1"`, "must be between 1 and 1000", `value="Ada Lovelace"`)
	})
	t.Run("out of stock", func(t *testing.T) {
		p := b.post("/orders/new", phoneOrder("items[0].quantity", "1001"))
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-line-0"`)
		if _, err := e.svc.SetOnHand(context.Background(), staffActor, "TEE-1", 0); err != nil {
			t.Fatal(err)
		}
		p = b.post("/orders/new", phoneOrder("out", "1"))
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Not enough stock for TEE-1", `id="err-line-1"`, "requested 1, 0 available")
		e.stock("TEE-1", "25.00")
	})
	t.Run("coupon", func(t *testing.T) {
		p := b.post("/orders/new", phoneOrder("coupon_code", "NOPE"))
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-coupon_code"`, "Coupon code does not exist.", `value="NOPE"`)
	})
	var n int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d orders after refused forms (%v), want 0", n, err)
	}
}

func TestManualDiscountIsAnAdminsWithAReason(t *testing.T) {
	e := newPageEnv(t)
	e.stock("MUG-1", "10.00")
	e.stock("TEE-1", "25.00")

	support := e.loggedIn(domain.RoleSupport)
	expectStatus(t, support.post("/orders/new", phoneOrder("manual_discount", "5", "manual_discount_reason", "late")), http.StatusForbidden)
	expectStatus(t, support.post("/orders/new/totals", phoneOrder("manual_discount", "5")), http.StatusForbidden)

	admin := e.loggedIn(domain.RoleAdmin)
	expectBody(t, admin.get("/orders/new"), `name="manual_discount"`)
	p := admin.post("/orders/new", phoneOrder("manual_discount", "5"))
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, `id="err-manual_discount_reason"`, "is required with a manual discount")

	p = admin.post("/orders/new", phoneOrder("manual_discount", "1e999999999", "manual_discount_reason", "huge"))
	expectStatus(t, p, http.StatusUnprocessableEntity)
	expectBody(t, p, `id="err-manual_discount"`, "must be a number such as 19.99")

	p = admin.post("/orders/new/totals", phoneOrder("manual_discount", "5.555", "manual_discount_reason", "x"))
	expectBody(t, p, "Manual discount", "-$5.56", "$39.44")

	p = admin.post("/orders/new", phoneOrder("manual_discount", "5.00", "manual_discount_reason", "Parcel was late last time"))
	expectStatus(t, p, http.StatusSeeOther)
	o := e.createdOrder(p)
	if o.ManualDiscount.String() != "5" || o.Discount.String() != "5" || o.Total.String() != "40" || o.ManualDiscountReason != "Parcel was late last time" {
		t.Errorf("manual discount %s (%q), discount %s, total %s; want 5, 5, 40", o.ManualDiscount, o.ManualDiscountReason, o.Discount, o.Total)
	}
	if h := o.History[0]; h.Note != "Manual discount of 5.00 USD: Parcel was late last time" || h.Actor != "Test admin" {
		t.Errorf("creation history = %+v", h)
	}
	expectBody(t, admin.get("/orders/"+o.Number), "Manual discount", "-$5.00", "Manual discount of 5.00 USD: Parcel was late last time")
}

func TestWarehouseCannotTakeOrders(t *testing.T) {
	e := newPageEnv(t)
	b := e.loggedIn(domain.RoleWarehouse)
	expectStatus(t, b.get("/orders/new"), http.StatusForbidden)
	expectStatus(t, b.get("/orders/new/products?q=mug"), http.StatusForbidden)
	expectStatus(t, b.post("/orders/new", phoneOrder()), http.StatusForbidden)
	if strings.Contains(b.get("/orders").Body, `href="/orders/new"`) {
		t.Error("warehouse sees New order")
	}
}

// The API offers no manual discount: one sent is not applied (or the request is refused).
func TestAPICannotGiveAManualDiscount(t *testing.T) {
	e := newAPIEnv(t)
	e.product("MUG-1", "10.00", 5)
	body := orderBody("ann@example.com", "MUG-1", 1)
	body["manual_discount"] = "5.00"
	body["manual_discount_reason"] = "because"
	r := e.do("POST", "/api/v1/orders", body)
	if r.Status == http.StatusCreated {
		var o orderJSON
		r.JSON(t, &o)
		if o.ManualDiscount != "0.00" || o.Total != "10.00" {
			t.Errorf("API order: manual_discount %s, total %s; want 0.00 and 10.00", o.ManualDiscount, o.Total)
		}
	} else if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
		t.Errorf("status %d: %s", r.Status, r.Body)
	}
}
