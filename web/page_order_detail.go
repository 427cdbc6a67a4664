package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// orderDetailPage is GET /orders/{number}.
func (s *Server) orderDetailPage(c echo.Context) error {
	return s.renderOrderDetail(c, c.Param("number"), http.StatusOK, nil)
}

// renderOrderDetail draws the page of the order number; edit lets a failed form of the
// page (comment, status change, return decision) be re-drawn with its input and errors.
func (s *Server) renderOrderDetail(c echo.Context, number string, status int, edit func(*views.OrderDetail)) error {
	ctx := c.Request().Context()
	o, err := s.svc.GetOrder(ctx, number)
	if err != nil {
		return err
	}
	p := s.page(c, o.Number, "orders")
	d := views.OrderDetail{Order: o, Refundable: o.Refundable(), Lines: detailLines(o), Timeline: timeline(o),
		Back: "/orders/" + o.Number, Now: time.Now()}
	d.Actions = orderActions(p, o)
	if o.Customer.Email != "" {
		page, err := s.svc.ListOrders(ctx, domain.OrderFilter{Email: o.Customer.Email, Limit: 1}, service.RowsOnly)
		if err != nil {
			return err
		}
		d.CustomerOrders = int(page.Total)
	}
	if edit != nil {
		edit(&d)
	}
	return render(c, status, views.OrderDetailPage(p, d))
}

// detailLines adds to each line what is left to ship and what may still be returned.
func detailLines(o domain.Order) []views.DetailLine {
	returnable := o.Returnable()
	out := make([]views.DetailLine, len(o.Items))
	for i, it := range o.Items {
		out[i] = views.DetailLine{Item: it, Left: it.Quantity - it.FulfilledQuantity, Returnable: returnable[it.ID]}
	}
	return out
}

// orderActions turns what may be done next with the order (domain.Actions, for the
// page's user) into the header's buttons, in that order.
func orderActions(p views.Page, o domain.Order) []views.OrderAction {
	var out []views.OrderAction
	for _, a := range domain.Actions(o, p) {
		b := actionButtons[a.Key]
		b.Key = string(a.Key)
		if a.To != "" {
			b = views.OrderAction{Key: b.Key, Label: "Mark as " + strings.ToLower(views.Humanize(string(a.To))), To: a.To}
		} else {
			b.Href = "/orders/" + o.Number + b.Href
		}
		if a.Primary {
			b.Style = "primary"
		}
		out = append(out, b)
	}
	return out
}

// actionButtons are the label, link (below the order's page) and style of each action
// but the transitions, which are buttons "Mark as <status>".
var actionButtons = map[domain.ActionKey]views.OrderAction{
	domain.ActionPayment:     {Label: "Record payment", Href: "/payment"},
	domain.ActionFulfill:     {Label: "Fulfill items", Href: "/fulfill"},
	domain.ActionRefund:      {Label: "Refund", Href: "/refund"},
	domain.ActionReturn:      {Label: "Create return", Href: "/return"},
	domain.ActionPackingSlip: {Label: "Print packing slip", Href: "/packing-slip"},
	domain.ActionEdit:        {Label: "Edit", Href: "/edit"},
	domain.ActionCancel:      {Label: "Cancel order", Href: "/cancel", Style: "danger"},
}

// timeline turns the order's history (status changes, payments, refunds, shipments,
// returns and staff comments, each recorded with who and when) into the page's timeline,
// newest first.
func timeline(o domain.Order) []views.TimelineEntry {
	out := make([]views.TimelineEntry, 0, len(o.History))
	for _, h := range o.History {
		e := views.TimelineEntry{Kind: string(h.Kind), Note: h.Note, Actor: h.Actor, At: h.At}
		switch h.Kind {
		case domain.HistoryStatus:
			e.Title = "Marked as " + strings.ToLower(views.Humanize(h.Status))
			if h.Status == string(domain.StatusCreated) {
				e.Title = "Order placed"
			}
			e.Status, e.Badge = h.Status, "order"
		case domain.HistoryPayment:
			e.Title, e.Status, e.Badge = "Payment", h.Status, "payment"
			if h.Status == "failed" {
				e.Title = "Payment failed"
			}
		case domain.HistoryRefund:
			e.Title, e.Status, e.Badge = "Refund", h.Status, "payment"
		case domain.HistoryFulfillment:
			e.Title, e.Status, e.Badge = "Shipment", h.Status, "fulfillment"
		case domain.HistoryReturn:
			e.Title, e.Status, e.Badge = "Return "+h.Status, h.Status, "return"
		case domain.HistoryNotification:
			e.Title, e.Status, e.Badge = "Customer email", h.Status, "return"
		case domain.HistoryEdit:
			e.Title = "Order edited"
		case domain.HistoryComment:
			e.Title = h.Actor + " commented"
		case domain.HistoryTags:
			e.Title = "Tags changed"
		case domain.HistoryDeadline:
			e.Title = "Late to ship"
		case domain.HistoryHold:
			e.Title, e.Badge = map[string]string{"on_hold": "Put on hold", "released": "Released from hold"}[h.Status], "return"
		default:
			e.Title = views.Humanize(string(h.Kind))
		}
		if e.Actor == "" {
			e.Actor = "system"
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	return out
}

// addComment is POST /orders/{number}/comments.
func (s *Server) addComment(c echo.Context) error {
	text := c.FormValue("comment")
	_, err := s.svc.AddComment(c.Request().Context(), actorOf(c), c.Param("number"), text)
	if err == nil {
		s.flashSuccess(c, "Comment added to "+c.Param("number")+".")
		return s.seeOther(c, "/orders/"+c.Param("number")+"#timeline")
	}
	fail, err := s.formErrors(c, err, "comment")
	if err != nil {
		return err
	}
	if fail.Errors["comment"] == "" {
		fail.Errors["comment"] = fail.Errors[""]
	}
	return s.renderOrderDetail(c, c.Param("number"), fail.Status, func(d *views.OrderDetail) {
		d.Comment = views.Form{Values: map[string]string{"comment": text}, Errors: fail.Errors}
	})
}

// transitionOrder is POST /orders/{number}/status (to, note).
func (s *Server) transitionOrder(c echo.Context) error {
	to := domain.Status(c.FormValue("to"))
	note := strings.TrimSpace(c.FormValue("note"))
	o, err := s.svc.Transition(c.Request().Context(), actorOf(c), c.Param("number"), to, note)
	if err == nil {
		s.flashSuccess(c, fmt.Sprintf("Order %s marked as %s.", o.Number, strings.ToLower(views.Humanize(string(o.Status)))))
		return s.seeOther(c, "/orders/"+o.Number)
	}
	fail, err := s.formErrors(c, err, "note")
	if err != nil {
		return err
	}
	return s.renderOrderDetail(c, c.Param("number"), fail.Status, func(d *views.OrderDetail) {
		d.Transition = views.Form{ID: string(to), Values: map[string]string{"note": note}, Errors: fail.Errors}
		// A status the page offers no button for shows its error above the actions.
		if !slices.ContainsFunc(d.Actions, func(a views.OrderAction) bool { return a.To == to }) {
			d.Transition.ID = ""
		}
	})
}
