package web

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// The staff order form (/orders/new): an order taken on the phone, created by
// service.CreateOrder like the API's (source "staff", the staff user in the history).
// Everything that changes the form without creating the order (search, add or remove a
// line, find a previous customer, recalculate) posts to /orders/new/preview, which draws
// the form again; htmx swaps in the part that changed, and without JavaScript the buttons
// submit the whole form there. /orders/new/totals answers the totals alone.

// searchResults is how many products the search shows.
const searchResults = 8

// newOrderInputs are the form's inputs besides its lines.
var newOrderInputs = func() []string {
	named := map[string]string{}
	flatten(named, "customer", domain.Customer{})
	flatten(named, "shipping_address", domain.Address{})
	flatten(named, "billing_address", domain.Address{})
	return append([]string{"coupon_code", "notes", "manual_discount", "manual_discount_reason", "billing_same"},
		slices.Sorted(maps.Keys(named))...)
}()

// newOrderPage is GET /orders/new: an empty form.
func (s *Server) newOrderPage(c echo.Context) error {
	f := s.newOrderForm(c)
	f.Values["billing_same"] = "on"
	return s.renderNewOrder(c, http.StatusOK, f)
}

// previewNewOrder is POST /orders/new/preview: the form again, after the button pressed
// (add, remove, lookup, search) and priced.
func (s *Server) previewNewOrder(c echo.Context) error {
	f, in, err := s.readNewOrder(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if c.FormValue("lookup") != "" {
		prev, found, err := s.svc.FindPreviousCustomer(ctx, f.V("customer.email"))
		switch {
		case err != nil:
			fail, err := s.formErrors(c, err)
			if err != nil {
				return err
			}
			f.Errors["customer.email"] = fail.Errors["customer.email"]
		case !found:
			f.Errors["customer.email"] = "no previous order with this email: type the customer's details"
		default:
			fillCustomer(&f, prev.Customer, prev.ShippingAddress, prev.BillingAddress)
			f.Found = "Filled in from " + prev.Customer.Email + "'s last order."
			in.ShippingAddress.Country = prev.ShippingAddress.Country
		}
	}
	if f.Search != "" {
		if f.Results, err = s.searchProducts(c, f.Search); err != nil {
			return err
		}
	}
	s.price(c, &f, in)
	return s.renderNewOrder(c, http.StatusOK, f)
}

// newOrderTotals is POST /orders/new/totals: the totals card and line totals alone.
func (s *Server) newOrderTotals(c echo.Context) error {
	f, in, err := s.readNewOrder(c)
	if err != nil {
		return err
	}
	s.price(c, &f, in)
	return render(c, http.StatusOK, views.NewOrderTotalsAnswer(f))
}

// productSearch is GET /orders/new/products?q=: the search's results alone.
func (s *Server) productSearch(c echo.Context) error {
	r, err := s.searchProducts(c, strings.TrimSpace(c.QueryParam("q")))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ProductSearchResults(r))
}

// createNewOrder is POST /orders/new: the order is created, or the form comes back with
// what was typed and why it was refused beside the inputs and lines.
func (s *Server) createNewOrder(c echo.Context) error {
	f, in, err := s.readNewOrder(c)
	if err != nil {
		return err
	}
	if len(f.Errors) == 0 {
		o, _, err := s.svc.CreateOrder(c.Request().Context(), actorOf(c), in, nil)
		if err == nil {
			return s.orderCreated(c, o)
		}
		fail, err := s.formErrors(c, err)
		if err != nil {
			return err
		}
		placeNewOrderErrors(&f, fail)
		f.Errors[""] = cmp.Or(f.Errors[""], "Check the fields marked below.")
		s.price(c, &f, in)
		return s.renderNewOrder(c, fail.Status, f)
	}
	f.Errors[""] = "Check the fields marked below."
	s.price(c, &f, in)
	return s.renderNewOrder(c, http.StatusUnprocessableEntity, f)
}

// orderCreated offers the next step: recording the customer's payment.
func (s *Server) orderCreated(c echo.Context, o domain.Order) error {
	msg := fmt.Sprintf("Order %s created for %s: %s to pay.", o.Number, o.Customer.Email, views.FormatMoney(o.Total, o.Currency))
	if u, ok := staffOf(c); ok && u.Role.Can(domain.PermRecordPayments) {
		s.flashSuccess(c, msg+" Record the payment now, or go back to the order to do it later.")
		return s.seeOther(c, "/orders/"+o.Number+"/payment")
	}
	s.flashSuccess(c, msg)
	return s.seeOther(c, "/orders/"+o.Number)
}

func (s *Server) renderNewOrder(c echo.Context, status int, f views.NewOrderForm) error {
	return render(c, status, views.NewOrderPage(s.page(c, "New order", "orders"), f))
}

func (s *Server) newOrderForm(c echo.Context) views.NewOrderForm {
	u, _ := staffOf(c)
	return views.NewOrderForm{Form: views.Form{Values: map[string]string{}, Errors: views.Errors{}},
		CanDiscount: u.Role.Can(domain.PermDiscountOrders)}
}

