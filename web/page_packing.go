package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// maxPackingSlips is the most slips one page prints: a day's picking, not the archive.
const maxPackingSlips = 200

// packingSlip prints the slip of one order.
func (s *Server) packingSlip(c echo.Context) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	if err := domain.CheckNotHeld(o); err != nil {
		return err
	}
	return s.renderSlips(c, []domain.Order{o}, "/orders/"+o.Number)
}

// packingSlips prints the slips of a selection: ids (UUIDs or order numbers, repeated or
// comma-separated) from the bulk form's POST or a GET link.
func (s *Server) packingSlips(c echo.Context) error {
	ids := uniqueStrings(formIDs(c))
	switch {
	case len(ids) == 0:
		return s.bulkRefused(c, domain.FieldErrors{"order_ids": "select the orders to print packing slips for"}.Err())
	case len(ids) > maxPackingSlips:
		return s.bulkRefused(c, domain.FieldErrors{"order_ids": "select at most 200 orders to print at once"}.Err())
	}
	orders := make([]domain.Order, 0, len(ids))
	for _, id := range ids {
		o, err := s.svc.GetOrder(c.Request().Context(), id)
		if err != nil {
			if domain.ErrorCode(err) == domain.CodeNotFound {
				continue
			}
			return err
		}
		if o.Hold != nil { // not to be packed: it must not ship
			continue
		}
		orders = append(orders, o)
	}
	if len(orders) == 0 {
		return domain.Errorf(domain.CodeNotFound, "none of the selected orders exists or is free to ship (not on hold)")
	}
	return s.renderSlips(c, orders, backToList(c))
}

func (s *Server) renderSlips(c echo.Context, orders []domain.Order, back string) error {
	v := views.PackingSlipsView{ShopName: s.cfg.ShopName, Back: back}
	for _, o := range orders {
		v.Slips = append(v.Slips, slipOf(o))
	}
	return render(c, http.StatusOK, views.PackingSlipsPage(v))
}

// slipOf is what a packing slip shows of an order: no prices, nothing internal.
func slipOf(o domain.Order) views.PackingSlip {
	a := o.ShippingAddress
	var lines []string
	add := func(parts ...string) {
		var keep []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			lines = append(lines, strings.Join(keep, " "))
		}
	}
	add(a.FirstName, a.LastName)
	add(a.Address1)
	add(a.Address2)
	cityLine := a.City
	if a.Region != "" {
		cityLine += ", " + a.Region
	}
	add(cityLine, a.PostalCode)
	add(a.Country)
	sl := views.PackingSlip{Number: o.Number, CreatedAt: o.CreatedAt, ShipTo: lines, Phone: a.Phone,
		CustomerEmail: o.Customer.Email, Notes: o.Notes}
	if sl.Phone == "" {
		sl.Phone = o.Customer.Phone
	}
	for _, it := range o.Items {
		sl.Items = append(sl.Items, views.SlipItem{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, Fulfilled: it.FulfilledQuantity})
	}
	return sl
}
