package web

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// apiExportOrders streams the orders matching the list filters (or ids=) as a CSV, JSON
// or XLSX file.
func (s *Server) apiExportOrders(c echo.Context) error {
	format, err := service.ParseExportFormat(c.QueryParam("format"))
	if err != nil {
		return err
	}
	f, err := parseOrderFilter(c.QueryParams())
	if err != nil {
		return err
	}
	return s.streamExport(c, f, format)
}

// streamExport writes the export as the response. Headers are sent with the first byte,
// so an invalid filter still gets a proper error answer; a failure after that aborts
// the connection, so that the client sees a broken download rather than a short file.
func (s *Server) streamExport(c echo.Context, f domain.OrderFilter, format service.ExportFormat) error {
	w := &exportWriter{c: c, format: format, filename: format.Filename(time.Now())}
	err := s.svc.ExportOrders(c.Request().Context(), f, format, w, nil)
	if err != nil && w.started {
		s.abortExport(c, err)
	}
	return err
}

// abortExport ends a download that failed after it started: the connection is cut, so
// that the client sees a broken download rather than a short file.
func (s *Server) abortExport(c echo.Context, err error) {
	if !errors.Is(err, context.Canceled) { // not when the client went away
		s.log.Error("export failed after it started", slog.String("request_id", requestID(c)), slog.Any("err", err))
	}
	panic(http.ErrAbortHandler)
}

// exportWriter sends the download headers on the first write.
type exportWriter struct {
	c        echo.Context
	format   service.ExportFormat
	filename string
	started  bool
}

func (w *exportWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		h := w.c.Response().Header()
		h.Set(echo.HeaderContentType, w.format.ContentType())
		h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": w.filename}))
		h.Set("Cache-Control", "no-store")
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(p)
}

// Flush sends what is buffered so far; the export calls it after each batch.
func (w *exportWriter) Flush() {
	if w.started {
		_ = http.NewResponseController(w.c.Response()).Flush()
	}
}
