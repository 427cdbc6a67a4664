package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// The activity log through the API (scope activity:read) and its CSV export.

type activityJSON struct {
	ID          string         `json:"id"`
	At          apiTime        `json:"at"`
	Actor       string         `json:"actor"`
	ActorType   string         `json:"actor_type"`
	Kind        string         `json:"kind"`
	OrderID     string         `json:"order_id,omitempty"`
	OrderNumber string         `json:"order_number,omitempty"`
	Summary     string         `json:"summary"`
	Details     map[string]any `json:"details"`
}

// parseActivityFilter reads the log's query parameters; the page and the API share it.
func parseActivityFilter(v url.Values) (domain.ActivityFilter, error) {
	f := domain.ActivityFilter{Actor: strings.TrimSpace(v.Get("actor")), Kind: strings.TrimSpace(v.Get("kind")),
		OrderID: strings.TrimSpace(v.Get("order_id")), Cursor: v.Get("cursor")}
	fe := domain.FieldErrors{}
	f.From = parseTimeParam(fe, v, "from", false)
	f.To = parseTimeParam(fe, v, "to", true)
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fe.Add("limit", "must be an integer")
		}
		f.Limit = n
		if n == 0 {
			f.Limit = -1 // 0 is not a size: refused by Validate
		}
	}
	if len(fe) > 0 {
		return f, &domain.Error{Code: domain.CodeBadRequest, Message: "some query parameters are malformed", Fields: fe}
	}
	return f, nil
}

// apiListActivity is GET /activity.
func (s *Server) apiListActivity(c echo.Context) error {
	f, err := parseActivityFilter(c.QueryParams())
	if err != nil {
		return err
	}
	page, err := s.svc.ListActivity(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Entries    []activityJSON `json:"entries"`
		NextCursor *string        `json:"next_cursor"`
	}{Entries: make([]activityJSON, len(page.Entries))}
	for i, e := range page.Entries {
		out.Entries[i] = activityJSON{ID: e.ID, At: apiTime(e.At), Actor: e.Actor, ActorType: string(e.ActorType), Kind: e.Kind,
			OrderID: e.OrderID, OrderNumber: e.OrderNumber, Summary: e.Summary, Details: e.Details}
		if out.Entries[i].Details == nil {
			out.Entries[i].Details = map[string]any{}
		}
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}

// exportActivity streams the log's entries matching the filters as CSV (the API's
// /activity/export and the page's export link).
func (s *Server) exportActivity(c echo.Context) error {
	f, err := parseActivityFilter(c.QueryParams())
	if err != nil {
		return err
	}
	w := &exportWriter{c: c, format: service.ExportCSV, filename: "activity-" + time.Now().UTC().Format("20060102-150405") + ".csv"}
	err = s.svc.ExportActivity(c.Request().Context(), f, w)
	if err != nil && w.started {
		s.abortExport(c, err)
	}
	return err
}
