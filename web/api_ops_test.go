package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/oms/oms/internal/domain"
)

func TestAPIBulkStatus(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	a := e.createOrder(orderBody("a@example.com", "TEE-M", 1))
	b := e.createOrder(orderBody("b@example.com", "TEE-M", 1))
	c := e.createOrder(orderBody("c@example.com", "TEE-M", 1))
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+c.ID+"/transitions", map[string]any{"status": "cancelled"})
	unknown := uuid.NewString()

	t.Run("MixedResults", func(t *testing.T) {
		var res struct {
			Succeeded []string `json:"succeeded"`
			Failed    []struct {
				ID    string `json:"id"`
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			} `json:"failed"`
		}
		e.must(http.StatusOK, "POST", "/api/v1/orders/bulk/status", map[string]any{
			"order_ids": []string{a.ID, b.OrderNumber, c.ID, unknown}, "status": "pending", "note": "batch"}).JSON(t, &res)
		if !slices.Equal(res.Succeeded, []string{a.ID, b.OrderNumber}) {
			t.Errorf("succeeded %v", res.Succeeded)
		}
		got := map[string]string{}
		for _, f := range res.Failed {
			got[f.ID] = f.Error.Code
			if f.Error.Message == "" {
				t.Errorf("%s: no message", f.ID)
			}
		}
		want := map[string]string{c.ID: "invalid_transition", unknown: "not_found"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("failed %v, want %v", got, want)
		}
		var o orderJSON
		e.must(http.StatusOK, "GET", "/api/v1/orders/"+b.ID, nil).JSON(t, &o)
		if o.Status != "pending" || o.History[len(o.History)-1].Note != "batch" {
			t.Errorf("b: %s %+v", o.Status, o.History)
		}
	})

	t.Run("ErrValidationFailed", func(t *testing.T) {
		ids := make([]string, 501)
		for i := range ids {
			ids[i] = uuid.NewString()
		}
		for name, body := range map[string]any{
			"too many":       map[string]any{"order_ids": ids, "status": "paid"},
			"none":           map[string]any{"order_ids": []string{}, "status": "paid"},
			"unknown status": map[string]any{"order_ids": []string{a.ID}, "status": "lost"},
		} {
			r := e.do("POST", "/api/v1/orders/bulk/status", body)
			if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != domain.CodeValidationFailed {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if r := e.do("POST", "/api/v1/orders/bulk/status", `{"order_ids": ["x"], "status": "paid", "extra": 1}`); r.Status != http.StatusBadRequest {
			t.Errorf("unknown field: %d %s", r.Status, r.Body)
		}
	})
}

// exportCSV downloads the export in CSV and parses it, checking the download headers.
func (e *apiEnv) exportCSV(t *testing.T, query string) [][]string {
	t.Helper()
	r := e.must(http.StatusOK, "GET", "/api/v1/orders/export?format=csv&"+query, nil)
	checkDownload(t, r, "text/csv; charset=utf-8", "csv")
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("parse csv: %v\n%s", err, r.Body)
	}
	if len(recs) == 0 || recs[0][0] != "order_number" || recs[0][len(recs[0])-1] != "items" {
		t.Fatalf("csv header %v", recs)
	}
	return recs[1:]
}

