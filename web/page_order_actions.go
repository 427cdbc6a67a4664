package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// The order's action forms: record payment, refund, cancel (GET shows the form, POST does
// it) and create return. Refund and cancel are destructive: their first POST checks the
// input and asks to confirm in plain words; the second, with confirmed=1, does it.

var orderFormTitles = map[string]string{"payment": "Record payment", "refund": "Refund", "cancel": "Cancel"}

func (s *Server) orderForm(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
		if err != nil {
			return err
		}
		f := newOrderForm(kind, o)
		switch kind {
		case "payment":
			f.Form.Values["amount"] = domain.FormatAmount(f.Max, o.Currency)
		case "refund":
			f.Form.Values["amount"] = domain.FormatAmount(f.Max, o.Currency)
		case "cancel":
			if f.Max.IsPositive() {
				f.Form.Values["refund"] = "on"
			}
		}
		return s.renderOrderForm(c, http.StatusOK, f)
	}
}

func newOrderForm(kind string, o domain.Order) views.OrderForm {
	f := views.OrderForm{Kind: kind, Order: o, Form: views.Form{Values: map[string]string{}, Errors: views.Errors{}}}
	switch kind {
	case "payment":
		f.Max = o.Outstanding()
	default:
		f.Max = refundable(o)
	}
	if kind == "cancel" {
		for _, it := range o.Items {
			f.Stock += it.Quantity - it.FulfilledQuantity
		}
	}
	return f
}

func (s *Server) renderOrderForm(c echo.Context, status int, f views.OrderForm) error {
	return render(c, status, views.OrderFormPage(s.page(c, orderFormTitles[f.Kind]+" "+f.Order.Number, "orders"), f))
}

// orderFormError re-draws f with err's messages beside its fields (422, 409...).
func (s *Server) orderFormError(c echo.Context, f views.OrderForm, err error) error {
	status, errs, fatal := s.formErrors(c, err)
	if fatal != nil {
		return fatal
	}
	f.Form.Errors, f.Confirm = errs, ""
	if status < http.StatusBadRequest || isHTMX(c) {
		// htmx swaps only 2xx and 422 in (views/page.go): a conflict is a form error too.
		status = http.StatusUnprocessableEntity
	}
	return s.renderOrderForm(c, status, f)
}

// submitOrderForm is POST /orders/{number}/payment, /refund and /cancel.
func (s *Server) submitOrderForm(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		o, err := s.svc.GetOrder(ctx, c.Param("number"))
		if err != nil {
			return err
		}
		f := newOrderForm(kind, o)
		for _, k := range []string{"amount", "reference", "reason", "refund"} {
			if v := strings.TrimSpace(c.FormValue(k)); v != "" {
				f.Form.Values[k] = v
			}
		}
		fe := domain.FieldErrors{}
		var amount decimal.Decimal
		if kind != "cancel" {
			amount = formDecimal(fe, "amount", f.Form.V("amount"))
			if len(fe) == 0 && !amount.IsPositive() {
				fe.Add("amount", "must be more than 0")
			}
		}
		if kind == "refund" && len(fe) == 0 && amount.GreaterThan(f.Max) {
			fe.Add("amount", "must be at most "+views.FormatMoney(f.Max, o.Currency)+", what is paid and not yet refunded")
		}
		domain.ValidateNote(fe, "reason", f.Form.V("reason"))
		if err := fe.Err(); err != nil {
			return s.orderFormError(c, f, err)
		}
		if kind == "refund" || kind == "cancel" {
			if c.FormValue("edit") != "" {
				return s.renderOrderForm(c, http.StatusOK, f)
			}
			if c.FormValue("confirmed") != "1" {
				f.Confirm = confirmMessage(f, amount)
				return s.renderOrderForm(c, http.StatusOK, f)
			}
		}

		actor := actorOf(c)
		var msg string
		switch kind {
		case "payment":
			_, o, err = s.svc.RecordPayment(ctx, actor, o.Number, service.NewPayment{Amount: amount, Reference: f.Form.V("reference")})
			msg = fmt.Sprintf("Payment of %s recorded for %s; it is now %s.", views.FormatMoney(amount, o.Currency), o.Number, views.Humanize(string(o.PaymentStatus)))
		case "refund":
			_, o, err = s.svc.Refund(ctx, actor, o.Number, amount, f.Form.V("reason"))
			msg = fmt.Sprintf("Refunded %s of %s.", views.FormatMoney(amount, o.Currency), o.Number)
		case "cancel":
			refund := f.Form.Checked("refund")
			o, err = s.svc.Cancel(ctx, actor, o.Number, f.Form.V("reason"), refund)
			msg = fmt.Sprintf("Order %s cancelled; its stock is available again.", o.Number)
			if refund && f.Max.IsPositive() {
				msg = fmt.Sprintf("Order %s cancelled and %s refunded; its stock is available again.", o.Number, views.FormatMoney(f.Max, o.Currency))
			}
		}
		if err != nil {
			return s.orderFormError(c, f, err)
		}
		s.flashSuccess(c, msg)
		return s.seeOther(c, "/orders/"+o.Number)
	}
}

