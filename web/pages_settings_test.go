package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

func mustDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestSettingsFormsSaveOrShowTheirErrors(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)

	t.Run("TaxRate", func(t *testing.T) {
		admin.get("/settings/tax")
		bad := admin.post("/settings/tax", url.Values{"country": {"usa"}, "region": {"CA"}, "rate": {"120"}, "name": {"CA sales"}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		expectBody(t, bad, "must be a two-letter country code", "must be at least 0 and below 100", `value="usa"`, `value="CA sales"`)

		ok := admin.post("/settings/tax", url.Values{"country": {"us"}, "region": {"CA"}, "rate": {"7.25"}, "name": {"CA sales"}})
		expectStatus(t, ok, http.StatusSeeOther)
		list := admin.get("/settings/tax")
		expectBody(t, list, "Tax rate for US/CA saved.", "7.25 %")

		dup := admin.post("/settings/tax", url.Values{"country": {"US"}, "region": {"CA"}, "rate": {"8"}})
		expectStatus(t, dup, http.StatusUnprocessableEntity)
		expectBody(t, dup, "already has a rate for this country and region")

		var id string
		_ = e.pool.QueryRow(context.Background(), `SELECT id::text FROM tax_rates`).Scan(&id)
		edit := admin.get("/settings/tax?edit=" + id)
		expectBody(t, edit, "Edit a tax rate", `value="7.25"`)
		expectStatus(t, admin.post("/settings/tax/"+id, url.Values{"country": {"US"}, "region": {"CA"}, "rate": {"7.5"}}), http.StatusSeeOther)
		var rate string
		_ = e.pool.QueryRow(context.Background(), `SELECT rate::text FROM tax_rates WHERE id = $1`, id).Scan(&rate)
		if rate != "0.075000" {
			t.Errorf("rate %s after edit", rate)
		}
		expectStatus(t, admin.post("/settings/tax/"+id+"/delete", nil), http.StatusSeeOther)
		expectBody(t, admin.get("/settings/tax"), "Tax rate deleted.", "No tax rates")
	})

	t.Run("ShippingRate", func(t *testing.T) {
		admin.get("/settings/shipping")
		bad := admin.post("/settings/shipping", url.Values{"country": {"*"}, "currency": {"USD"}, "amount": {"4.999"}, "free_above": {"abc"}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		expectBody(t, bad, "has more decimals than USD allows", "must be a number", `value="4.999"`)
		expectStatus(t, admin.post("/settings/shipping", url.Values{"country": {"*"}, "currency": {"usd"}, "amount": {"4.99"}, "free_above": {"50"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings/shipping"), "Everywhere else", "$4.99", "$50.00", "Shop's rule")
		// Deadline hours of its own, through the one number parser.
		bad = admin.post("/settings/shipping", url.Values{"country": {"DE"}, "currency": {"EUR"}, "amount": {"5"}, "ship_within_hours": {"1e1"}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		expectBody(t, bad, "without an exponent", `value="1e1"`)
		expectStatus(t, admin.post("/settings/shipping", url.Values{"country": {"DE"}, "currency": {"EUR"}, "amount": {"5"}, "ship_within_hours": {"8.5"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings/shipping"), "8.5 h")
	})

	t.Run("Coupon", func(t *testing.T) {
		admin.get("/settings/coupons")
		bad := admin.post("/settings/coupons", url.Values{"code": {"save 10"}, "kind": {"percent"}, "value": {"150"}, "ends_on": {"tomorrow"}, "active": {"on"}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		expectBody(t, bad, "must be 1 to 64 letters", "a percentage must be at most 100", "must be a date", `value="save 10"`)
		fixed := admin.post("/settings/coupons", url.Values{"code": {"TENOFF"}, "kind": {"fixed"}, "value": {"10"}})
		expectStatus(t, fixed, http.StatusUnprocessableEntity)
		expectBody(t, fixed, "is required for a fixed amount")
		expectStatus(t, admin.post("/settings/coupons", url.Values{"code": {"save10"}, "kind": {"percent"}, "value": {"10"},
			"usage_limit": {"100"}, "starts_on": {"2026-01-01"}, "ends_on": {"2026-12-31"}, "active": {"on"}}), http.StatusSeeOther)
		list := admin.get("/settings/coupons")
		expectBody(t, list, "Coupon SAVE10 saved.", "SAVE10", "10 %", "0 / 100", "2026-01-01 – 2026-12-31")
		dup := admin.post("/settings/coupons", url.Values{"code": {"Save10"}, "kind": {"percent"}, "value": {"5"}})
		expectStatus(t, dup, http.StatusUnprocessableEntity)
		expectBody(t, dup, "is already in use")
	})

	t.Run("StaffUser", func(t *testing.T) {
		admin.get("/settings")
		bad := admin.post("/settings/staff", url.Values{"name": {"Pat"}, "email": {"not-an-email"}, "role": {"support"}, "password": {"short"}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		expectBody(t, bad, "must be a valid email address", "must be at least 12 characters", `value="not-an-email"`, `value="Pat"`)
		if strings.Contains(bad.Body, `value="short"`) {
			t.Error("the password was echoed back into the page")
		}
		expectStatus(t, admin.post("/settings/staff", url.Values{"name": {"Pat Picker"}, "email": {"pat@example.com"},
			"role": {"warehouse"}, "password": {"pat's long password"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings"), "Added Pat Picker as warehouse.")
		dup := admin.post("/settings/staff", url.Values{"name": {"Pat 2"}, "email": {"PAT@example.com"}, "role": {"support"}, "password": {"another long password"}})
		expectStatus(t, dup, http.StatusUnprocessableEntity)
		expectBody(t, dup, "is already in use")

		expectStatus(t, admin.post("/settings/staff/"+e.users[domain.RoleSupport].ID+"/role", url.Values{"role": {"warehouse"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings"), "Test support is now warehouse.")

		self := e.users[domain.RoleAdmin].ID
		expectStatus(t, admin.post("/settings/staff/"+self+"/status", url.Values{"disabled": {"true"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings"), "You cannot disable your own account.")
		expectStatus(t, admin.post("/settings/staff/"+self+"/role", url.Values{"role": {"support"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings"), "You cannot change your own role.")
		expectStatus(t, admin.post("/settings/staff/"+e.users[domain.RoleWarehouse].ID+"/password", url.Values{"password": {"short"}}), http.StatusSeeOther)
		expectBody(t, admin.get("/settings"), "The new password must be at least 12 characters.")
	})

	t.Run("APITokenIsShownOnce", func(t *testing.T) {
		admin.get("/settings/tokens")
		expectStatus(t, admin.post("/settings/tokens", url.Values{"name": {""}}), http.StatusUnprocessableEntity)
		created := admin.post("/settings/tokens", url.Values{"name": {"Shop front"}})
		expectStatus(t, created, http.StatusCreated)
		secret := regexp.MustCompile(`oms_[A-Za-z0-9_-]{40,}`).FindString(created.Body)
		if secret == "" {
			t.Fatal("the new token is not shown")
		}
		if _, err := e.svc.AuthenticateToken(context.Background(), secret); err != nil {
			t.Fatalf("shown token does not work: %v", err)
		}
		list := admin.get("/settings/tokens")
		if strings.Contains(list.Body, secret) {
			t.Fatal("the token is shown again")
		}
		expectBody(t, list, "Shop front")
		var id string
		_ = e.pool.QueryRow(context.Background(), `SELECT id::text FROM api_tokens WHERE name = 'Shop front'`).Scan(&id)
		expectStatus(t, admin.post("/settings/tokens/"+id+"/revoke", nil), http.StatusSeeOther)
		expectBody(t, admin.get("/settings/tokens"), "Token revoked.")
		if _, err := e.svc.AuthenticateToken(context.Background(), secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("revoked token still works: %v", err)
		}
	})
}

func TestStockIsAdjustedFromTheProductsPage(t *testing.T) {
	e := newPageEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreateProduct(ctx, domain.Product{SKU: "TEE-M", Name: "T-shirt M", Price: mustDec("19.90"), Currency: "USD", Active: true}); err != nil {
		t.Fatal(err)
	}
	wh := e.loggedIn(domain.RoleWarehouse)
	list := wh.get("/products?q=tee")
	expectStatus(t, list, http.StatusOK)
	expectBody(t, list, "TEE-M", "T-shirt M", "$19.90", "1–1 of 1 products", "Adjust stock")

	p := wh.post("/products/TEE-M/stock", url.Values{"delta": {"+12"}, "reason": {"delivery"}, "back": {"/products?q=tee"}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/products?q=tee" {
		t.Errorf("back to %q", loc)
	}
	expectBody(t, wh.get("/products?q=tee"), "Stock of TEE-M changed by +12: 12 on hand, 12 available.")
	inv, _ := e.svc.GetInventory(ctx, "TEE-M")
	if inv.OnHand != 12 {
		t.Fatalf("on hand %d", inv.OnHand)
	}
	var actor string
	_ = e.pool.QueryRow(ctx, `SELECT actor FROM inventory_adjustments WHERE sku = 'TEE-M'`).Scan(&actor)
	if actor != "Test warehouse" {
		t.Errorf("adjustment recorded by %q", actor)
	}

	t.Run("BelowZeroIsRefusedWithTheInputKept", func(t *testing.T) {
		p := wh.post("/products/TEE-M/stock", url.Values{"delta": {"-20"}, "reason": {"broken"}, "back": {"/products?q=tee"}})
		expectStatus(t, p, http.StatusConflict)
		expectBody(t, p, "cannot go below", `value="-20"`, `value="broken"`, `details class="popover" open`)
	})
	t.Run("NotANumber", func(t *testing.T) {
		p := wh.post("/products/TEE-M/stock", url.Values{"delta": {"lots"}, "reason": {""}})
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "must be a whole number", `value="lots"`)
	})
	t.Run("SupportMayNot", func(t *testing.T) {
		expectStatus(t, e.loggedIn(domain.RoleSupport).post("/products/TEE-M/stock", url.Values{"delta": {"1"}}), http.StatusForbidden)
	})
}

func TestProductsAreCreatedAndEditedFromTheForm(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/products/new")
	bad := admin.post("/products", url.Values{"sku": {"bad sku"}, "name": {""}, "price": {"x"}, "currency": {"USD"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectBody(t, bad, "must be a number", `value="bad sku"`)
	expectStatus(t, admin.post("/products", url.Values{"sku": {"MUG-1"}, "name": {"Mug"}, "price": {"12.50"}, "currency": {"usd"}, "active": {"on"}}), http.StatusSeeOther)
	dup := admin.post("/products", url.Values{"sku": {"MUG-1"}, "name": {"Other"}, "price": {"1"}, "currency": {"USD"}, "active": {"on"}})
	expectStatus(t, dup, http.StatusUnprocessableEntity)
	expectBody(t, dup, "is already used by another product")
	expectBody(t, admin.get("/products/MUG-1/edit"), `value="12.50"`, `value="Mug"`)
	expectStatus(t, admin.post("/products/MUG-1", url.Values{"name": {"Big mug"}, "price": {"14"}, "sale_price": {"11.99"}, "currency": {"USD"}}), http.StatusSeeOther)
	p, _ := e.svc.GetProduct(context.Background(), "MUG-1")
	if p.Name != "Big mug" || !p.SalePrice.Valid || p.Active {
		t.Fatalf("after edit: %+v", p)
	}
	expectStatus(t, admin.get("/products/NOPE/edit"), http.StatusNotFound)
}

func TestDashboardShowsTheShellForEveryRole(t *testing.T) {
	e := newPageEnv(t)
	for _, r := range domain.Roles {
		p := e.loggedIn(r).get("/")
		expectStatus(t, p, http.StatusOK)
		expectBody(t, p, "Orders today", "Last 30 days", "<svg class=\"chart\"", `class="axis-revenue"`, "/orders?status=paid", "Nothing to ship")
	}
}

// Two people adding the same SKU at once: one product is created, the other form is
// refused, nothing is overwritten; editing an unknown SKU creates nothing.
func TestConcurrentProductCreatesNeverOverwrite(t *testing.T) {
	e := newPageEnv(t)
	const n = 8
	admins := make([]*browser, n)
	for i := range admins {
		admins[i] = e.loggedIn(domain.RoleAdmin)
		admins[i].get("/products/new")
	}
	admin := admins[0]
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := admins[i].post("/products", url.Values{"sku": {"RACE-1"}, "name": {fmt.Sprintf("Name %d", i)}, "price": {"5"}, "currency": {"USD"}, "active": {"on"}})
			statuses[i] = p.Status
		})
	}
	wg.Wait()
	winner := -1
	for i, st := range statuses {
		switch {
		case st == http.StatusSeeOther && winner == -1:
			winner = i
		case st != http.StatusUnprocessableEntity:
			t.Fatalf("statuses %v: want one 303 and the rest 422", statuses)
		}
	}
	if winner == -1 {
		t.Fatalf("statuses %v: no create succeeded", statuses)
	}
	if p, _ := e.svc.GetProduct(context.Background(), "RACE-1"); p.Name != fmt.Sprintf("Name %d", winner) {
		t.Fatalf("product name %q, want the winner's %q", p.Name, fmt.Sprintf("Name %d", winner))
	}
	expectStatus(t, admin.post("/products/NOPE-9", url.Values{"name": {"x"}, "price": {"1"}, "currency": {"USD"}}), http.StatusNotFound)
	if _, err := e.svc.GetProduct(context.Background(), "NOPE-9"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("editing an unknown SKU created it: %v", err)
	}
}