func checkDownload(t *testing.T, r apiResponse, contentType, ext string) {
	t.Helper()
	if got := r.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
	cd := r.Header.Get("Content-Disposition")
	if !regexp.MustCompile(`^attachment; filename=orders-\d{8}-\d{4}\.` + ext + `$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func TestAPIExportOrders(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 100)
	e.product("MUG", "8.50", 100)
	a := e.createOrder(orderBody("ann@example.com", "TEE-M", 2, "MUG", 1))
	evil := orderBody("evil@example.com", "MUG", 1)
	evil["customer"].(map[string]any)["name"] = "=HYPERLINK(\"http://x\",\"y\")"
	b := e.createOrder(evil)
	c := e.createOrder(orderBody("carl@example.com", "TEE-M", 1))
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+c.ID+"/transitions", map[string]any{"status": "cancelled"})

	t.Run("CSVWithFilters", func(t *testing.T) {
		rows := e.exportCSV(t, "status=created&sort=created_at")
		if len(rows) != 2 || rows[0][0] != a.OrderNumber || rows[1][0] != b.OrderNumber {
			t.Fatalf("rows %v", rows)
		}
		want := []string{a.OrderNumber, time.Time(a.CreatedAt).UTC().Format("2006-01-02T15:04:05Z07:00"), "created", "pending", "unfulfilled",
			"Ann Lee", "ann@example.com", "'+15550100", "US", "USD", "48.50", "0.00", a.Shipping, a.Tax, a.Total, "0.00", "0.00",
			"3", "TEE-M x2; MUG x1"}
		if !slices.Equal(rows[0], want) {
			t.Errorf("row\n got %q\nwant %q", rows[0], want)
		}
		if rows[1][5] != "'=HYPERLINK(\"http://x\",\"y\")" {
			t.Errorf("formula not defused: %q", rows[1][5])
		}
		if rows := e.exportCSV(t, "email=CARL@example.com"); len(rows) != 1 || rows[0][2] != "cancelled" {
			t.Errorf("email filter: %v", rows)
		}
		if rows := e.exportCSV(t, "ids="+a.ID+","+c.ID+"&sort=created_at"); len(rows) != 2 || rows[0][0] != a.OrderNumber || rows[1][0] != c.OrderNumber {
			t.Errorf("ids selection: %v", rows)
		}
		if rows := e.exportCSV(t, "q=nobody-matches"); len(rows) != 0 {
			t.Errorf("no match: %v", rows)
		}
	})

	t.Run("JSON", func(t *testing.T) {
		r := e.must(http.StatusOK, "GET", "/api/v1/orders/export?format=json&sort=created_at", nil)
		checkDownload(t, r, "application/json", "json")
		var rows []map[string]any
		r.JSON(t, &rows)
		if len(rows) != 3 {
			t.Fatalf("%d rows", len(rows))
		}
		first := rows[0]
		if first["order_number"] != a.OrderNumber || first["total"] != a.Total || first["item_count"] != float64(3) ||
			first["items"] != "TEE-M x2; MUG x1" || first["customer_email"] != "ann@example.com" || first["country"] != "US" {
			t.Errorf("first row %v", first)
		}
		if rows[1]["customer_name"] != "=HYPERLINK(\"http://x\",\"y\")" {
			t.Errorf("JSON keeps text as it is: %v", rows[1]["customer_name"])
		}
		var empty []any
		e.must(http.StatusOK, "GET", "/api/v1/orders/export?format=json&status=refunded", nil).JSON(t, &empty)
		if empty == nil || len(empty) != 0 {
			t.Errorf("empty export: %v", empty)
		}
	})

	t.Run("XLSX", func(t *testing.T) {
		r := e.must(http.StatusOK, "GET", "/api/v1/orders/export?format=xlsx&status=created,cancelled&sort=created_at", nil)
		checkDownload(t, r, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("Orders")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[0][0] != "order_number" {
			t.Fatalf("rows %v", rows)
		}
		if rows[1][0] != a.OrderNumber || rows[1][14] != a.Total || rows[1][18] != "TEE-M x2; MUG x1" || rows[3][2] != "cancelled" {
			t.Errorf("rows %q", rows)
		}
		if v, _ := f.GetCellValue("Orders", "O2", excelize.Options{RawCellValue: true}); v != strings.TrimRight(strings.TrimRight(a.Total, "0"), ".") {
			t.Errorf("total cell holds %q, want the number %s", v, a.Total)
		}
	})

	t.Run("ErrValidationFailed", func(t *testing.T) {
		for _, q := range []string{"format=pdf", "format=csv&status=lost", "format=csv&ids=not-a-uuid"} {
			r := e.do("GET", "/api/v1/orders/export?"+q, nil)
			if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != domain.CodeValidationFailed {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
			if r.Header.Get("Content-Disposition") != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s: an error must not look like a download: %v", q, r.Header)
			}
		}
	})
}

// 1,200 orders cross the export's 500-order batches: every order exactly once, in order.
func TestAPIExportOrdersAcrossBatches(t *testing.T) {
	e := newAPIEnv(t)
	e.product("PEN", "1.25", 100_000)
	const n = 1200
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				in := domain.NewOrder{Customer: domain.Customer{Email: fmt.Sprintf("p%d@example.com", i), Name: "Pat"},
					ShippingAddress: domain.Address{FirstName: "Pat", LastName: "Lee", Address1: "1 Main St", City: "Austin", Country: "US"},
					Items:           []domain.ItemRequest{{SKU: "PEN", Quantity: 1 + i%5}}}
				if _, _, err := e.svc.CreateOrder(context.Background(), domain.System, in, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()

	rows := e.exportCSV(t, "")
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	seen := map[string]bool{}
	for i, r := range rows {
		if seen[r[0]] {
			t.Fatalf("%s twice", r[0])
		}
		seen[r[0]] = true
		if i > 0 && r[1] > rows[i-1][1] {
			t.Fatalf("row %d not newest first: %s after %s", i, r[1], rows[i-1][1])
		}
	}

	var byTotal []map[string]any
	e.must(http.StatusOK, "GET", "/api/v1/orders/export?format=json&sort=-total", nil).JSON(t, &byTotal)
	if len(byTotal) != n {
		t.Fatalf("json: %d rows", len(byTotal))
	}
	seen = map[string]bool{}
	for _, r := range byTotal {
		seen[r["order_number"].(string)] = true
	}
	if len(seen) != n || byTotal[0]["item_count"] != float64(5) || byTotal[n-1]["item_count"] != float64(1) {
		t.Errorf("json by total: %d distinct, first %v, last %v", len(seen), byTotal[0], byTotal[n-1])
	}
	r := e.must(http.StatusOK, "GET", "/api/v1/orders/export?format=xlsx", nil)
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, err := f.GetRows("Orders")
	if err != nil || len(sheet) != n+1 {
		t.Errorf("xlsx: %d rows (%v), want %d and the header", len(sheet), err, n)
	}
}