// confirmMessage says what a refund or cancellation will do, before it is done.
func confirmMessage(f views.OrderForm, amount decimal.Decimal) string {
	o := f.Order
	if f.Kind == "cancel" {
		msg := "Cancel order " + o.Number + "?"
		if f.Stock > 0 {
			msg += " Stock of " + views.Plural(f.Stock, "item", "items") + " goes back to available."
		}
		if f.Max.IsPositive() {
			if f.Form.Checked("refund") {
				msg += " " + views.FormatMoney(f.Max, o.Currency) + " is refunded to " + paidWith(o) + "."
			} else {
				msg += " Nothing is refunded: the " + views.FormatMoney(f.Max, o.Currency) + " paid stays paid."
			}
		}
		return msg + " This cannot be undone."
	}
	msg := "Refund " + views.FormatMoney(amount, o.Currency) + " to " + paidWith(o) + "?"
	if left := f.Max.Sub(amount); left.IsPositive() {
		msg += " " + views.FormatMoney(left, o.Currency) + " stays refundable."
	} else if o.Status == domain.StatusReturned {
		msg += " Everything paid is then given back and the order becomes refunded."
	} else {
		msg += " Everything paid is then given back."
	}
	return msg + " No stock changes; create a return to take items back."
}

// paidWith names how the order was paid, for "Refund $40.00 to …".
func paidWith(o domain.Order) string {
	var done []domain.Payment
	for _, p := range o.Payments {
		if p.Status == "completed" {
			done = append(done, p)
		}
	}
	if len(done) != 1 {
		return "the customer's payments, newest first"
	}
	p := done[0]
	switch p.Gateway {
	case "stripe":
		return "the card (Stripe payment " + p.Reference + ")"
	case "manual":
		if p.Reference != "" {
			return "the manual payment " + p.Reference
		}
		return "the manual payment of " + views.FormatMoney(p.Amount, o.Currency)
	}
	return "the " + p.Gateway + " payment"
}

// returnForm is GET /orders/{number}/return.
func (s *Server) returnForm(c echo.Context) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ReturnRequestPage(s.page(c, "Create return "+o.Number, "orders"), newReturnForm(o)))
}

func newReturnForm(o domain.Order) views.ReturnRequestForm {
	f := views.ReturnRequestForm{Order: o, Errors: views.Errors{}}
	for _, l := range detailLines(o) {
		f.Lines = append(f.Lines, views.ReturnRequestLine{ItemID: l.Item.ID, SKU: l.Item.SKU, Name: l.Item.Name,
			Returnable: l.Returnable, Quantity: "0"})
	}
	return f
}

// requestReturn is POST /orders/{number}/return: qty_{item id} per line, reason.
func (s *Server) requestReturn(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.svc.GetOrder(ctx, c.Param("number"))
	if err != nil {
		return err
	}
	f := newReturnForm(o)
	f.Reason = strings.TrimSpace(c.FormValue("reason"))
	in := service.NewReturn{Reason: f.Reason}
	lineOf := map[int]int{} // index in in.Items -> index in f.Lines
	for i := range f.Lines {
		l := &f.Lines[i]
		raw := strings.TrimSpace(c.FormValue("qty_" + l.ItemID))
		if raw == "" {
			raw = "0"
		}
		l.Quantity = raw
		n, perr := strconv.Atoi(raw)
		switch {
		case perr != nil || n < 0:
			l.Error = "Enter a whole number from 0 to " + strconv.Itoa(l.Returnable) + "."
		case n > 0:
			lineOf[len(in.Items)] = i
			in.Items = append(in.Items, domain.LineQuantity{OrderItemID: l.ItemID, Quantity: n})
		}
	}
	bad := false
	for _, l := range f.Lines {
		bad = bad || l.Error != ""
	}
	if bad {
		return render(c, http.StatusUnprocessableEntity, views.ReturnRequestPage(s.page(c, "Create return "+o.Number, "orders"), f))
	}
	if len(in.Items) == 0 {
		f.Errors[""] = "Enter how many of at least one item are coming back."
		return render(c, http.StatusUnprocessableEntity, views.ReturnRequestPage(s.page(c, "Create return "+o.Number, "orders"), f))
	}
	ret, err := s.svc.RequestReturn(ctx, actorOf(c), o.Number, in)
	if err == nil {
		units := 0
		for _, it := range ret.Items {
			units += it.Quantity
		}
		s.flashSuccess(c, fmt.Sprintf("Return of %s requested for %s; approve it when you agree.", views.Plural(units, "item", "items"), o.Number))
		return s.seeOther(c, "/orders/"+o.Number)
	}
	status, errs, fatal := s.formErrors(c, err)
	if fatal != nil {
		return fatal
	}
	for field, msg := range errs {
		if i, rest, ok := itemField(field); ok {
			if li, ok := lineOf[i]; ok && rest == "quantity" {
				f.Lines[li].Error = sentence(msg)
				continue
			}
		}
		if field == "reason" {
			f.Errors["reason"] = msg
			continue
		}
		if f.Errors[""] == "" {
			f.Errors[""] = sentence(msg)
		}
	}
	if de := s.toDomainError(c, err); f.Errors[""] == "" && len(de.Fields) > 0 && de.Code != domain.CodeValidationFailed {
		f.Errors[""] = sentence(de.Message)
	}
	return render(c, status, views.ReturnRequestPage(s.page(c, "Create return "+o.Number, "orders"), f))
}

// itemField splits "items[3].quantity" into 3 and "quantity".
func itemField(field string) (int, string, bool) {
	rest, ok := strings.CutPrefix(field, "items[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "].")
	if !ok {
		return 0, "", false
	}
	i, err := strconv.Atoi(num)
	return i, rest, err == nil
}
