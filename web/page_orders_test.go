package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// orderFixture creates orders through the services, as the storefront and staff would.
type orderFixture struct {
	e *pageEnv
}

func (e *pageEnv) orders() *orderFixture {
	e.t.Helper()
	ctx := context.Background()
	for _, sku := range []string{"TEE-M", "MUG"} {
		if _, err := e.svc.CreateProduct(ctx, domain.Product{SKU: sku, Name: "Product " + sku, Price: mustDec("12.50"), Currency: "USD", Active: true}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.svc.SetOnHand(ctx, domain.System, sku, 10000); err != nil {
			e.t.Fatal(err)
		}
	}
	return &orderFixture{e: e}
}

// create places an order for email with qty TEE-M and one MUG.
func (f *orderFixture) create(email, name string, qty int) domain.Order {
	f.e.t.Helper()
	o, _, err := f.e.svc.CreateOrder(context.Background(), domain.System, domain.NewOrder{
		Customer:        domain.Customer{Email: email, Name: name, Phone: "+1 555 0100"},
		ShippingAddress: domain.Address{FirstName: "Ada", LastName: name, Address1: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
		Items:           []domain.ItemRequest{{SKU: "TEE-M", Quantity: qty}, {SKU: "MUG", Quantity: 1}},
		Notes:           "Leave at the door",
	}, nil)
	if err != nil {
		f.e.t.Fatalf("create order: %v", err)
	}
	return o
}

// paid creates an order and pays it in full.
func (f *orderFixture) paid(email, name string) domain.Order {
	f.e.t.Helper()
	o := f.create(email, name, 1)
	_, o, err := f.e.svc.RecordPayment(context.Background(), domain.System, o.ID, service.NewPayment{Amount: o.Total})
	if err != nil {
		f.e.t.Fatalf("pay: %v", err)
	}
	return o
}

// shipped creates a paid order and ships all of it.
func (f *orderFixture) shipped(email, name string) domain.Order {
	f.e.t.Helper()
	o := f.paid(email, name)
	req := domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z999"}
	for _, it := range o.Items {
		req.Items = append(req.Items, domain.LineQuantity{OrderItemID: it.ID, Quantity: it.Quantity})
	}
	if _, _, err := f.e.svc.Fulfill(context.Background(), domain.System, o.ID, req); err != nil {
		f.e.t.Fatalf("fulfill: %v", err)
	}
	o, err := f.e.svc.GetOrder(context.Background(), o.ID)
	if err != nil || o.Status != domain.StatusShipped {
		f.e.t.Fatalf("after fulfilling: %s, %v", o.Status, err)
	}
	return o
}

func rowCount(p page) int { return strings.Count(p.Body, `name="ids"`) }

func TestOrdersListShowsFiltersSortSearchAndPages(t *testing.T) {
	e := newPageEnv(t)
	b := e.loggedIn(domain.RoleWarehouse) // the least privileged role that views orders

	t.Run("NoOrdersYetSaysHowToCreateOne", func(t *testing.T) {
		p := b.get("/orders")
		expectStatus(t, p, http.StatusOK)
		expectBody(t, p, "No orders yet", "POST /api/v1/orders", "oms demo")
	})

	fx := e.orders()
	var all []domain.Order
	for i := range 55 {
		all = append(all, fx.create(fmt.Sprintf("buyer%02d@example.com", i), fmt.Sprintf("Buyer %02d", i), 1+i%3))
	}
	ada := fx.create("ada@lovelace.example", "Ada Lovelace", 7)
	paid := fx.paid("grace@hopper.example", "Grace Hopper")
	shipped := fx.shipped("alan@turing.example", "Alan Turing")

	t.Run("FirstPageShowsTheVisibleCountAndNext", func(t *testing.T) {
		p := b.get("/orders")
		expectStatus(t, p, http.StatusOK)
		if n := rowCount(p); n != 50 {
			t.Fatalf("%d rows, want 50", n)
		}
		expectBody(t, p, "Showing <strong>50</strong> of <strong>58</strong> orders", shipped.Number, ">Ada Lovelace<",
			"ada@lovelace.example", "$100.00", `href="/orders/`+ada.Number+`"`, `rel="next"`)
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.Body)
		p2 := b.get(htmlUnescape(next[1]))
		expectStatus(t, p2, http.StatusOK)
		if n := rowCount(p2); n != 8 {
			t.Fatalf("page 2 has %d rows, want 8", n)
		}
		expectBody(t, p2, "Showing <strong>8</strong> of <strong>58</strong>", "(51–58)", `rel="prev"`, all[0].Number)
		if strings.Contains(p2.Body, `rel="next"`) {
			t.Error("last page links to a next page")
		}
		prev := regexp.MustCompile(`href="([^"]+)" rel="prev"`).FindStringSubmatch(p2.Body)
		back := b.get(htmlUnescape(prev[1]))
		if n := rowCount(back); n != 50 || !strings.Contains(back.Body, shipped.Number) {
			t.Fatalf("previous page: %d rows", n)
		}
	})
	t.Run("SearchByEmailNameAndNumber", func(t *testing.T) {
		for _, q := range []string{"grace@hopper.example", "Hopper", paid.Number} {
			p := b.get("/orders?q=" + url.QueryEscape(q))
			expectStatus(t, p, http.StatusOK)
			if n := rowCount(p); n != 1 || !strings.Contains(p.Body, paid.Number) {
				t.Errorf("search %q: %d rows", q, n)
			}
			expectBody(t, p, "Showing <strong>1</strong> of <strong>1</strong> order")
		}
	})
	t.Run("HtmxSearchPushesACleanURL", func(t *testing.T) {
		p := b.get("/orders?q=Hopper&created_from=&total_min=&sort=", "HX-Request", "true")
		expectStatus(t, p, http.StatusOK)
		if got := p.Header.Get("HX-Push-Url"); got != "/orders?q=Hopper" {
			t.Errorf("HX-Push-Url %q", got)
		}
		full := b.get("/orders?q=Hopper&created_from=&status=paid&status=pending")
		expectStatus(t, full, http.StatusSeeOther)
		if loc := full.Header.Get("Location"); loc != "/orders?q=Hopper&status=paid%2Cpending" {
			t.Errorf("redirect to %q", loc)
		}
	})
	t.Run("TabsAndFilters", func(t *testing.T) {
		ready := b.get("/orders?status=paid,processing&fulfillment_status=unfulfilled,partially_fulfilled")
		expectStatus(t, ready, http.StatusOK)
		if n := rowCount(ready); n != 1 || !strings.Contains(ready.Body, paid.Number) {
			t.Errorf("ready to ship: %d rows", n)
		}
		expectBody(t, ready, `class="tab active" href="/orders?fulfillment_status=unfulfilled%2Cpartially_fulfilled&amp;status=paid%2Cprocessing" aria-current`)
		shippedTab := b.get("/orders?status=shipped")
		if n := rowCount(shippedTab); n != 1 || !strings.Contains(shippedTab.Body, shipped.Number) {
			t.Errorf("shipped: %d rows", n)
		}
		unpaid := b.get("/orders?status=" + openStatuses + "&payment_status=pending,partially_paid")
		if n := rowCount(unpaid); n != 50 || strings.Contains(unpaid.Body, paid.Number+"<") {
			t.Errorf("unpaid: %d rows", n)
		}
		// A tab's own filters are not counted as filters the user added; what is added
		// to a tab, or a mix no tab has, is.
		filterCount := func(p page) string {
			m := regexp.MustCompile(`<span class="count-pill">([^<]*)</span>`).FindStringSubmatch(p.Body)
			if m == nil {
				return ""
			}
			return m[1]
		}
		for _, tc := range []struct{ path, want string }{
			{"/orders?status=" + openStatuses + "&payment_status=pending,partially_paid", ""},
			{"/orders?status=paid,processing&fulfillment_status=unfulfilled,partially_fulfilled", ""},
			{"/orders?status=shipped", ""},
			{"/orders?status=" + openStatuses + "&payment_status=pending,partially_paid&total_min=10", "1"},
			{"/orders?status=shipped&created_from=2025-01-01&total_max=100", "2"},
			{"/orders?status=shipped,delivered", "2"},
			{"/orders?status=paid&payment_status=completed", "2"},
			{"/orders?total_min=10", "1"},
		} {
			if got := filterCount(b.get(tc.path)); got != tc.want {
				t.Errorf("%s: Filters count %q, want %q", tc.path, got, tc.want)
			}
		}
		amount := b.get("/orders?total_min=90&total_max=1000")
		if n := rowCount(amount); n != 1 || !strings.Contains(amount.Body, ada.Number) {
			t.Errorf("amount range: %d rows", n)
		}
		expectBody(t, amount, `name="total_min" type="text" value="90"`)
		today := time.Now().Format(time.DateOnly)
		if n := rowCount(b.get("/orders?created_from=" + today + "&created_to=" + today + "&status=shipped")); n != 1 {
			t.Errorf("date range: %d rows", n)
		}
	})
	t.Run("SortByTotal", func(t *testing.T) {
		p := b.get("/orders?sort=-total")
		expectStatus(t, p, http.StatusOK)
		first := regexp.MustCompile(`class="mono order-link" href="/orders/([^"]+)"`).FindStringSubmatch(p.Body)
		if first == nil || first[1] != ada.Number {
			t.Errorf("largest first: got %v, want %s", first, ada.Number)
		}
		expectBody(t, p, `aria-sort="descending"`, `href="/orders?sort=total"`)
		asc := b.get("/orders?sort=total")
		if f := regexp.MustCompile(`class="mono order-link" href="/orders/([^"]+)"`).FindStringSubmatch(asc.Body); f == nil || f[1] == ada.Number {
			t.Errorf("smallest first starts with %v", f)
		}
	})
	t.Run("NoMatchOffersToClearTheFilters", func(t *testing.T) {
		p := b.get("/orders?q=nobody-like-this")
		expectStatus(t, p, http.StatusOK)
		expectBody(t, p, "No orders match these filters", `href="/orders">Clear filters`)
	})
	t.Run("InvalidFiltersAreShownByTheFilter", func(t *testing.T) {
		p := b.get("/orders?status=lost&created_from=yesterday&total_min=abc")
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-created_from"`, "must be a date", `id="err-total_min"`, "must be a number such as 19.99",
			"These filters cannot be applied", `value="yesterday"`)
		p = b.get("/orders?status=lost")
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-status"`, `unknown status &#34;lost&#34;`)
		p = b.get("/orders?total_min=50&total_max=10")
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, `id="err-total_max"`, "must not be less than total_min")
		p = b.get("/orders?cursor=garbage")
		expectStatus(t, p, http.StatusUnprocessableEntity)
		expectBody(t, p, "Page link is not a cursor")
	})
}

func htmlUnescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

func TestBulkStatusChangeReportsEachOrder(t *testing.T) {
	e := newPageEnv(t)
	fx := e.orders()
	a, b2 := fx.paid("a@example.com", "A"), fx.paid("b@example.com", "B")
	shipped := fx.shipped("c@example.com", "C")
	support := e.loggedIn(domain.RoleSupport)
	list := support.get("/orders?status=paid,shipped")
	expectBody(t, list, "Change status ▾", "Cancel ▾", "Export ▾")
	if strings.Contains(list.Body, "Print packing slips") {
		t.Error("support sees packing slips, which the matrix gives to the warehouse")
	}

	p := support.post("/orders/bulk/status", url.Values{"ids": {a.ID, b2.ID, shipped.ID}, "status": {"processing"}, "back": {"/orders?status=paid,shipped"}})
	expectStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/orders?status=paid,shipped" {
		t.Fatalf("back to %q", loc)
	}
	after := support.get("/orders")
	expectBody(t, after, "Status changed to processing: 2 updated, 1 failed",
		shipped.Number+"</a> cannot go from shipped to processing")
	for _, o := range []domain.Order{a, b2} {
		got, _ := e.svc.GetOrder(context.Background(), o.ID)
		if got.Status != domain.StatusProcessing {
			t.Errorf("%s is %s", o.Number, got.Status)
		}
	}
	if again := support.get("/orders"); strings.Contains(again.Body, "2 updated") {
		t.Error("the summary is shown twice")
	}

	t.Run("NothingSelected", func(t *testing.T) {
		p := support.post("/orders/bulk/status", url.Values{"status": {"processing"}})
		expectStatus(t, p, http.StatusSeeOther)
		expectBody(t, support.get("/orders"), "Nothing was changed: must name at least one order.")
	})
	t.Run("CSRFIsChecked", func(t *testing.T) {
		p := support.post("/orders/bulk/status", url.Values{"_csrf": {"forged"}, "ids": {a.ID}, "status": {"shipped"}})
		expectStatus(t, p, http.StatusForbidden)
		if got, _ := e.svc.GetOrder(context.Background(), a.ID); got.Status != domain.StatusProcessing {
			t.Errorf("a forged request moved %s to %s", a.Number, got.Status)
		}
	})
}

