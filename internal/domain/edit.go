package domain

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// OrderPatch changes an order's contact, addresses and notes (PATCH /orders/{id}); a nil
// field stays as it is. A given customer or address replaces the whole object and is
// validated as a new order's is.
type OrderPatch struct {
	Customer        *Customer `json:"customer"`
	ShippingAddress *Address  `json:"shipping_address"`
	BillingAddress  *Address  `json:"billing_address"`
	Notes           *string   `json:"notes"`
}

// Normalize trims and upper-cases as NewOrder.Normalize does.
func (p *OrderPatch) Normalize() {
	if p.Customer != nil {
		p.Customer.normalize()
	}
	if p.ShippingAddress != nil {
		p.ShippingAddress.normalize()
	}
	if p.BillingAddress != nil {
		p.BillingAddress.normalize()
	}
}

// Validate checks the given fields with the rules of a new order; field names are the
// request's JSON paths.
func (p OrderPatch) Validate() error {
	fe := FieldErrors{}
	if p.Customer != nil {
		p.Customer.validate(fe, "customer")
	}
	if p.ShippingAddress != nil {
		p.ShippingAddress.validate(fe, "shipping_address")
	}
	if p.BillingAddress != nil {
		p.BillingAddress.validate(fe, "billing_address")
	}
	if p.Notes != nil {
		validateText(fe, "notes", *p.Notes, MaxNote, false)
	}
	return fe.Err()
}

// Apply makes the patch's changes to o and says what changed from what, field by field
// ("shipping_address.city: Berlin → Munich"); nothing when the patch changes nothing.
func (p OrderPatch) Apply(o *Order) []string {
	var changes []string
	if p.Customer != nil {
		changes = append(changes, diffFields("customer", o.Customer, *p.Customer)...)
		o.Customer = *p.Customer
	}
	if p.ShippingAddress != nil {
		changes = append(changes, diffFields("shipping_address", o.ShippingAddress, *p.ShippingAddress)...)
		o.ShippingAddress = *p.ShippingAddress
	}
	if p.BillingAddress != nil {
		changes = append(changes, diffFields("billing_address", o.BillingAddress, *p.BillingAddress)...)
		o.BillingAddress = *p.BillingAddress
	}
	if p.Notes != nil && *p.Notes != o.Notes {
		changes = append(changes, "notes: "+shown(o.Notes)+" → "+shown(*p.Notes))
		o.Notes = *p.Notes
	}
	return changes
}

// diffFields lists the string fields of two values of one struct type that differ,
// named by their JSON names under prefix.
func diffFields(prefix string, before, after any) []string {
	b, a := reflect.ValueOf(before), reflect.ValueOf(after)
	var out []string
	for i := range b.NumField() {
		if from, to := b.Field(i).String(), a.Field(i).String(); from != to {
			name, _, _ := strings.Cut(b.Type().Field(i).Tag.Get("json"), ",")
			out = append(out, prefix+"."+name+": "+shown(from)+" → "+shown(to))
		}
	}
	return out
}

