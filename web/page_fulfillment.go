package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// fulfillmentQueueSize is how many orders the warehouse queue shows, oldest first.
const fulfillmentQueueSize = 100

// fulfillmentQueue is GET /fulfillment: paid and processing orders with items left to
// ship, the soonest shipping deadline first (oldest first in a shop without deadlines).
func (s *Server) fulfillmentQueue(c echo.Context) error {
	page, err := s.svc.ListOrders(c.Request().Context(), service.FulfillmentQueueFilter(fulfillmentQueueSize), service.WithLines)
	if err != nil {
		return err
	}
	q := views.FulfillmentQueue{Total: int(page.Total), Now: time.Now()}
	for _, o := range page.Orders {
		r := views.QueueRow{Number: o.Number, Customer: o.Customer.Name, Country: o.ShippingAddress.Country,
			City: o.ShippingAddress.City, Status: string(o.Status), PlacedAt: o.CreatedAt,
			Partial: o.FulfillmentStatus == domain.FulfillmentPartiallyFulfilled, ShipBy: o.ShipBy}
		q.ByDeadline = q.ByDeadline || o.ShipBy != nil
		for _, it := range o.Items {
			if left := it.Quantity - it.FulfilledQuantity; left > 0 {
				r.Lines++
				r.Units += left
			}
		}
		q.Rows = append(q.Rows, r)
	}
	return render(c, http.StatusOK, views.FulfillmentQueuePage(s.page(c, "Fulfillment", "fulfillment"), q))
}

// newFulfillForm is the fulfillment form of o; each quantity starts at what is left.
func newFulfillForm(o domain.Order) views.FulfillForm {
	left := func(it domain.OrderItem) int { return it.Quantity - it.FulfilledQuantity }
	return views.FulfillForm{Order: o, Notify: true, Errors: views.Errors{},
		Lines: quantityLines(o, left, func(most int) int { return most })}
}

func (s *Server) renderFulfill(c echo.Context, status int, f views.FulfillForm) error {
	return render(c, status, views.FulfillPage(s.page(c, "Fulfill "+f.Order.Number, "fulfillment"), f))
}

// fulfillForm is GET /orders/{number}/fulfill: quantities default to what is left.
func (s *Server) fulfillForm(c echo.Context) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	f := newFulfillForm(o)
	if !o.Status.Ships() {
		f.Errors[""] = fmt.Sprintf("Order %s is %s: only paid or processing orders can be shipped.", o.Number, strings.ToLower(views.Humanize(string(o.Status))))
	}
	return s.renderFulfill(c, http.StatusOK, f)
}

// fulfill is POST /orders/{number}/fulfill: qty_{line id} per line, carrier,
// tracking_number, notify_customer. A partial shipment returns to the order, a complete
// one to the queue.
func (s *Server) fulfill(c echo.Context) error {
	qty, err := readQuantities(c)
	if err != nil {
		return err
	}
	req := domain.FulfillmentRequest{Items: qty.Items, Carrier: strings.TrimSpace(c.FormValue("carrier")),
		TrackingNumber: strings.TrimSpace(c.FormValue("tracking_number")), NotifyCustomer: c.FormValue("notify_customer") == "on"}
	if qty.Bad || len(req.Items) == 0 {
		return s.fulfillRefused(c, req, qty, domain.Errorf(domain.CodeValidationFailed, "nothing to ship: enter the quantity of at least one line"))
	}
	ful, o, err := s.svc.Fulfill(c.Request().Context(), actorOf(c), c.Param("number"), req)
	if err != nil {
		return s.fulfillRefused(c, req, qty, err)
	}
	msg := fmt.Sprintf("%s: %s shipped", o.Number, views.Plural(units(ful.Items), "item", "items"))
	if ful.Carrier != "" {
		msg += " via " + ful.Carrier
	}
	if o.FulfillmentStatus == domain.FulfillmentPartiallyFulfilled {
		s.flashSuccess(c, msg+"; the rest is still to ship.")
		return s.seeOther(c, "/orders/"+o.Number)
	}
	s.flashSuccess(c, msg+".")
	return s.seeOther(c, "/fulfillment")
}

// fulfillRefused draws the fulfillment form again with what was sent and why it was refused.
func (s *Server) fulfillRefused(c echo.Context, req domain.FulfillmentRequest, qty quantities, err error) error {
	fail, err := s.formErrors(c, err, "carrier", "tracking_number")
	if err != nil {
		return err
	}
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	f := newFulfillForm(o)
	f.Carrier, f.Tracking, f.Notify, f.Errors, f.Changed = req.Carrier, req.TrackingNumber, req.NotifyCustomer, fail.Errors, fail.Changed
	placeQuantities(f.Lines, qty, fail)
	if qty.Bad {
		delete(f.Errors, "")
	}
	return s.renderFulfill(c, fail.Status, f)
}
