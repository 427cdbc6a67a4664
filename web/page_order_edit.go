package web

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// The order's edit page: GET /orders/{number}/edit shows the customer, addresses and
// notes form and the lines form; each posts on its own. A change of lines is reviewed
// first (the service's preview prices it exactly as the edit will), then confirmed.

func (s *Server) editOrderPage(c echo.Context) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	return s.renderOrderEdit(c, http.StatusOK, newOrderEdit(o))
}

func newOrderEdit(o domain.Order) views.OrderEdit {
	contact := map[string]string{"notes": o.Notes}
	flatten(contact, "customer", o.Customer)
	flatten(contact, "shipping_address", o.ShippingAddress)
	flatten(contact, "billing_address", o.BillingAddress)
	return views.OrderEdit{Order: o, ContactEditable: domain.CheckContactEditable(o) == nil,
		LinesEditable: domain.CheckLinesEditable(o) == nil,
		Contact:       views.Form{Values: contact, Errors: views.Errors{}},
		Lines:         views.Form{Values: map[string]string{}, Errors: views.Errors{}}}
}

func (s *Server) renderOrderEdit(c echo.Context, status int, e views.OrderEdit) error {
	return render(c, status, views.OrderEditPage(s.page(c, "Edit "+e.Order.Number, "orders"), e))
}

// editOrderContact is POST /orders/{number}/edit/contact: the whole form, as a patch of
// every field (those unchanged change nothing).
func (s *Server) editOrderContact(c echo.Context) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	e := newOrderEdit(o)
	for k := range e.Contact.Values {
		e.Contact.Values[k] = c.FormValue(k)
	}
	var p domain.OrderPatch
	p.Customer, p.ShippingAddress, p.BillingAddress = &domain.Customer{}, &domain.Address{}, &domain.Address{}
	unflatten(e.Contact.Values, "customer", p.Customer)
	unflatten(e.Contact.Values, "shipping_address", p.ShippingAddress)
	unflatten(e.Contact.Values, "billing_address", p.BillingAddress)
	notes := e.Contact.Values["notes"]
	p.Notes = &notes
	o, err = s.svc.PatchOrder(c.Request().Context(), actorOf(c), c.Param("number"), p)
	if err == nil {
		s.flashSuccess(c, fmt.Sprintf("Customer, addresses and notes of %s saved.", o.Number))
		return s.seeOther(c, "/orders/"+o.Number)
	}
	fail, err := s.formErrors(c, err)
	if err != nil {
		return err
	}
	e.Contact.Errors, e.Contact.Changed = fail.Errors, fail.Changed
	if fail.Stale {
		e.Order, e.ContactEditable = fail.Order, domain.CheckContactEditable(fail.Order) == nil
	}
	return s.renderOrderEdit(c, fail.Status, e)
}

// editOrderLines is POST /orders/{number}/edit/lines: without confirmed=1 it reviews the
// change (or, with edit=1, shows the form again); with it, it makes the change.
func (s *Server) editOrderLines(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.svc.GetOrder(ctx, c.Param("number"))
	if err != nil {
		return err
	}
	e := newOrderEdit(o)
	in, rows, err := readLinesForm(c, o, e.Lines.Values)
	if err == nil {
		err = checkFormVersion(c, o) // a review of a plan made for another state is no review
	}
	if err == nil && c.FormValue("edit") != "" {
		return s.renderOrderEdit(c, http.StatusOK, e)
	}
	if err == nil && c.FormValue("confirmed") != "1" {
		var p views.EditPreview
		pv, perr := s.svc.PreviewEdit(ctx, o.Number, in)
		if err = perr; err == nil {
			p = views.EditPreview{After: pv.After, Changes: pv.Changes}
			e.Preview = &p
			return s.renderOrderEdit(c, http.StatusOK, e)
		}
	}
	if err == nil {
		if o, err = s.svc.EditOrder(ctx, actorOf(c), o.Number, in); err == nil {
			s.flashSuccess(c, "Items of "+o.Number+" changed. "+views.BalanceNote(o))
			return s.seeOther(c, "/orders/"+o.Number)
		}
	}
	inputs := []string{"reason", "remove"}
	for i := range views.EditAddRows {
		inputs = append(inputs, views.AddName(i, "sku"), views.AddName(i, "quantity"))
	}
	fail, err := s.formErrors(c, formRows(err, rows), inputs...)
	if err != nil {
		return err
	}
	e.Lines.Errors, e.LineErrors, e.Lines.Changed = fail.Errors, fail.Lines, fail.Changed
	if current, gerr := s.svc.GetOrder(ctx, o.Number); gerr == nil { // it may have changed meanwhile
		e.Order, e.LinesEditable = current, domain.CheckLinesEditable(current) == nil
	}
	return s.renderOrderEdit(c, fail.Status, e)
}

// readLinesForm reads the lines form into an edit, keeping what was typed in values.
// rows[j] is the form row of the edit's add[j] (blank rows are skipped).
func readLinesForm(c echo.Context, o domain.Order, values map[string]string) (domain.OrderEdit, []int, error) {
	in := domain.OrderEdit{Reason: c.FormValue("reason")}
	values["reason"] = in.Reason
	fe := domain.FieldErrors{}
	var rows []int
	for i := range views.EditAddRows {
		sku, qty := strings.TrimSpace(c.FormValue(views.AddName(i, "sku"))), strings.TrimSpace(c.FormValue(views.AddName(i, "quantity")))
		if sku == "" && qty == "" {
			continue
		}
		values[views.AddName(i, "sku")], values[views.AddName(i, "quantity")] = sku, qty
		n, err := strconv.Atoi(cmp.Or(qty, "1"))
		if err != nil {
			fe.Add(views.AddName(i, "quantity"), "must be a whole number")
		}
		in.Add = append(in.Add, domain.ItemRequest{SKU: sku, Quantity: n})
		rows = append(rows, i)
	}
	lines := map[string]string{}
	for _, it := range o.Items {
		raw := strings.TrimSpace(c.FormValue("remove_" + it.ID))
		if raw == "" || raw == "0" {
			continue
		}
		values["remove_"+it.ID] = raw
		n, ok := wholeNumber(raw)
		if !ok {
			lines[it.ID] = "Enter a whole number."
			fe.Add("remove_"+it.ID, "must be a whole number")
			continue
		}
		in.Remove = append(in.Remove, domain.LineQuantity{OrderItemID: it.ID, Quantity: n})
	}
	if len(fe) > 0 {
		return in, rows, &domain.Error{Code: domain.CodeValidationFailed, Message: "the request has invalid fields", Fields: fe, Lines: lines}
	}
	return in, rows, nil
}

// formRows names the service's add[j] fields by the form's rows, so that each error
// lands beside the row that caused it.
func formRows(err error, rows []int) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = domain.FieldErrors{}
	for k, v := range maps.All(de.Fields) {
		var j int
		var rest string
		if n, _ := fmt.Sscanf(k, "add[%d]%s", &j, &rest); n == 2 && j < len(rows) {
			k = views.AddName(rows[j], strings.TrimPrefix(rest, "."))
		}
		out.Fields[k] = v
	}
	return &out
}
