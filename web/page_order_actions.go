package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// The order's action forms: record payment, refund and cancel (GET shows the form, POST
// does it). Refund and cancel are destructive: their first POST checks the input by the
// same rules as the service and asks to confirm in plain words; the second, with
// confirmed=1, does it.

// paymentForm is GET /orders/{number}/payment: the amount starts at what is outstanding.
func (s *Server) paymentForm(c echo.Context) error {
	return s.showOrderForm(c, "payment", func(f *views.OrderForm) {
		f.Form.Values["amount"] = domain.FormatAmount(f.Max(), f.Order.Currency)
	})
}

// refundForm is GET /orders/{number}/refund: the amount starts at what an edit left owed
// back, else at all that is refundable.
func (s *Server) refundForm(c echo.Context) error {
	return s.showOrderForm(c, "refund", func(f *views.OrderForm) {
		amount := f.Max()
		if due := f.Order.Balance().RefundDue; due.IsPositive() {
			amount = due
		}
		f.Form.Values["amount"] = domain.FormatAmount(amount, f.Order.Currency)
	})
}

// cancelForm is GET /orders/{number}/cancel: what was paid is refunded unless unticked.
func (s *Server) cancelForm(c echo.Context) error {
	return s.showOrderForm(c, "cancel", func(f *views.OrderForm) {
		if f.Max().IsPositive() {
			f.Form.Values["refund"] = "on"
		}
	})
}

func (s *Server) showOrderForm(c echo.Context, kind string, prefill func(*views.OrderForm)) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	// The customer is emailed unless unticked (when the email kind is on in Settings).
	f := views.OrderForm{Kind: kind, Order: o, Form: views.Form{Values: map[string]string{"notify": "on"}, Errors: views.Errors{}}}
	prefill(&f)
	return s.renderOrderForm(c, http.StatusOK, f)
}

func (s *Server) renderOrderForm(c echo.Context, status int, f views.OrderForm) error {
	return render(c, status, views.OrderFormPage(s.page(c, f.Title()+" "+f.Order.Number, "orders"), f))
}

// recordPayment is POST /orders/{number}/payment (amount, reference).
func (s *Server) recordPayment(c echo.Context) error {
	v := orderFormValues(c)
	amount, err := formAmount(v)
	if err == nil {
		var o domain.Order
		_, o, err = s.svc.RecordPayment(notifyIf(c, v), actorOf(c), c.Param("number"),
			service.NewPayment{Amount: amount, Reference: v.V("reference")})
		if err == nil {
			s.flashSuccess(c, fmt.Sprintf("Payment of %s recorded for %s; it is now %s.", views.FormatMoney(amount, o.Currency),
				o.Number, views.Humanize(string(o.PaymentStatus))))
			return s.seeOther(c, "/orders/"+o.Number)
		}
	}
	return s.orderFormRefused(c, "payment", v, err)
}

// refund is POST /orders/{number}/refund (amount, reason; confirmed, edit).
func (s *Server) refund(c echo.Context) error {
	v := orderFormValues(c)
	amount, err := formAmount(v)
	if err != nil {
		return s.orderFormRefused(c, "refund", v, err)
	}
	if c.FormValue("confirmed") != "1" {
		return s.reviewOrderForm(c, "refund", v, amount, func(o domain.Order) error {
			if err := domain.CheckRefund(amount, o.Refundable(), pageMoney(o)); err != nil {
				return err
			}
			return domain.CheckNote("reason", v.V("reason"))
		})
	}
	_, o, err := s.svc.Refund(notifyIf(c, v), actorOf(c), c.Param("number"), amount, v.V("reason"))
	if err != nil {
		return s.orderFormRefused(c, "refund", v, err)
	}
	s.flashSuccess(c, fmt.Sprintf("Refunded %s of %s.", views.FormatMoney(amount, o.Currency), o.Number))
	return s.seeOther(c, "/orders/"+o.Number)
}

// cancel is POST /orders/{number}/cancel (reason, refund; confirmed, edit).
func (s *Server) cancel(c echo.Context) error {
	v := orderFormValues(c)
	if c.FormValue("confirmed") != "1" {
		return s.reviewOrderForm(c, "cancel", v, decimal.Zero, func(domain.Order) error {
			return domain.CheckNote("reason", v.V("reason"))
		})
	}
	o, refunded, err := s.svc.Cancel(notifyIf(c, v), actorOf(c), c.Param("number"), v.V("reason"), v.Checked("refund"))
	if err != nil {
		return s.orderFormRefused(c, "cancel", v, err)
	}
	msg := fmt.Sprintf("Order %s cancelled; its stock is available again.", o.Number)
	if refunded.IsPositive() {
		msg = fmt.Sprintf("Order %s cancelled and %s refunded; its stock is available again.", o.Number, views.FormatMoney(refunded, o.Currency))
	}
	s.flashSuccess(c, msg)
	return s.seeOther(c, "/orders/"+o.Number)
}

// orderFormValues reads what an order action form sends.
func orderFormValues(c echo.Context) views.Form {
	f := views.Form{Values: map[string]string{}, Errors: views.Errors{}}
	for _, k := range []string{"amount", "reference", "reason", "refund", "notify"} {
		if v := strings.TrimSpace(c.FormValue(k)); v != "" {
			f.Values[k] = v
		}
	}
	return f
}

