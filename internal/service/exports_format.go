package service

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// ExportFormat is a file format of the order export.
type ExportFormat string

const (
	ExportCSV  ExportFormat = "csv"
	ExportJSON ExportFormat = "json"
	ExportXLSX ExportFormat = "xlsx"
)

// ParseExportFormat reads the format parameter; empty means CSV.
func ParseExportFormat(s string) (ExportFormat, error) {
	switch f := ExportFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return ExportCSV, nil
	case ExportCSV, ExportJSON, ExportXLSX:
		return f, nil
	}
	return "", domain.FieldErrors{"format": "must be csv, json or xlsx"}.Err()
}

// ContentType is the media type of a file in this format.
func (f ExportFormat) ContentType() string {
	switch f {
	case ExportJSON:
		return "application/json"
	case ExportXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		return "text/csv; charset=utf-8"
	}
}

// Filename names an export made at t: orders-20261125-1403.csv.
func (f ExportFormat) Filename(t time.Time) string {
	return "orders-" + t.UTC().Format("20060102-1504") + "." + string(f)
}

// exportFlushEvery is how many orders the export writes between flushes of the writer
// (and progress reports).
const exportFlushEvery = 1000

// ExportColumns are the export's columns, in order (the CSV/XLSX header, the JSON keys).
var ExportColumns = []string{"order_number", "created_at", "status", "payment_status", "fulfillment_status",
	"customer_name", "customer_email", "customer_phone", "country", "currency", "subtotal", "discount",
	"shipping", "tax", "total", "paid", "refunded", "item_count", "items"}

// ExportRow is one order as the export shows it: the one place its rows are shaped, for
// the API and the back-office alike.
type ExportRow struct {
	OrderNumber       string
	CreatedAt         time.Time
	Status            domain.Status
	PaymentStatus     domain.PaymentStatus
	FulfillmentStatus domain.FulfillmentStatus
	CustomerName      string
	CustomerEmail     string
	CustomerPhone     string
	Country           string
	Currency          string
	Subtotal          decimal.Decimal
	Discount          decimal.Decimal
	Shipping          decimal.Decimal
	Tax               decimal.Decimal
	Total             decimal.Decimal
	Paid              decimal.Decimal
	Refunded          decimal.Decimal
	ItemCount         int
	Items             string // "TEE-M x2; MUG x1"
}

func exportRowOf(o *queries.ExportOrder) ExportRow {
	return ExportRow{
		OrderNumber: o.OrderNumber, CreatedAt: o.CreatedAt.UTC(), Status: domain.Status(o.Status),
		PaymentStatus: domain.PaymentStatus(o.PaymentStatus), FulfillmentStatus: domain.FulfillmentStatus(o.FulfillmentStatus),
		CustomerName: o.CustomerName, CustomerEmail: o.CustomerEmail, CustomerPhone: o.CustomerPhone,
		Country: o.Country, Currency: o.Currency, Subtotal: o.Subtotal, Discount: o.Discount, Shipping: o.Shipping,
		Tax: o.Tax, Total: o.Total, Paid: o.Paid, Refunded: o.Refunded, ItemCount: int(o.ItemCount), Items: o.Lines,
	}
}

// amounts are the row's money columns, in column order.
func (r ExportRow) amounts() []decimal.Decimal {
	return []decimal.Decimal{r.Subtotal, r.Discount, r.Shipping, r.Tax, r.Total, r.Paid, r.Refunded}
}

// texts are the row's text columns before the money, in column order (after created_at).
func (r ExportRow) texts() []string {
	return []string{string(r.Status), string(r.PaymentStatus), string(r.FulfillmentStatus), r.CustomerName,
		r.CustomerEmail, r.CustomerPhone, r.Country, r.Currency}
}

// exportEncoder writes one file format.
type exportEncoder interface {
	row(ExportRow) error
	// flush pushes what is buffered to the writer (a no-op for formats that can only be
	// written whole).
	flush() error
	close() error
	// release frees what the encoder holds (temporary files), also after a failure.
	release()
}

