package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Customers' own returns, on the tracking page and its API: the same key (order number
// and email), the same not-found and the same rate limit as tracking.

type publicReturnJSON struct {
	ID        string                 `json:"id"`
	Status    string                 `json:"status"`
	Reason    string                 `json:"reason"`
	Items     []publicReturnItemJSON `json:"items"`
	CreatedAt apiTime                `json:"created_at"`
}

type publicReturnItemJSON struct {
	ItemID   string `json:"item_id"`
	Quantity int    `json:"quantity"`
	Reason   string `json:"reason"`
}

// apiPublicReturn is POST /api/v1/track/{order_number}/returns?email=: a customer asks for
// a return of their delivered order.
func (s *Server) apiPublicReturn(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	var req struct {
		Items  []publicReturnItemJSON `json:"items"`
		Reason string                 `json:"reason"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	in := service.NewReturn{Reason: req.Reason, Items: make([]domain.LineQuantity, len(req.Items))}
	for i, it := range req.Items {
		in.Items[i] = domain.LineQuantity{OrderItemID: it.ItemID, Quantity: it.Quantity, Reason: it.Reason}
	}
	r, err := s.svc.RequestCustomerReturn(c.Request().Context(), c.Param("order_number"), c.QueryParam("email"), in)
	if err != nil {
		return publicItemFields(err)
	}
	out := publicReturnJSON{ID: r.ID, Status: r.Status, Reason: r.Reason, CreatedAt: apiTime(r.CreatedAt), Items: []publicReturnItemJSON{}}
	for _, it := range r.Items {
		out.Items = append(out.Items, publicReturnItemJSON{ItemID: it.OrderItemID, Quantity: it.Quantity, Reason: it.Reason})
	}
	return c.JSON(http.StatusCreated, out)
}

// publicItemFields names a refused line's id field as the public request does (item_id).
func publicItemFields(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = make(domain.FieldErrors, len(de.Fields))
	for k, v := range de.Fields {
		if path, ok := strings.CutSuffix(k, ".order_item_id"); ok {
			k = path + ".item_id"
		}
		out.Fields[k] = v
	}
	return &out
}

// renderTrackedOrder draws the tracking page showing order v, with the return form when
// the order takes one (f: as sent and refused; nil: a new one).
func (s *Server) renderTrackedOrder(c echo.Context, status int, p views.TrackPage, v domain.TrackingView, f *views.TrackReturnForm) error {
	p.Order = &v
	open, returnable := v.ReturnsOpen(time.Now()), 0
	for _, it := range v.Items {
		returnable += it.Returnable
	}
	p.ReturnsClosed = v.ReturnsUntil != nil && !open
	switch {
	case open && returnable > 0:
		if f == nil {
			f = newTrackReturnForm(v)
		}
		p.Return = f
	case f != nil: // refused, and no form to show it on: say why above the order
		p.Invalid = f.Errors[""]
	}
	return s.renderTrack(c, status, p)
}

// newTrackReturnForm is the empty return form of order v: a line per item, taking up to
// what the customer may still return.
func newTrackReturnForm(v domain.TrackingView) *views.TrackReturnForm {
	f := &views.TrackReturnForm{Reasons: map[string]string{}, Errors: views.Errors{}}
	for _, it := range v.Items {
		f.Lines = append(f.Lines, views.QuantityLine{ItemID: it.ID, Name: it.Name, Ordered: it.Quantity, Most: it.Returnable, Quantity: "0"})
	}
	return f
}

// pageTrackReturn is POST /track/returns: the tracking page's return form (qty_{line id}
// and reason_{line id} per line, reason), then back to the order (PRG) with a
// confirmation, or the form again with what was refused beside its lines.
func (s *Server) pageTrackReturn(c echo.Context) error {
	p := views.TrackPage{
		OrderNumber: strings.TrimSpace(c.FormValue("order_number")),
		Email:       strings.TrimSpace(c.FormValue("email")),
	}
	qty, err := readQuantities(c)
	if err != nil {
		return err
	}
	in := service.NewReturn{Reason: strings.TrimSpace(c.FormValue("reason"))}
	for _, it := range qty.Items {
		it.Reason = strings.TrimSpace(c.FormValue("reason_" + it.OrderItemID))
		in.Items = append(in.Items, it)
	}
	ctx := c.Request().Context()
	if qty.Bad || len(in.Items) == 0 {
		err = domain.Errorf(domain.CodeValidationFailed, "enter how many of at least one item you are sending back")
	} else {
		_, err = s.svc.RequestCustomerReturn(ctx, p.OrderNumber, p.Email, in)
	}
	if err == nil {
		q := url.Values{"order_number": {p.OrderNumber}, "email": {p.Email}, "return": {"requested"}}
		// #top: the browser would otherwise keep the form's #return-title, which puts a
		// refused form's errors in view, and scroll past the confirmation.
		return c.Redirect(http.StatusSeeOther, "/track?"+q.Encode()+"#top")
	}
	fail, fatal := s.formErrors(c, err, "reason")
	v, lookup := s.svc.TrackOrder(ctx, p.OrderNumber, p.Email)
	if errors.Is(fatal, service.ErrTrackingNotFound) || errors.Is(lookup, service.ErrTrackingNotFound) {
		p.NotFound = true
		return s.renderTrack(c, http.StatusNotFound, p)
	}
	if fatal != nil {
		return fatal
	}
	if lookup != nil {
		return lookup
	}
	f := newTrackReturnForm(v)
	f.Reason, f.Errors = in.Reason, fail.Errors
	for _, it := range v.Items {
		f.Reasons[it.ID] = strings.TrimSpace(c.FormValue("reason_" + it.ID))
	}
	placeQuantities(f.Lines, qty, fail)
	if qty.Bad {
		delete(f.Errors, "")
	}
	return s.renderTrackedOrder(c, fail.Status, p, v, f)
}

// sameOrigin refuses a form posted from another site. The tracking page has no session
// to bind a CSRF token to, so the browser's word is what tells the customer's own post
// from a forged one: Sec-Fetch-Site, or else the Origin header; a client sending neither
// is no browser, and may post what it could send to the API anyway.
func sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		site, origin := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin")
		ok := site == "same-origin" || site == "none"
		if site == "" {
			u, err := url.Parse(origin)
			ok = origin == "" || (err == nil && u.Host == r.Host)
		}
		if !ok {
			return domain.Errorf(domain.CodeForbidden, "this form did not come from this site; open the tracking page and try again")
		}
		return next(c)
	}
}
