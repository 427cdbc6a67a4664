package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// activityPage is /activity (admins): the log with its filters, a page at a time,
// newest first; the order filter takes an order number, as staff know orders.
func (s *Server) activityPage(c echo.Context) error {
	ctx := c.Request().Context()
	q := canonicalQuery(c.QueryParams())
	v := views.ActivityView{Actor: q.Get("actor"), Kind: q.Get("kind"), Order: q.Get("order"), From: q.Get("from"), To: q.Get("to"),
		Errors: views.Errors{}}
	for k := range withoutKeys(q, "cursor", "n") {
		v.Filtered = v.Filtered || k != ""
	}
	v.Actors = []string{"system", "customer", "cli"}
	if staff, err := s.svc.ListStaffUsers(ctx); err == nil {
		for _, u := range staff {
			v.Actors = append(v.Actors, u.Email)
		}
	}
	api := withoutKeys(q, "order", "n")
	if v.Order != "" {
		o, err := s.svc.GetOrder(ctx, strings.TrimSpace(v.Order))
		if domain.ErrorCode(err) == domain.CodeNotFound {
			v.Errors["order"] = "is no order number we know"
		} else if err != nil {
			return err
		} else {
			api.Set("order_id", o.ID)
		}
	}
	v.ExportHref = "/activity/export" + queryString(withoutKeys(api, "cursor"))
	status := http.StatusOK
	if len(v.Errors) == 0 {
		f, err := parseActivityFilter(api)
		if err == nil {
			err = s.fillActivity(c, &v, f, q)
		}
		if err != nil {
			fail, ferr := s.formErrors(c, err)
			if ferr != nil {
				return ferr
			}
			v.Errors, v.Rows = fail.Errors, nil
			if m, ok := v.Errors["order_id"]; ok {
				v.Errors["order"] = m
				delete(v.Errors, "order_id")
			}
		}
	}
	if len(v.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, views.ActivityPage(s.page(c, "Activity", "activity"), v))
}

// fillActivity reads the page f asks for into v, with its links.
func (s *Server) fillActivity(c echo.Context, v *views.ActivityView, f domain.ActivityFilter, q url.Values) error {
	page, err := s.svc.ListActivity(c.Request().Context(), f)
	if err != nil {
		return err
	}
	for _, e := range page.Entries {
		v.Rows = append(v.Rows, views.ActivityRow{At: e.At, Actor: e.Actor, ActorType: string(e.ActorType), Kind: e.Kind,
			OrderNumber: e.OrderNumber, Summary: e.Summary})
	}
	from, _ := strconv.Atoi(q.Get("n"))
	if q.Get("cursor") == "" || from < 1 {
		from = 1
	}
	v.From1, v.To1 = from, from+len(v.Rows)-1
	view := withoutKeys(q, "cursor", "n")
	if q.Get("cursor") != "" {
		v.FirstHref = "/activity" + queryString(view)
	}
	if page.NextCursor != "" {
		next := cloneValues(view)
		next.Set("cursor", page.NextCursor)
		next.Set("n", strconv.Itoa(v.To1+1))
		v.NextHref = "/activity" + queryString(next)
	}
	return nil
}