// ExportOrders writes every order matching f (its filters and sort; its page size and
// cursor are ignored) to w in format, one row per order. It reads the orders with one
// streaming query, flushing w every few hundred orders when w can flush (an HTTP
// response), so memory stays flat and the download starts at once. progress, when not
// nil, is called after each flush with the number of orders written so far.
//
// Nothing is written when the filter is invalid, so the caller can still answer an error.
func (s *Service) ExportOrders(ctx context.Context, f domain.OrderFilter, format ExportFormat, w io.Writer, progress func(done int)) error {
	f.Cursor, f.Limit = "", domain.DefaultPageSize
	f.Normalize()
	if err := f.Validate(); err != nil {
		return err
	}
	db := s.reader(ctx) // an export may be a little behind, as a list may
	plan, err := planSearch(ctx, queries.New(db), f)
	if err != nil {
		return err
	}
	var enc exportEncoder
	switch format {
	case ExportCSV:
		enc = newCSVExport(w)
	case ExportJSON:
		enc = &jsonExport{w: w}
	case ExportXLSX:
		enc, err = newXLSXExport(w)
	default:
		_, err = ParseExportFormat(string(format))
	}
	if err != nil {
		return err
	}
	defer enc.release()

	done := 0
	flush := func() error {
		if err := enc.flush(); err != nil {
			return err
		}
		if fl, ok := w.(interface{ Flush() }); ok {
			fl.Flush()
		}
		if progress != nil {
			progress(done)
		}
		return nil
	}
	search := plan.search
	search.Limit = 0
	err = queries.New(queries.CustomPlans(db)).ForEachExportOrder(ctx, search, func(o *queries.ExportOrder) error {
		if err := enc.row(exportRowOf(o)); err != nil {
			return err
		}
		if done++; done%exportFlushEvery == 0 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := flush(); err != nil {
		return err
	}
	return enc.close()
}

// csvExport writes CSV through encoding/csv (which does the quoting).
type csvExport struct {
	w *csv.Writer
}

func newCSVExport(w io.Writer) *csvExport {
	e := &csvExport{w: csv.NewWriter(w)}
	_ = e.w.Write(ExportColumns) // buffered; errors surface at flush
	return e
}

func (e *csvExport) row(r ExportRow) error {
	rec := make([]string, 0, len(ExportColumns))
	rec = append(rec, r.OrderNumber, r.CreatedAt.Format(time.RFC3339))
	rec = append(rec, r.texts()...)
	for _, a := range r.amounts() {
		rec = append(rec, domain.FormatAmount(a, r.Currency))
	}
	rec = append(rec, fmt.Sprint(r.ItemCount), r.Items)
	for i := range rec {
		rec[i] = defuseFormula(rec[i])
	}
	return e.w.Write(rec)
}

func (e *csvExport) flush() error {
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	return nil
}

func (e *csvExport) close() error { return e.flush() }

func (e *csvExport) release() {}

// defuseFormula keeps a spreadsheet from running a cell as a formula (CSV injection,
// OWASP): a cell starting with = + - @ or a tab/CR is prefixed with a quote, which
// spreadsheets show as text.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// jsonExport streams a JSON array of objects, one per order.
type jsonExport struct {
	w     io.Writer
	count int
}

type exportJSON struct {
	OrderNumber       string `json:"order_number"`
	CreatedAt         string `json:"created_at"`
	Status            string `json:"status"`
	PaymentStatus     string `json:"payment_status"`
	FulfillmentStatus string `json:"fulfillment_status"`
	CustomerName      string `json:"customer_name"`
	CustomerEmail     string `json:"customer_email"`
	CustomerPhone     string `json:"customer_phone"`
	Country           string `json:"country"`
	Currency          string `json:"currency"`
	Subtotal          string `json:"subtotal"`
	Discount          string `json:"discount"`
	Shipping          string `json:"shipping"`
	Tax               string `json:"tax"`
	Total             string `json:"total"`
	Paid              string `json:"paid"`
	Refunded          string `json:"refunded"`
	ItemCount         int    `json:"item_count"`
	Items             string `json:"items"`
}

func (e *jsonExport) row(r ExportRow) error {
	money := func(d decimal.Decimal) string { return domain.FormatAmount(d, r.Currency) }
	b, err := json.Marshal(exportJSON{
		OrderNumber: r.OrderNumber, CreatedAt: r.CreatedAt.Format(time.RFC3339), Status: string(r.Status),
		PaymentStatus: string(r.PaymentStatus), FulfillmentStatus: string(r.FulfillmentStatus),
		CustomerName: r.CustomerName, CustomerEmail: r.CustomerEmail, CustomerPhone: r.CustomerPhone,
		Country: r.Country, Currency: r.Currency, Subtotal: money(r.Subtotal), Discount: money(r.Discount),
		Shipping: money(r.Shipping), Tax: money(r.Tax), Total: money(r.Total), Paid: money(r.Paid),
		Refunded: money(r.Refunded), ItemCount: r.ItemCount, Items: r.Items,
	})
	if err != nil {
		return fmt.Errorf("export: encode json: %w", err)
	}
	sep := ",\n"
	if e.count == 0 {
		sep = "[\n"
	}
	e.count++
	return e.write(sep, string(b))
}

func (e *jsonExport) write(parts ...string) error {
	for _, p := range parts {
		if _, err := io.WriteString(e.w, p); err != nil {
			return fmt.Errorf("export: write json: %w", err)
		}
	}
	return nil
}

func (e *jsonExport) flush() error { return nil }

func (e *jsonExport) release() {}

func (e *jsonExport) close() error {
	if e.count == 0 {
		return e.write("[]\n")
	}
	return e.write("\n]\n")
}

// xlsxExport writes a workbook through excelize's StreamWriter, which keeps rows on disk
// rather than in memory; an XLSX file is a zip, so it can only be sent once complete.
type xlsxExport struct {
	w       io.Writer
	file    *excelize.File
	sheet   *excelize.StreamWriter
	next    int
	timeFmt int
	money   map[int32]int // minor units -> style
}

const xlsxSheet = "Orders"

func newXLSXExport(w io.Writer) (*xlsxExport, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		f.Close()
		return nil, fmt.Errorf("export: xlsx sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(xlsxSheet)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("export: xlsx stream: %w", err)
	}
	e := &xlsxExport{w: w, file: f, sheet: sw, next: 1, money: map[int32]int{}}
	timeFmt := "yyyy-mm-dd hh:mm:ss"
	if e.timeFmt, err = f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt}); err != nil {
		f.Close()
		return nil, fmt.Errorf("export: xlsx style: %w", err)
	}
	widths := map[int]float64{1: 20, 2: 20, 6: 22, 7: 28, 8: 16, 19: 40}
	for col, wd := range widths {
		if err := sw.SetColWidth(col, col, wd); err != nil {
			f.Close()
			return nil, fmt.Errorf("export: xlsx column: %w", err)
		}
	}
	header := make([]any, len(ExportColumns))
	for i, c := range ExportColumns {
		header[i] = c
	}
	if err := e.setRow(header); err != nil {
		f.Close()
		return nil, err
	}
	return e, nil
}