// readNewOrder reads the form into what it shows and the order it asks for, after the
// button pressed (add a SKU, remove a line). What cannot be read is in f.Errors; a manual
// discount from a user who may not give one is refused (403).
func (s *Server) readNewOrder(c echo.Context) (views.NewOrderForm, domain.NewOrder, error) {
	f := s.newOrderForm(c)
	params, err := c.FormParams()
	if err != nil {
		return f, domain.NewOrder{}, err
	}
	for _, k := range newOrderInputs {
		if v := strings.TrimSpace(params.Get(k)); v != "" {
			f.Values[k] = v
		}
	}
	f.Search = strings.TrimSpace(params.Get("q"))
	f.Lines = readLines(params)
	if f.V("manual_discount") != "" && !f.CanDiscount {
		return f, domain.NewOrder{}, domain.Errorf(domain.CodeForbidden, "only an admin may give a manual discount")
	}

	fe := domain.FieldErrors{}
	in := domain.NewOrder{Source: "staff", CouponCode: f.V("coupon_code"), Notes: f.V("notes"),
		ManualDiscountReason: f.V("manual_discount_reason")}
	unflatten(f.Values, "customer", &in.Customer)
	unflatten(f.Values, "shipping_address", &in.ShippingAddress)
	if !f.BillingSame() {
		in.BillingAddress = &domain.Address{}
		unflatten(f.Values, "billing_address", in.BillingAddress)
	}
	in.ManualDiscount, _ = domain.FormDecimal(fe, "manual_discount", f.V("manual_discount"), domain.MoneyDigits, false)
	for i, l := range f.Lines {
		n, err := strconv.Atoi(l.Quantity)
		if err != nil {
			fe.Add(fmt.Sprintf("items[%d].quantity", i), "must be a whole number")
		}
		in.Items = append(in.Items, domain.ItemRequest{SKU: l.SKU, Quantity: n})
	}
	for k, m := range fe {
		f.Errors[k] = m
	}
	placeLineErrors(&f)
	return f, in, nil
}

// readLines reads the lines (items[i].sku, items[i].quantity, from 0 on) and applies the
// button pressed: add=SKU adds one unit of it, remove=i drops line i.
func readLines(params url.Values) []views.NewOrderLine {
	var lines []views.NewOrderLine
	for i := 0; i < domain.MaxOrderLines; i++ {
		sku := strings.TrimSpace(params.Get(fmt.Sprintf("items[%d].sku", i)))
		if sku == "" {
			break
		}
		if params.Get("remove") == strconv.Itoa(i) {
			continue
		}
		lines = append(lines, views.NewOrderLine{SKU: sku, Name: sku,
			Quantity: strings.TrimSpace(params.Get(fmt.Sprintf("items[%d].quantity", i)))})
	}
	if add := strings.TrimSpace(params.Get("add")); add != "" {
		for i := range lines {
			if lines[i].SKU == add {
				if n, err := strconv.Atoi(lines[i].Quantity); err == nil {
					lines[i].Quantity = strconv.Itoa(n + 1)
				}
				return lines
			}
		}
		lines = append(lines, views.NewOrderLine{SKU: add, Name: add, Quantity: "1"})
	}
	return lines
}

// price prices the form's lines as CreateOrder will; why it cannot goes beside the totals.
func (s *Server) price(c echo.Context, f *views.NewOrderForm, in domain.NewOrder) {
	if len(in.Items) == 0 {
		return
	}
	o, err := s.svc.PreviewOrder(c.Request().Context(), in)
	if err != nil {
		fail, ferr := s.formErrors(c, err)
		if ferr != nil {
			f.PriceError = "The totals cannot be computed right now; try Recalculate."
			return
		}
		delete(fail.Errors, "") // the totals card says it
		f.PriceError = sentence(fail.Message)
		if keys := slices.Sorted(maps.Keys(fail.Errors)); len(keys) > 0 { // the first field at fault, in words
			f.PriceError = sentence(strings.ReplaceAll(fieldName(keys[0]), "_", " ") + " " + fail.Errors[keys[0]])
		}
		placeNewOrderErrors(f, fail)
		return
	}
	f.Priced = &o
	for i := range f.Lines {
		if i < len(o.Items) {
			f.Lines[i].Name = o.Items[i].Name
		}
	}
}

// placeNewOrderErrors puts a refused order's field errors beside the inputs and lines:
// items[i].* on line i, a SKU (out of stock) on its lines, the rest on the input of that name.
func placeNewOrderErrors(f *views.NewOrderForm, fail formFailure) {
	for k, m := range fail.Errors {
		if _, taken := f.Errors[k]; !taken {
			f.Errors[k] = m
		}
	}
	placeLineErrors(f)
}

func placeLineErrors(f *views.NewOrderForm) {
	for i := range f.Lines {
		l := &f.Lines[i]
		l.Error = cmp.Or(l.Error, f.Errors[fmt.Sprintf("items[%d].quantity", i)], f.Errors[fmt.Sprintf("items[%d].sku", i)], f.Errors[l.SKU])
	}
}

// searchProducts finds a few products by SKU or name (an indexed search: see migration
// 00016), with their price and available stock.
func (s *Server) searchProducts(c echo.Context, q string) (*views.ProductResults, error) {
	if q == "" {
		return nil, nil
	}
	page, err := s.svc.ListProducts(c.Request().Context(), q, "", searchResults)
	if err != nil {
		return nil, err
	}
	r := &views.ProductResults{Query: q, Total: page.Total}
	for _, p := range page.Products {
		r.Rows = append(r.Rows, productRow(p))
	}
	return r, nil
}

// fillCustomer puts a previous customer into the form; the billing address is shown
// apart only when it differs.
func fillCustomer(f *views.NewOrderForm, cu domain.Customer, ship, bill domain.Address) {
	flatten(f.Values, "customer", cu)
	flatten(f.Values, "shipping_address", ship)
	delete(f.Values, "billing_same")
	if bill == ship {
		f.Values["billing_same"] = "on"
	} else {
		flatten(f.Values, "billing_address", bill)
	}
}
