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
	return s.renderReturns(c, c.Request().URL.RequestURI(), http.StatusOK, "", views.Form{})
}

// renderReturns draws the queue at the local URL page (its status and cursor come from
// its query), with failed beside the return failedID when a decision of it was refused.
func (s *Server) renderReturns(c echo.Context, page string, status int, failedID string, failed views.Form) error {
	u, err := url.Parse(page)
	if err != nil {
		return err
	}
	st := u.Query().Get("status")
	if st != domain.ReturnApproved {
		st = domain.ReturnRequested
	}
	list, err := s.svc.ListReturns(c.Request().Context(), service.ReturnFilter{Status: st, Cursor: u.Query().Get("cursor")})
	if err != nil {
		return err
	}
	v := views.ReturnsView{Status: st, Back: page}
	for _, r := range list.Returns {
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
	if list.NextCursor != "" {
		v.NextHref = "/returns?" + url.Values{"status": {st}, "cursor": {list.NextCursor}}.Encode()
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
	if u, err := url.Parse(back); err == nil && strings.HasPrefix(u.Path, "/orders/") {
		return s.renderOrderDetail(c, strings.TrimPrefix(u.Path, "/orders/"), fail.Status, func(d *views.OrderDetail) { d.ReturnAction = form })
	}
	return s.renderReturns(c, back, fail.Status, form.ID, form)
}