func TestBulkCancelReleasesStockAndIsForbiddenToTheWarehouse(t *testing.T) {
	e := newPageEnv(t)
	fx := e.orders()
	a, b2 := fx.create("a@example.com", "A", 2), fx.paid("b@example.com", "B")
	shipped := fx.shipped("c@example.com", "C")
	before, _ := e.svc.GetInventory(context.Background(), "TEE-M")

	t.Run("WarehouseIsRefused", func(t *testing.T) {
		w := e.loggedIn(domain.RoleWarehouse)
		list := w.get("/orders")
		if strings.Contains(list.Body, "Cancel ▾") || strings.Contains(list.Body, "Change status ▾") {
			t.Error("warehouse sees actions it may not take")
		}
		expectBody(t, list, "Print packing slips")
		p := w.post("/orders/bulk/cancel", url.Values{"ids": {a.ID}, "confirmed": {"1"}})
		expectStatus(t, p, http.StatusForbidden)
		expectStatus(t, w.post("/orders/bulk/status", url.Values{"ids": {a.ID}, "status": {"pending"}}), http.StatusForbidden)
		expectStatus(t, w.post("/orders/export", url.Values{"format": {"csv"}}), http.StatusForbidden)
		if got, _ := e.svc.GetOrder(context.Background(), a.ID); got.Status == domain.StatusCancelled {
			t.Fatal("a refused request cancelled the order")
		}
	})

	support := e.loggedIn(domain.RoleSupport)
	support.get("/orders")
	t.Run("WithoutJavaScriptAConfirmationPageAsks", func(t *testing.T) {
		p := support.post("/orders/bulk/cancel", url.Values{"ids": {a.ID, b2.ID}})
		expectStatus(t, p, http.StatusOK)
		expectBody(t, p, "Cancel 2 orders?", "reserved stock goes back to available", a.Number, b2.Number, `name="confirmed" value="1"`)
		if got, _ := e.svc.GetOrder(context.Background(), a.ID); got.Status == domain.StatusCancelled {
			t.Fatal("cancelled before the confirmation")
		}
	})

	p := support.post("/orders/bulk/cancel", url.Values{"ids": {a.ID, b2.ID, shipped.ID}, "confirmed": {"1"}, "reason": {"customer asked"}, "refund": {"on"}})
	expectStatus(t, p, http.StatusSeeOther)
	progress := p.Header.Get("Location")
	if !strings.HasPrefix(progress, "/orders/bulk/") {
		t.Fatalf("a confirmed bulk cancellation goes to %q, want its progress page", progress)
	}
	expectBody(t, support.get(progress), "Cancelling 3 orders…", "0 of 3 done", `hx-trigger="every 500ms"`)
	expectStatus(t, e.loggedIn(domain.RoleAdmin).get(progress), http.StatusNotFound) // not theirs
	// What the bulk_cancel job does (it runs in every serving process).
	id := uuid.MustParse(strings.TrimPrefix(strings.Split(progress, "?")[0], "/orders/bulk/"))
	for range 2 { // a second run (a retry) changes nothing
		if err := e.svc.RunBulkCancel(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	expectBody(t, support.get(progress), "Cancellation: 2 cancelled, 1 failed", shipped.Number+"</a> cannot go from shipped to cancelled", "Back to orders")
	after, _ := e.svc.GetInventory(context.Background(), "TEE-M")
	if after.Reserved != before.Reserved-3 {
		t.Errorf("TEE-M reserved %d -> %d, want 3 released", before.Reserved, after.Reserved)
	}
	got, _ := e.svc.GetOrder(context.Background(), b2.ID)
	if got.Status != domain.StatusCancelled || !got.Refunded.Equal(got.Paid) {
		t.Errorf("paid order: %s, refunded %s of %s", got.Status, got.Refunded, got.Paid)
	}
}

func TestExportDownloadsTheSelectionOrTheViewWithProgress(t *testing.T) {
	e := newPageEnv(t)
	fx := e.orders()
	var orders []domain.Order
	for i := range 7 {
		orders = append(orders, fx.create(fmt.Sprintf("x%d@example.com", i), fmt.Sprintf("X %d", i), 1))
	}
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/orders")

	t.Run("SelectionAsCSV", func(t *testing.T) {
		p := admin.post("/orders/export", url.Values{"ids": {orders[1].ID, orders[4].ID}, "format": {"csv"}})
		expectStatus(t, p, http.StatusOK)
		if !strings.Contains(p.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("headers %v", p.Header)
		}
		recs, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || recs[0][0] != "order_number" {
			t.Fatalf("%d records: %v", len(recs), recs)
		}
		got := map[string]bool{recs[1][0]: true, recs[2][0]: true}
		if !got[orders[1].Number] || !got[orders[4].Number] {
			t.Errorf("exported %v", got)
		}
	})

	t.Run("LargeViewRunsInTheBackground", func(t *testing.T) {
		defer func(n int) { exportDirectLimit = n }(exportDirectLimit)
		exportDirectLimit = 3
		e.runJobs()
		p := admin.post("/orders/export", url.Values{"view": {"q=example.com&sort=total"}, "format": {"csv"}})
		expectStatus(t, p, http.StatusSeeOther)
		loc := p.Header.Get("Location")
		if !strings.HasPrefix(loc, "/orders/exports/") {
			t.Fatalf("redirect to %q", loc)
		}
		var prog page
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if prog = admin.get(loc, "HX-Request", "true"); strings.Contains(prog.Body, "is ready") {
				break
			}
			expectBody(t, prog, `hx-trigger="every 500ms"`, "<progress")
		}
		expectStatus(t, prog, http.StatusOK)
		expectBody(t, prog, "is ready", "7 orders", `value="100"`, `href="`+loc+`/file"`)
		file := admin.get(loc + "/file")
		expectStatus(t, file, http.StatusOK)
		recs, err := csv.NewReader(strings.NewReader(file.Body)).ReadAll()
		if err != nil || len(recs) != 8 {
			t.Fatalf("file: %d records, %v", len(recs), err)
		}
		// Someone else's export is not there for them.
		other := e.loggedIn(domain.RoleSupport)
		expectStatus(t, other.get(loc), http.StatusNotFound)
		expectStatus(t, other.get(loc+"/file"), http.StatusNotFound)
	})

	t.Run("SmallViewDownloadsAtOnce", func(t *testing.T) {
		p := admin.post("/orders/export", url.Values{"view": {"q=x3@example.com"}, "format": {"xlsx"}})
		expectStatus(t, p, http.StatusOK)
		if !strings.HasPrefix(p.Body, "PK") {
			t.Error("not an XLSX (zip) file")
		}
	})
	t.Run("InvalidViewIsRefused", func(t *testing.T) {
		p := admin.post("/orders/export", url.Values{"view": {"status=lost"}, "format": {"csv"}})
		expectStatus(t, p, http.StatusSeeOther)
		expectBody(t, admin.get("/orders"), "Nothing was changed")
	})
}

func TestPackingSlipsPrintWithoutPrices(t *testing.T) {
	e := newPageEnv(t)
	fx := e.orders()
	a, b2 := fx.create("a@example.com", "Lovelace", 3), fx.create("b@example.com", "Hopper", 1)
	w := e.loggedIn(domain.RoleWarehouse)

	p := w.get("/orders/" + a.Number + "/packing-slip")
	expectStatus(t, p, http.StatusOK)
	expectBody(t, p, "Test Shop", "Packing slip", a.Number, "Ada Lovelace", "1 Main St", "Springfield, IL 62701",
		"TEE-M", "MUG", ">3<", "4 units", "Leave at the door", "data-print", "print.css")
	if strings.Contains(p.Body, "$") || strings.Contains(p.Body, "12.50") {
		t.Error("the packing slip shows prices")
	}
	if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, "style=") {
		t.Error("inline script or style")
	}

	w.get("/orders")
	many := w.post("/orders/packing-slips", url.Values{"ids": {a.ID, b2.ID}})
	expectStatus(t, many, http.StatusOK)
	if n := strings.Count(many.Body, `<article class="slip"`); n != 2 {
		t.Errorf("%d slips, want 2", n)
	}
	expectBody(t, many, "2 packing slips", b2.Number)
	get := w.get("/orders/packing-slips?ids=" + a.Number + "," + b2.Number)
	if n := strings.Count(get.Body, `<article class="slip"`); n != 2 {
		t.Errorf("GET: %d slips, want 2", n)
	}

	support := e.loggedIn(domain.RoleSupport)
	expectStatus(t, support.get("/orders/"+a.Number+"/packing-slip"), http.StatusForbidden)
	expectStatus(t, w.get("/orders/ORD-NOPE/packing-slip"), http.StatusNotFound)
}

