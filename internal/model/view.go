package model

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// View is an order as the API's JSON shows what the model knows of it; the driver reads
// the server's answers into one, and Diff compares it with the model's.
type View struct {
	ID                string
	Number            string
	Version           int64 // 0: not known (the server has none, or the model has not learnt it)
	Status            string
	PaymentStatus     string
	FulfillmentStatus string
	Country           string
	Coupon            string

	Subtotal, Discount, Shipping, Tax, Total string
	Paid, Refunded, RefundPending            string
	Outstanding, RefundDue                   string

	Tags []string
	Held bool

	Lines        []LineView
	Payments     []PaymentView
	Refunds      []RefundView
	Fulfillments []FulfillmentView
	Returns      []ReturnView
}

// LineView is an order line as the JSON shows it.
type LineView struct {
	ID                  string
	SKU                 string
	Qty                 int
	UnitPrice, Total    string
	Fulfilled, Returned int
}

// PaymentView is a payment as the JSON shows it.
type PaymentView struct{ ID, Gateway, Amount, Status string }

// RefundView is a refund as the JSON shows it.
type RefundView struct{ ID, Amount, Status string }

// FulfillmentView is a shipment as the JSON shows it.
type FulfillmentView struct {
	ID     string
	Status string
	Items  []LineQty
}

// ReturnView is a return as the JSON shows it.
type ReturnView struct {
	ID           string
	Status       string
	Items        []LineQty
	RefundAmount string
	Restocked    bool
}

func money(d decimal.Decimal) string { return d.StringFixedBank(2) }

// View is what the API shows of o, by the contract's rules.
func (o Order) View() View {
	v := View{ID: o.ID, Number: o.Number, Version: o.Version, Status: o.Status, PaymentStatus: o.PaymentStatus(),
		FulfillmentStatus: o.FulfillmentStatus(), Country: o.Country, Coupon: o.Coupon,
		Subtotal: money(o.Subtotal), Discount: money(o.Discount), Shipping: money(o.Shipping), Tax: money(o.Tax),
		Total: money(o.Total), Paid: money(o.Paid()), Refunded: money(o.Refunded()), RefundPending: money(o.RefundPending()),
		Outstanding: money(o.Owed()), RefundDue: money(o.RefundDue()), Tags: slices.Clone(o.Tags), Held: o.Held}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, LineView{ID: l.ID, SKU: l.SKU, Qty: l.Qty, UnitPrice: money(l.UnitPrice),
			Total: money(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Qty)))), Fulfilled: l.Fulfilled, Returned: l.Returned})
	}
	for _, p := range o.Payments {
		v.Payments = append(v.Payments, PaymentView{ID: p.ID, Gateway: p.Gateway, Amount: money(p.Amount), Status: p.Status})
	}
	for _, r := range o.Refunds {
		v.Refunds = append(v.Refunds, RefundView{ID: r.ID, Amount: money(r.Amount), Status: r.Status()})
	}
	for _, f := range o.Fulfillments {
		v.Fulfillments = append(v.Fulfillments, FulfillmentView{ID: f.ID, Status: f.Status(), Items: slices.Clone(f.Items)})
	}
	for _, r := range o.Returns {
		v.Returns = append(v.Returns, ReturnView{ID: r.ID, Status: r.Status, Items: slices.Clone(r.Items),
			RefundAmount: money(r.RefundAmount), Restocked: r.Restocked})
	}
	return v
}

// Diff lists how got differs from want, one "path: want ≠ got" per field. An id the
// model does not know yet (a new line, payment ...) matches any; a version 0 on either
// side is not compared.
func Diff(want, got View) []string {
	var out []string
	diff(&out, "", reflect.ValueOf(want), reflect.ValueOf(got))
	return out
}

func diff(out *[]string, path string, w, g reflect.Value) {
	switch w.Kind() {
	case reflect.Struct:
		for i := range w.NumField() {
			name := w.Type().Field(i).Name
			wf, gf := w.Field(i), g.Field(i)
			if name == "ID" && wf.String() == "" || name == "Version" && (wf.Int() == 0 || gf.Int() == 0) {
				continue
			}
			diff(out, strings.TrimPrefix(path+"."+name, "."), wf, gf)
		}
	case reflect.Slice:
		if w.Len() != g.Len() {
			*out = append(*out, fmt.Sprintf("%s: %d ≠ %d entries: %v ≠ %v", path, w.Len(), g.Len(), w.Interface(), g.Interface()))
			return
		}
		for i := range w.Len() {
			diff(out, fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
		}
	default:
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: %v ≠ %v", path, w.Interface(), g.Interface()))
		}
	}
}

// Bind gives o's new entities (lines, payments, refunds, shipments, returns made by the
// last steps, whose ids only the server knows) the ids v shows that o does not have yet,
// in order: lists only grow at their end (a line may go, and its id with it).
func (o *Order) Bind(v View) {
	if o.ID == "" {
		o.ID, o.Number = v.ID, v.Number
	}
	bindAll(o.Lines, v.Lines, func(l *Line) *string { return &l.ID }, func(l LineView) string { return l.ID })
	bindAll(o.Payments, v.Payments, func(p *Payment) *string { return &p.ID }, func(p PaymentView) string { return p.ID })
	bindAll(o.Refunds, v.Refunds, func(r *Refund) *string { return &r.ID }, func(r RefundView) string { return r.ID })
	bindAll(o.Fulfillments, v.Fulfillments, func(f *Fulfillment) *string { return &f.ID }, func(f FulfillmentView) string { return f.ID })
	bindAll(o.Returns, v.Returns, func(r *Return) *string { return &r.ID }, func(r ReturnView) string { return r.ID })
}

func bindAll[T, V any](mine []T, seen []V, id func(*T) *string, seenID func(V) string) {
	have := map[string]bool{}
	for i := range mine {
		have[*id(&mine[i])] = true
	}
	var fresh []string
	for _, s := range seen {
		if !have[seenID(s)] {
			fresh = append(fresh, seenID(s))
		}
	}
	for i := range mine {
		if p := id(&mine[i]); *p == "" && len(fresh) > 0 {
			*p, fresh = fresh[0], fresh[1:]
		}
	}
}