func shown(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// CheckContactEditable refuses changes of contact, addresses and notes once anything of
// the order has shipped, or once it is cancelled.
func CheckContactEditable(o Order) error {
	if o.Status.editable() && o.FulfillmentStatus == FulfillmentUnfulfilled {
		return nil
	}
	return Errorf(CodeInvalidTransition, "order %s is %s (%s): its customer, addresses and notes can change only until something ships",
		o.Number, o.Status, o.FulfillmentStatus)
}

// CheckLinesEditable refuses line edits of cancelled orders and of orders shipped in full.
func CheckLinesEditable(o Order) error {
	if o.Status.editable() && o.FulfillmentStatus != FulfillmentFulfilled {
		return nil
	}
	return Errorf(CodeInvalidTransition, "order %s is %s (%s): only orders not cancelled and not shipped in full can be edited",
		o.Number, o.Status, o.FulfillmentStatus)
}

func (s Status) editable() bool {
	switch s {
	case StatusCreated, StatusPending, StatusPaid, StatusProcessing:
		return true
	}
	return false
}

// OrderEdit adds lines to an order and removes unshipped units of its lines.
type OrderEdit struct {
	Add    []ItemRequest
	Remove []LineQuantity
	Reason string
}

// Normalize trims the SKUs and the reason.
func (e *OrderEdit) Normalize() {
	for i := range e.Add {
		e.Add[i].SKU = strings.TrimSpace(e.Add[i].SKU)
	}
	for i := range e.Remove {
		e.Remove[i].OrderItemID = strings.TrimSpace(e.Remove[i].OrderItemID)
	}
	e.Reason = strings.TrimSpace(e.Reason)
}

// Validate checks what needs no database; field names are the request's JSON paths.
func (e OrderEdit) Validate() error {
	fe := FieldErrors{}
	if len(e.Add) == 0 && len(e.Remove) == 0 {
		fe.Add("add", "add a line or remove units of one")
	}
	if len(e.Add) > MaxOrderLines {
		fe.Add("add", fmt.Sprintf("must have at most %d lines", MaxOrderLines))
	}
	if len(e.Remove) > MaxOrderLines {
		fe.Add("remove", fmt.Sprintf("must have at most %d lines", MaxOrderLines))
	}
	for i, it := range e.Add {
		if i >= MaxOrderLines {
			break
		}
		it.validate(fe, fmt.Sprintf("add[%d]", i))
	}
	for i, it := range e.Remove {
		if i >= MaxOrderLines {
			break
		}
		p := fmt.Sprintf("remove[%d]", i)
		if it.OrderItemID == "" {
			fe.Add(p+".order_item_id", "is required")
		}
		if it.Quantity < 1 || it.Quantity > MaxLineQuantity {
			fe.Add(p+".quantity", fmt.Sprintf("must be between 1 and %d", MaxLineQuantity))
		}
	}
	validateText(fe, "reason", e.Reason, MaxName, true)
	return fe.Err()
}

// CatalogPrice is what an added line costs now.
type CatalogPrice struct {
	Name      string
	UnitPrice decimal.Decimal
}

// EditPlan is an order's lines after an edit, and what changed.
type EditPlan struct {
	Items   []OrderItem    // the lines left and the new ones, in line order
	Added   []OrderItem    // the new lines (also in Items), ID empty
	Reduced map[string]int // units removed per existing line ID
	Changes []string       // "+2 × SKU-1 at 9.99", "−1 × SKU-2"
}

// PlanEdit applies an edit to an order's lines. Added lines are priced from prices (the
// catalog now) and become new lines, one per SKU, even when the order has a line of that
// SKU: existing lines keep the price they were sold at. A removed unit must be unshipped;
// a line that loses all its units goes. An order left without lines is refused.
func PlanEdit(items []OrderItem, e OrderEdit, prices map[string]CatalogPrice, currency string) (EditPlan, error) {
	p := EditPlan{Reduced: map[string]int{}}
	byID := map[string]int{}
	for i, it := range items {
		byID[it.ID] = i
	}
	fe, lines, over := FieldErrors{}, map[string]string{}, false
	for i, r := range e.Remove {
		field := fmt.Sprintf("remove[%d]", i)
		j, ok := byID[r.OrderItemID]
		switch {
		case !ok:
			fe.Add(field+".order_item_id", "is not a line of this order")
			continue
		case p.Reduced[r.OrderItemID] > 0:
			fe.Add(field+".order_item_id", "appears more than once")
			continue
		}
		it := items[j]
		if left := it.Quantity - it.FulfilledQuantity; r.Quantity > left {
			msg := fmt.Sprintf("only %d of %s are unshipped and can be removed", left, it.SKU)
			fe.Add(field+".quantity", msg)
			lines[it.ID], over = msg, true
			continue
		}
		p.Reduced[r.OrderItemID] = r.Quantity
	}
	if len(fe) > 0 {
		code, msg := CodeValidationFailed, "the request has invalid fields"
		if over {
			code, msg = CodeInvalidTransition, "only unshipped units can be removed"
		}
		return EditPlan{}, &Error{Code: code, Message: msg, Fields: fe, Lines: lines}
	}

	for _, it := range items {
		n := p.Reduced[it.ID]
		if n > 0 {
			p.Changes = append(p.Changes, fmt.Sprintf("−%d × %s", n, it.SKU))
		}
		if it.Quantity -= n; it.Quantity > 0 {
			it.Total = Line{UnitPrice: it.UnitPrice, Quantity: it.Quantity}.Total()
			p.Items = append(p.Items, it)
		}
	}
	added := map[string]int{}
	for _, a := range e.Add {
		if _, ok := added[a.SKU]; !ok {
			added[a.SKU] = len(p.Added)
			p.Added = append(p.Added, OrderItem{SKU: a.SKU, Name: prices[a.SKU].Name, UnitPrice: prices[a.SKU].UnitPrice})
		}
		p.Added[added[a.SKU]].Quantity += a.Quantity
	}
	for i, a := range p.Added {
		if a.Quantity > MaxLineQuantity {
			return EditPlan{}, FieldErrors{"add": fmt.Sprintf("adds %d of %s: a line holds at most %d", a.Quantity, a.SKU, MaxLineQuantity)}.Err()
		}
		p.Added[i].Total = Line{UnitPrice: a.UnitPrice, Quantity: a.Quantity}.Total()
		p.Changes = append(p.Changes, fmt.Sprintf("+%d × %s at %s", a.Quantity, a.SKU, FormatAmount(a.UnitPrice, currency)))
	}
	p.Items = append(p.Items, p.Added...)
	switch {
	case len(p.Items) == 0:
		return EditPlan{}, FieldErrors{"remove": "would leave the order without lines: cancel the order instead"}.Err()
	case len(p.Items) > MaxOrderLines:
		return EditPlan{}, FieldErrors{"add": fmt.Sprintf("an order has at most %d lines", MaxOrderLines)}.Err()
	}
	return p, nil
}