// Two runs of one bulk cancellation at once (a job rescued while its first run still
// works, say) cancel and refund each order exactly once, and what they leave is finished
// by the next run.
func TestBulkCancellationRunsNeverDoAnOrderTwice(t *testing.T) {
	e := newPageEnv(t)
	fx := e.orders()
	var ids []string
	for i := range 8 {
		ids = append(ids, fx.paid(fmt.Sprintf("p%d@example.com", i), "P").ID)
	}
	ctx := context.Background()
	b, err := e.svc.StartBulkCancel(ctx, e.users[domain.RoleSupport].Actor(), ids, "supplier gone", true)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.MustParse(b.ID)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { _ = e.svc.RunBulkCancel(ctx, id) }) // one of them may stop on the other's work
	}
	wg.Wait()
	if err := e.svc.RunBulkCancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.GetBulkCancellation(ctx, e.users[domain.RoleSupport].ID, b.ID)
	if err != nil || !got.Finished || len(got.Results) != len(ids) {
		t.Fatalf("bulk cancellation %+v, %v", got, err)
	}
	for i, id := range ids {
		o, err := e.svc.GetOrder(ctx, id)
		if err != nil || o.Status != domain.StatusCancelled || len(o.Refunds) != 1 || !o.Refunded.Equal(o.Paid) || got.Results[i].Error != "" {
			t.Errorf("order %d: %s, %d refunds, refunded %s of %s, result %+v (%v)", i, o.Status, len(o.Refunds), o.Refunded, o.Paid, got.Results[i], err)
		}
	}
}
