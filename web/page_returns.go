package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// returnsPage is GET /returns: requested returns (or ?status=approved, those awaiting
// their parcel), oldest first.
func (s *Server) returnsPage(c echo.Context) error {
	return s.renderReturns(c, http.StatusOK, "", views.Form{})
}

func (s *Server) renderReturns(c echo.Context, status int, failedID string, failed views.Form) error {
	st := c.QueryParam("status")
	if st != domain.ReturnApproved {
		st = domain.ReturnRequested
	}
	page, err := s.svc.ListReturns(c.Request().Context(), service.ReturnFilter{Status: st, Cursor: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	v := views.ReturnsView{Status: st, Back: c.Request().URL.RequestURI()}
	for _, r := range page.Returns {
		row := views.ReturnRow{Return: r}
		if r.ID == failedID {
			row.Form, failedID = failed, ""
		}
		v.Rows = append(v.Rows, row)
	}
	if failedID != "" {
		v.Error = failed.Errors[""]
		if v.Error == "" {
			v.Error = "Return " + failedID + ": " + failed.Errors["note"]
		}
	}
	if page.NextCursor != "" {
		v.NextHref = "/returns?" + url.Values{"status": {st}, "cursor": {page.NextCursor}}.Encode()
	}
	return render(c, status, views.ReturnsPage(s.page(c, "Returns", "returns"), v))
}

// decideReturn is POST /returns/{id}/approve, /reject and /receive; back (a local path)
// is the page the form came from, the queue or the order.
func (s *Server) decideReturn(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := c.Param("id")
		note := strings.TrimSpace(c.FormValue("note"))
		restock := c.FormValue("restock") == "on"
		var ret domain.OrderReturn
		var err error
		switch action {
		case "approve":
			ret, err = s.svc.ApproveReturn(ctx, actorOf(c), id, note)
		case "reject":
			ret, err = s.svc.RejectReturn(ctx, actorOf(c), id, note)
		case "receive":
			ret, err = s.svc.ReceiveReturn(ctx, actorOf(c), id, restock)
		}
		back := localPath(c.FormValue("back"))
		if err == nil {
			units := 0
			for _, it := range ret.Items {
				units += it.Quantity
			}
			var msg string
			switch action {
			case "approve":
				msg = fmt.Sprintf("Return of %s approved for %s; %s refunded.", views.Plural(units, "item", "items"), ret.OrderNumber, views.FormatMoney(ret.RefundAmount, ret.Currency))
			case "reject":
				msg = fmt.Sprintf("Return of %s for %s rejected.", views.Plural(units, "item", "items"), ret.OrderNumber)
			case "receive":
				msg = fmt.Sprintf("Return of %s for %s received.", views.Plural(units, "item", "items"), ret.OrderNumber)
				if restock {
					msg = fmt.Sprintf("Return of %s for %s received and put back in stock.", views.Plural(units, "item", "items"), ret.OrderNumber)
				}
			}
			s.flashSuccess(c, msg)
			return s.seeOther(c, back)
		}
		status, errs, fatal := s.formErrors(c, err)
		if fatal != nil {
			return fatal
		}
		if len(errs) > 0 && errs[""] == "" && errs["note"] == "" {
			for _, m := range errs {
				errs[""] = sentence(m)
				break
			}
		}
		form := views.Form{ID: id, Values: map[string]string{"note": note}, Errors: errs}
		if restock {
			form.Values["restock"] = "on"
		}
		// Re-draw the page the form came from with the error beside the return.
		u, _ := url.Parse(back)
		if u != nil && strings.HasPrefix(u.Path, "/orders/") {
			c.SetParamNames("number")
			c.SetParamValues(strings.TrimPrefix(u.Path, "/orders/"))
			return s.renderOrderDetail(c, status, func(d *views.OrderDetail) { d.ReturnAction = form })
		}
		if u != nil {
			c.Request().URL.RawQuery = u.RawQuery
		}
		return s.renderReturns(c, status, id, form)
	}
}
