package web

import (
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Back-office exports. A selection, or a view of at most exportDirectLimit orders, is
// streamed as the response at once. A larger view becomes a background export
// (service.StartExport): a job, in whichever `oms serve` process runs jobs, writes the
// file into the database, so that any process shows its progress page and serves the
// download, and a restart only makes the job run again.
var exportDirectLimit = 2000

const (
	exportSelectionMax = service.MaxBulkOrders
	// exportWaitingAfter is how long an export may stay queued before its page says that
	// it waits for a process that runs jobs (none runs them: OMS_JOBS=off everywhere).
	exportWaitingAfter = 5 * time.Second
)

// exportOrders exports the selected orders (ids) or the whole view the list showed
// (view, its query string) as CSV or XLSX.
func (s *Server) exportOrders(c echo.Context) error {
	format, err := service.ParseExportFormat(c.FormValue("format"))
	if err == nil && format == service.ExportJSON {
		err = domain.FieldErrors{"format": "must be csv or xlsx"}.Err()
	}
	if err == nil {
		err = s.export(c, format)
	}
	if err != nil {
		return s.bulkRefused(c, err)
	}
	return nil
}

// export sends the selected orders, or a small view, as a file now; a large view becomes
// a background export whose page shows its progress.
func (s *Server) export(c echo.Context, format service.ExportFormat) error {
	if ids := formIDs(c); len(ids) > 0 {
		if len(ids) > exportSelectionMax {
			return domain.FieldErrors{"order_ids": "select at most 500 orders, or export the whole view"}.Err()
		}
		return s.streamExport(c, domain.OrderFilter{IDs: ids}, format)
	}
	view, err := url.ParseQuery(c.FormValue("view"))
	if err != nil {
		return err
	}
	f, err := parseOrderFilter(withoutKeys(view, pageParams...))
	if err != nil {
		return err
	}
	f.Limit = 1
	page, err := s.svc.ListOrders(c.Request().Context(), f, service.RowsOnly)
	if err != nil {
		return err
	}
	if page.TotalExact && page.Total <= int64(exportDirectLimit) {
		return s.streamExport(c, f, format)
	}
	x, err := s.svc.StartExport(c.Request().Context(), actorOf(c), f, nil, format)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orders/exports/"+x.ID)
}

// exportProgress shows an export's progress bar (htmx polls this page and swaps the bar).
func (s *Server) exportProgress(c echo.Context) error {
	u, _ := staffOf(c)
	x, err := s.svc.GetExport(c.Request().Context(), u.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ExportProgressPage(s.page(c, "Export orders", "orders"), exportProgressOf(x, time.Now())))
}

func exportProgressOf(x service.Export, now time.Time) views.ExportProgress {
	p := views.ExportProgress{ID: x.ID, Filename: x.Filename, Done: x.Done, Total: x.Total, Exact: x.TotalExact,
		Finished: x.Status == service.ExportDone, Err: x.Error, Size: x.Size,
		Waiting: x.Status == service.ExportQueued && now.Sub(x.CreatedAt) > exportWaitingAfter,
		Back:    "/orders" + queryString(orderFilterQuery(x.Filter))}
	if p.Total < p.Done {
		p.Total = p.Done
	}
	return p
}

// exportDownload sends a finished export's file.
func (s *Server) exportDownload(c echo.Context) error {
	u, _ := staffOf(c)
	ctx := c.Request().Context()
	file, err := s.svc.ExportFile(ctx, u.ID, c.Param("id"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": file.Name}))
	h.Set(echo.HeaderContentType, file.ContentType)
	h.Set(echo.HeaderContentLength, strconv.FormatInt(file.Size, 10))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	// Once the header is out, a failure can only cut the download short (the client
	// sees fewer bytes than Content-Length); it is logged.
	if _, err := file.WriteTo(ctx, c.Response()); err != nil && ctx.Err() == nil {
		s.log.Error("export download cut short", slog.String("request_id", requestID(c)), slog.String("export", c.Param("id")), slog.Any("err", err))
	}
	return nil
}

// orderFilterQuery is the list view of f, as parseOrderFilter reads it (the export
// page's way back to the list it was started from).
func orderFilterQuery(f domain.OrderFilter) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	join := func(k string, vs []string) { set(k, strings.Join(vs, ",")) }
	set("q", f.Q)
	set("email", f.Email)
	var statuses, payments, fulfillments []string
	for _, s := range f.Statuses {
		statuses = append(statuses, string(s))
	}
	for _, s := range f.PaymentStatuses {
		payments = append(payments, string(s))
	}
	for _, s := range f.FulfillmentStatuses {
		fulfillments = append(fulfillments, string(s))
	}
	join("status", statuses)
	join("payment_status", payments)
	join("fulfillment_status", fulfillments)
	join("ids", f.IDs)
	// A plain date is a whole day: created_to=2026-11-25 is before the 26th.
	if t := f.CreatedFrom; t != nil {
		set("created_from", dateOrTime(*t, 0))
	}
	if t := f.CreatedTo; t != nil {
		set("created_to", dateOrTime(*t, -1))
	}
	if f.TotalMin.Valid {
		set("total_min", f.TotalMin.Decimal.String())
	}
	if f.TotalMax.Valid {
		set("total_max", f.TotalMax.Decimal.String())
	}
	if f.Sort != domain.SortCreatedDesc {
		set("sort", f.Sort)
	}
	return q
}

// dateOrTime writes t as a plain date (shifted by days) when it is a UTC midnight, and
// as an RFC 3339 time otherwise.
func dateOrTime(t time.Time, days int) string {
	if t.Equal(t.UTC().Truncate(24 * time.Hour)) {
		return t.UTC().AddDate(0, 0, days).Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}