// notifyIf is the request's context, quiet (no customer email) unless the form's
// "Email the customer" box is ticked.
func notifyIf(c echo.Context, v views.Form) context.Context {
	notify := v.Checked("notify")
	return notifyCtx(c, &notify)
}

// formAmount reads the amount of a payment or refund form.
func formAmount(v views.Form) (decimal.Decimal, error) {
	fe := domain.FieldErrors{}
	amount, _ := domain.FormDecimal(fe, "amount", v.V("amount"), domain.MoneyDigits, true)
	return amount, fe.Err()
}

// pageMoney writes amounts of o's currency as pages do: "$45.00".
func pageMoney(o domain.Order) func(decimal.Decimal) string {
	return func(d decimal.Decimal) string { return views.FormatMoney(d, o.Currency) }
}

// reviewOrderForm is the first POST of a destructive form: check, by the service's rules,
// then ask to confirm what will happen ("Change" shows the form again).
func (s *Server) reviewOrderForm(c echo.Context, kind string, v views.Form, amount decimal.Decimal, check func(domain.Order) error) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	if err := checkFormVersion(c, o); err != nil {
		return s.orderFormRefused(c, kind, v, err)
	}
	if err := check(o); err != nil {
		return s.orderFormRefused(c, kind, v, err)
	}
	f := views.OrderForm{Kind: kind, Order: o, Form: v, Amount: amount}
	if c.FormValue("edit") == "" {
		f.Confirm = confirmMessage(f, amount)
	}
	return s.renderOrderForm(c, http.StatusOK, f)
}

// orderFormRefused draws the form again with what was sent and why it was refused.
func (s *Server) orderFormRefused(c echo.Context, kind string, v views.Form, err error) error {
	fail, err := s.formErrors(c, err)
	if err != nil {
		return err
	}
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	v.Errors, v.Changed = fail.Errors, fail.Changed
	return s.renderOrderForm(c, fail.Status, views.OrderForm{Kind: kind, Order: o, Form: v})
}

// confirmMessage says what a refund or cancellation will do, before it is done.
func confirmMessage(f views.OrderForm, amount decimal.Decimal) string {
	o := f.Order
	if f.Kind == "cancel" {
		msg := "Cancel order " + o.Number + "?"
		if f.Order.Unshipped() > 0 {
			msg += " Stock of " + views.Plural(f.Order.Unshipped(), "item", "items") + " goes back to available."
		}
		if f.Max().IsPositive() {
			if f.Form.Checked("refund") {
				msg += " " + views.FormatMoney(f.Max(), o.Currency) + " is refunded to " + paidWith(o) + "."
			} else {
				msg += " Nothing is refunded: the " + views.FormatMoney(f.Max(), o.Currency) + " paid stays paid."
			}
		}
		return msg + " This cannot be undone."
	}
	msg := "Refund " + views.FormatMoney(amount, o.Currency) + " to " + paidWith(o) + "?"
	if left := f.Max().Sub(amount); left.IsPositive() {
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
	return s.renderReturnForm(c, http.StatusOK, newReturnForm(o))
}

func newReturnForm(o domain.Order) views.ReturnRequestForm {
	returnable := map[string]int{}
	for _, l := range detailLines(o) {
		returnable[l.Item.ID] = l.Returnable
	}
	most := func(it domain.OrderItem) int { return returnable[it.ID] }
	return views.ReturnRequestForm{Order: o, Errors: views.Errors{},
		Lines: quantityLines(o, most, func(int) int { return 0 })}
}

func (s *Server) renderReturnForm(c echo.Context, status int, f views.ReturnRequestForm) error {
	return render(c, status, views.ReturnRequestPage(s.page(c, "Create return "+f.Order.Number, "orders"), f))
}

// requestReturn is POST /orders/{number}/return: qty_{line id} per line, reason.
func (s *Server) requestReturn(c echo.Context) error {
	qty, err := readQuantities(c)
	if err != nil {
		return err
	}
	in := service.NewReturn{Reason: strings.TrimSpace(c.FormValue("reason")), Items: qty.Items}
	if qty.Bad || len(in.Items) == 0 {
		return s.returnRefused(c, in, qty, domain.Errorf(domain.CodeValidationFailed, "enter how many of at least one item are coming back"))
	}
	ret, err := s.svc.RequestReturn(c.Request().Context(), actorOf(c), c.Param("number"), in)
	if err != nil {
		return s.returnRefused(c, in, qty, err)
	}
	s.flashSuccess(c, fmt.Sprintf("Return of %s requested for %s; approve it when you agree.", views.Plural(units(ret.Items), "item", "items"), ret.OrderNumber))
	return s.seeOther(c, "/orders/"+ret.OrderNumber)
}

// returnRefused draws the return form again with what was sent and why it was refused.
func (s *Server) returnRefused(c echo.Context, in service.NewReturn, qty quantities, err error) error {
	fail, err := s.formErrors(c, err, "reason")
	if err != nil {
		return err
	}
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("number"))
	if err != nil {
		return err
	}
	f := newReturnForm(o)
	f.Reason, f.Errors = in.Reason, fail.Errors
	placeQuantities(f.Lines, qty, fail)
	if qty.Bad {
		delete(f.Errors, "")
	}
	return s.renderReturnForm(c, fail.Status, f)
}