func (e *xlsxExport) setRow(values []any) error {
	cell, _ := excelize.CoordinatesToCellName(1, e.next) // row numbers are always valid
	e.next++
	if err := e.sheet.SetRow(cell, values); err != nil {
		return fmt.Errorf("export: xlsx row: %w", err)
	}
	return nil
}

// moneyStyle is a number format with the currency's minor units (1,234.50; JPY 1,235).
func (e *xlsxExport) moneyStyle(currency string) (int, error) {
	units := domain.MinorUnits(currency)
	if id, ok := e.money[units]; ok {
		return id, nil
	}
	format := "#,##0"
	if units > 0 {
		format += "." + strings.Repeat("0", int(units))
	}
	id, err := e.file.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, fmt.Errorf("export: xlsx style: %w", err)
	}
	e.money[units] = id
	return id, nil
}

func (e *xlsxExport) row(r ExportRow) error {
	style, err := e.moneyStyle(r.Currency)
	if err != nil {
		return err
	}
	values := make([]any, 0, len(ExportColumns))
	values = append(values, r.OrderNumber, excelize.Cell{StyleID: e.timeFmt, Value: r.CreatedAt})
	for _, t := range r.texts() {
		values = append(values, t)
	}
	for _, a := range r.amounts() {
		// A spreadsheet number is a binary double by definition (OOXML); amounts are
		// already rounded to minor units, which a double shows exactly.
		values = append(values, excelize.Cell{StyleID: style, Value: a.InexactFloat64()})
	}
	values = append(values, r.ItemCount, r.Items)
	return e.setRow(values)
}

func (e *xlsxExport) flush() error { return nil }

func (e *xlsxExport) release() { _ = e.file.Close() }

func (e *xlsxExport) close() error {
	if err := e.sheet.Flush(); err != nil {
		return fmt.Errorf("export: xlsx flush: %w", err)
	}
	if err := e.file.Write(e.w); err != nil {
		return fmt.Errorf("export: write xlsx: %w", err)
	}
	return nil
}
