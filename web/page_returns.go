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

// approveReturn is POST /returns/{id}/approve (note, back): the return's share of what
// was paid is refunded.
func (s *Server) approveReturn(c echo.Context) error {
	ret, err := s.svc.ApproveReturn(c.Request().Context(), actorOf(c), c.Param("id"), strings.TrimSpace(c.FormValue("note")))
	return s.returnDecided(c, err, func() string {
		return fmt.Sprintf("Return of %s approved for %s; %s refunded.", returnUnits(ret), ret.OrderNumber, views.FormatMoney(ret.RefundAmount, ret.Currency))
	})
}

// rejectReturn is POST /returns/{id}/reject (note, back).
func (s *Server) rejectReturn(c echo.Context) error {
	ret, err := s.svc.RejectReturn(c.Request().Context(), actorOf(c), c.Param("id"), strings.TrimSpace(c.FormValue("note")))
	return s.returnDecided(c, err, func() string {
		return fmt.Sprintf("Return of %s for %s rejected.", returnUnits(ret), ret.OrderNumber)
	})
}

// receiveReturn is POST /returns/{id}/receive (restock, back).
func (s *Server) receiveReturn(c echo.Context) error {
	restock := c.FormValue("restock") == "on"
	ret, err := s.svc.ReceiveReturn(c.Request().Context(), actorOf(c), c.Param("id"), restock)
	return s.returnDecided(c, err, func() string {
		if restock {
			return fmt.Sprintf("Return of %s for %s received and put back in stock.", returnUnits(ret), ret.OrderNumber)
		}
		return fmt.Sprintf("Return of %s for %s received.", returnUnits(ret), ret.OrderNumber)
	})
}

func returnUnits(r domain.OrderReturn) string {
	return views.Plural(units(r.Items), "item", "items")
}

// returnDecided ends a return decision: back to the page the form came from (the queue or
// the order, a local path) with success(), or that page again with the error beside the
// return.
func (s *Server) returnDecided(c echo.Context, err error, success func() string) error {
	back := localPath(c.FormValue("back"))
	if err == nil {
		s.flashSuccess(c, success())
		return s.seeOther(c, back)
	}
	fail, err := s.formErrors(c, err, "note")
	if err != nil {
		return err
	}
	form := views.Form{ID: c.Param("id"), Values: map[string]string{"note": strings.TrimSpace(c.FormValue("note")),
		"restock": c.FormValue("restock")}, Errors: fail.Errors}
	u, _ := url.Parse(back)
	if u != nil && strings.HasPrefix(u.Path, "/orders/") {
		c.SetParamNames("number")
		c.SetParamValues(strings.TrimPrefix(u.Path, "/orders/"))
		return s.renderOrderDetail(c, fail.Status, func(d *views.OrderDetail) { d.ReturnAction = form })
	}
	if u != nil {
		c.Request().URL.RawQuery = u.RawQuery
	}
	return s.renderReturns(c, fail.Status, form.ID, form)
}
