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
	return s.renderOrderDetail(c, http.StatusOK, nil)
}

// renderOrderDetail draws the order page; edit lets a failed form of the page (comment,
// status change, return decision) be re-drawn with its input and errors.
func (s *Server) renderOrderDetail(c echo.Context, status int, edit func(*views.OrderDetail)) error {
	ctx := c.Request().Context()
	o, err := s.svc.GetOrder(ctx, c.Param("number"))
	if err != nil {
		return err
	}
	p := s.page(c, o.Number, "orders")
	d := views.OrderDetail{Order: o, Refundable: o.Refundable(), Lines: detailLines(o), Timeline: timeline(o),
		Back: "/orders/" + o.Number, Now: time.Now()}
	d.Actions = orderActions(p, o, d.Lines)
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

// orderActions lists the header's buttons: one per next status the state machine allows,
// in its order, then refund, return and packing slip when they apply, and cancel last;
// only those the role may use. The action for the order's natural next step (see
// naturalSteps) comes first as the primary button; when the role may not take that step,
// no button is primary (a refund or a cancellation is never promoted to one).
func orderActions(p views.Page, o domain.Order, lines []views.DetailLine) []views.OrderAction {
	var out []views.OrderAction
	for _, a := range possibleActions(o, lines) {
		if p.Can(a.perm) && !slices.ContainsFunc(out, func(b views.OrderAction) bool { return b.Key == a.Key }) {
			out = append(out, a.OrderAction)
		}
	}
	steps := naturalSteps[o.Status]
	if o.Status.Ships() && o.Balance().Outstanding.IsPositive() {
		steps = append([]string{"payment"}, steps...) // an edit added to the total: it ships once paid
	}
	for _, key := range steps {
		if i := slices.IndexFunc(out, func(a views.OrderAction) bool { return a.Key == key }); i >= 0 {
			a := out[i]
			a.Style = "primary"
			return append([]views.OrderAction{a}, slices.Delete(out, i, i+1)...)
		}
	}
	return out
}

// permittedAction is a header button with the permission it needs.
type permittedAction struct {
	views.OrderAction
	perm domain.Permission
}

// possibleActions are every button the order allows, in order, whoever looks (a key may
// come twice: the first place counts).
func possibleActions(o domain.Order, lines []views.DetailLine) []permittedAction {
	left, returnable := 0, 0
	for _, l := range lines {
		left += l.Left
		returnable += l.Returnable
	}
	base := "/orders/" + o.Number
	var out []permittedAction
	add := func(perm domain.Permission, a views.OrderAction) { out = append(out, permittedAction{a, perm}) }
	transition := func(to domain.Status, label string) {
		add(domain.PermTransitionOrders, views.OrderAction{Key: "status-" + string(to), Label: label, To: to})
	}
	fulfill := func() {
		if left > 0 {
			add(domain.PermFulfill, views.OrderAction{Key: "fulfill", Label: "Fulfill items", Href: base + "/fulfill"})
		}
	}
	refund := func() {
		if o.Refundable().IsPositive() {
			add(domain.PermRefund, views.OrderAction{Key: "refund", Label: "Refund", Href: base + "/refund"})
		}
	}
	createReturn := func() {
		if returnable > 0 {
			add(domain.PermCreateReturns, views.OrderAction{Key: "return", Label: "Create return", Href: base + "/return"})
		}
	}
	payment := views.OrderAction{Key: "payment", Label: "Record payment", Href: base + "/payment"}
	cancel := false
	for _, next := range o.Status.Next() {
		switch next {
		case domain.StatusPending:
			transition(next, "Mark as pending")
		case domain.StatusPaid:
			if o.Balance().Outstanding.IsPositive() {
				add(domain.PermRecordPayments, payment)
			} else {
				transition(next, "Mark as paid")
			}
		case domain.StatusProcessing:
			fulfill()
			transition(next, "Mark as processing")
		case domain.StatusShipped:
			fulfill()
		case domain.StatusDelivered:
			transition(next, "Mark as delivered")
		case domain.StatusReturned:
			createReturn()
		case domain.StatusRefunded:
			refund()
		case domain.StatusCancelled:
			cancel = true
		}
	}
	// Payments are taken while created or pending, not only on the way to paid, and for
	// what an edit added to a paid order.
	if o.Balance().Outstanding.IsPositive() {
		add(domain.PermRecordPayments, payment)
	}
	if o.Status == domain.StatusDelivered || o.Status == domain.StatusReturned {
		createReturn()
	}
	refund()
	if o.Status.Ships() || o.Status == domain.StatusShipped {
		add(domain.PermFulfill, views.OrderAction{Key: "packing-slip", Label: "Print packing slip", Href: base + "/packing-slip"})
	}
	if domain.CheckLinesEditable(o) == nil {
		add(domain.PermEditOrders, views.OrderAction{Key: "edit", Label: "Edit", Href: base + "/edit"})
	}
	if cancel {
		add(domain.PermCancelOrders, views.OrderAction{Key: "cancel", Label: "Cancel order", Href: base + "/cancel", Style: "danger"})
	}
	return out
}

// naturalSteps are, per status, the keys of the actions that take an order on along the
// state machine's forward path, preferred first: created is confirmed (or paid), pending is
// paid, paid and processing orders are fulfilled (or a paid one at least marked
// processing), shipped ones delivered, delivered ones may come back, returned ones are
// refunded.
var naturalSteps = map[domain.Status][]string{
	domain.StatusCreated:    {"status-" + string(domain.StatusPending), "payment"},
	domain.StatusPending:    {"payment", "status-" + string(domain.StatusPaid)},
	domain.StatusPaid:       {"fulfill", "status-" + string(domain.StatusProcessing)},
	domain.StatusProcessing: {"fulfill"},
	domain.StatusShipped:    {"status-" + string(domain.StatusDelivered)},
	domain.StatusDelivered:  {"return"},
	domain.StatusReturned:   {"refund"},
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
	return s.renderOrderDetail(c, fail.Status, func(d *views.OrderDetail) {
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
	return s.renderOrderDetail(c, fail.Status, func(d *views.OrderDetail) {
		d.Transition = views.Form{ID: string(to), Values: map[string]string{"note": note}, Errors: fail.Errors}
		// A status the page offers no button for shows its error above the actions.
		if !slices.ContainsFunc(d.Actions, func(a views.OrderAction) bool { return a.To == to }) {
			d.Transition.ID = ""
		}
	})
}

// seeOther ends a successful form: a 303 to target, or for htmx a full navigation there
// (the flash shows on the new page).
func (s *Server) seeOther(c echo.Context, target string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, target)
}
