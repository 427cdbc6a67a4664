package service

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/oms/oms/internal/domain"
)

// The stored address's fast reader agrees with encoding/json on anything that decodes.
func FuzzDecodeAddress(f *testing.F) {
	for _, s := range []string{`{}`, `{"city":"Köln","country":"DE"}`, `{"first_name":"A\"B","phone":"\u00e9"}`,
		`{"city":1}`, `{"city":"a","city":"b"}`, `[]`, `{"x":{"y":1}}`, `{"city":"\ud800"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast, slow domain.Address
		err := decodeAddress(b, &fast)
		if json.Unmarshal(b, &slow) != nil {
			return // not an address: any error (or none) is fine, as long as nothing panics
		}
		if err != nil || fast != slow {
			t.Fatalf("%q: fast %+v (%v), encoding/json %+v", b, fast, err, slow)
		}
	})
}

// A cursor from the query string never panics the list, and one that decodes names an
// order and, sorted by total, an amount as every amount from outside is read.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{"", "eyJzIjoiLWNyZWF0ZWRfYXQifQ", "eyJzIjoidG90YWwiLCJ2IjoiMSIsImkiOiIwMWEyMzE0MC0yOTNhLTc5MDEtOGY0OS01NTMyNmRkNmEwZjUifQ", "%%%",
		"eyJzIjoidG90YWwiLCJ2IjoiMWU5OTk5IiwiaSI6IjAxOWMwMDAwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMCJ9"} { // "v":"1e9999"
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		if c.ID.String() == "00000000-0000-0000-0000-000000000000" {
			t.Fatalf("%q decoded without an order id", s)
		}
		if c.Sort == domain.SortTotalAsc || c.Sort == domain.SortTotalDesc {
			if _, err := domain.ParseDecimal(c.Value, domain.MoneyDigits); err != nil {
				t.Fatalf("%q decoded with total %q: %v", s, c.Value, err)
			}
		}
	})
}

// No exported cell starts as a spreadsheet formula.
func FuzzDefuseFormula(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+SUM(A1)", "-2", "@x", "\tA", "\rB", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := defuseFormula(s)
		if out != "" && strings.ContainsRune("=+-@\t\r", rune(out[0])) {
			t.Fatalf("%q exported as %q", s, out)
		}
		if !strings.HasSuffix(out, s) {
			t.Fatalf("%q lost text: %q", s, out)
		}
	})
}

// Any customer text makes a CSV and an XLSX file that read back: the CSV cell as written
// (formulas defused), the XLSX a valid workbook whose cell is text.
func FuzzExportCells(f *testing.F) {
	for _, s := range []string{"Ann Lee", "=HYPERLINK(\"x\")", "\x00\x01\x1f", "\xff\xfe", "a\r\nb", "\u202e", strings.Repeat("x", 40_000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		row := ExportRow{OrderNumber: "ORD-261201-000001", CustomerName: name, Currency: "USD", Country: "US"}
		var csvOut bytes.Buffer
		c := newCSVExport(&csvOut)
		if err := c.row(row); err != nil {
			return // a text the CSV writer refuses: refused, not a broken file
		}
		if err := c.close(); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&csvOut).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%q: the CSV does not read back: %v", name, err)
		}
		var xlsxOut bytes.Buffer
		x, err := newXLSXExport(&xlsxOut)
		if err != nil {
			t.Fatal(err)
		}
		defer x.release()
		if err := x.row(row); err != nil {
			return
		}
		if err := x.close(); err != nil {
			return
		}
		book, err := excelize.OpenReader(&xlsxOut)
		if err != nil {
			t.Fatalf("%q: the XLSX does not open: %v", name, err)
		}
		book.Close()
	})
}
