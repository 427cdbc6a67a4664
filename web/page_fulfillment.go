package web

import (
	"fmt"
	"net/http"
	"strconv"
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
// ship, oldest first.
func (s *Server) fulfillmentQueue(c echo.Context) error {
	page, err := s.svc.ListOrders(c.Request().Context(), service.FulfillmentQueueFilter(fulfillmentQueueSize), service.WithLines)
	if err != nil {
		return err
	}
	q := views.FulfillmentQueue{Total: int(page.Total), Now: time.Now()}
	for _, o := range page.Orders {
		r := views.QueueRow{Number: o.Number, Customer: o.Customer.Name, Country: o.ShippingAddress.Country,
			City: o.ShippingAddress.City, Status: string(o.Status), PlacedAt: o.CreatedAt,
			Partial: o.FulfillmentStatus == domain.FulfillmentPartiallyFulfilled}
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

func newFulfillForm(o domain.Order) views.FulfillForm {
	f := views.FulfillForm{Order: o, Notify: true, Errors: views.Errors{}}
	for _, it := range o.Items {
		left := it.Quantity - it.FulfilledQuantity
		f.Lines = append(f.Lines, views.FulfillLine{ItemID: it.ID, SKU: it.SKU, Name: it.Name, Ordered: it.Quantity,
			Shipped: it.FulfilledQuantity, Left: left, Quantity: strconv.Itoa(left)})
	}
	return f
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
	if o.Status != domain.StatusPaid && o.Status != domain.StatusProcessing {
		f.Errors[""] = fmt.Sprintf("Order %s is %s: only paid or processing orders can be shipped.", o.Number, strings.ToLower(views.Humanize(string(o.Status))))
	}
	return s.renderFulfill(c, http.StatusOK, f)
}

// fulfill is POST /orders/{number}/fulfill: qty_{item id} per line, carrier,
// tracking_number, notify_customer.
func (s *Server) fulfill(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.svc.GetOrder(ctx, c.Param("number"))
	if err != nil {
		return err
	}
	f := newFulfillForm(o)
	f.Carrier = strings.TrimSpace(c.FormValue("carrier"))
	f.Tracking = strings.TrimSpace(c.FormValue("tracking_number"))
	f.Notify = c.FormValue("notify_customer") == "on"
	req := domain.FulfillmentRequest{Items: []domain.LineQuantity{}, Carrier: f.Carrier, TrackingNumber: f.Tracking, NotifyCustomer: f.Notify}
	lineOf := map[int]int{}
	bad := false
	for i := range f.Lines {
		l := &f.Lines[i]
		if l.Left == 0 {
			continue
		}
		raw := strings.TrimSpace(c.FormValue("qty_" + l.ItemID))
		if raw == "" {
			raw = "0"
		}
		l.Quantity = raw
		n, perr := strconv.Atoi(raw)
		switch {
		case perr != nil || n < 0:
			l.Error, bad = "Enter a whole number from 0 to "+strconv.Itoa(l.Left)+".", true
		case n > 0:
			lineOf[len(req.Items)] = i
			req.Items = append(req.Items, domain.LineQuantity{OrderItemID: l.ItemID, Quantity: n})
		}
	}
	if bad {
		return s.renderFulfill(c, http.StatusUnprocessableEntity, f)
	}
	if len(req.Items) == 0 {
		f.Errors[""] = "Nothing to ship: enter the quantity of at least one line."
		return s.renderFulfill(c, http.StatusUnprocessableEntity, f)
	}
	ful, err := s.svc.Fulfill(ctx, actorOf(c), o.Number, req)
	if err == nil {
		units := 0
		for _, it := range ful.Items {
			units += it.Quantity
		}
		msg := fmt.Sprintf("%s: %s shipped", o.Number, views.Plural(units, "item", "items"))
		if ful.Carrier != "" {
			msg += " via " + ful.Carrier
		}
		after, _ := s.svc.GetOrder(ctx, o.Number)
		if after.FulfillmentStatus == domain.FulfillmentPartiallyFulfilled {
			s.flashSuccess(c, msg+"; the rest is still to ship.")
			return s.seeOther(c, "/orders/"+o.Number)
		}
		s.flashSuccess(c, msg+".")
		return s.seeOther(c, "/fulfillment")
	}
	status, errs, fatal := s.formErrors(c, err)
	if fatal != nil {
		return fatal
	}
	for field, msg := range errs {
		if i, rest, ok := itemField(field); ok {
			if li, ok := lineOf[i]; ok {
				f.Lines[li].Error = sentence(msg)
				_ = rest
				continue
			}
		}
		switch field {
		case "carrier", "tracking_number":
			f.Errors[field] = msg
		case "":
			f.Errors[""] = msg
		default:
			// out_of_stock names SKUs; show them on their lines.
			placed := false
			for li := range f.Lines {
				if f.Lines[li].SKU == field {
					f.Lines[li].Error, placed = sentence(msg), true
				}
			}
			if !placed && f.Errors[""] == "" {
				f.Errors[""] = sentence(msg)
			}
		}
	}
	if de := s.toDomainError(c, err); f.Errors[""] == "" && len(de.Fields) > 0 && de.Code != domain.CodeValidationFailed {
		f.Errors[""] = sentence(de.Message)
	}
	return s.renderFulfill(c, status, f)
}
