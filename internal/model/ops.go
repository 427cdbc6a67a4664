package model

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Op is one operation on one order, as a request asks for it (or as the system does it:
// system.go). apply changes o (a clone) as the contract says a success does, or refuses
// with the error codes allowed. Stock is not its business: the model judges it from the
// order's reservations before and after (Model.Step).
type Op interface {
	Name() string
	apply(c *Config, o *Order) (Effects, error)
}

// Effects are what a success does beyond the order's own state.
type Effects struct {
	OnHand map[string]int // units that left stock (shipped: negative) or came back (restocked)
	Coupon string         // a coupon use taken
}

// Refusal is an operation refused: the error codes the contract allows for it.
type Refusal struct {
	Codes []string
	// afterStock: the refusal comes after the stock is judged (the order given to apply
	// is as the operation would leave it), so that a lack of stock may be said first.
	afterStock bool
}

func (r *Refusal) Error() string { return "refused: " + strings.Join(r.Codes, " or ") }

func refuse(codes ...string) error { return &Refusal{Codes: codes} }

// refuseAfterStock is a refusal found once stock has been reserved (see Refusal).
func refuseAfterStock(err error) error {
	if r, ok := err.(*Refusal); ok {
		return &Refusal{Codes: r.Codes, afterStock: true}
	}
	return err
}

// ItemReq is a line as a client asks for it.
type ItemReq struct {
	SKU string
	Qty int
}

// maxQty is the contract's most units of one line.
const maxQty = 1000

// Create places an order (POST /orders): priced from the catalog, stock reserved for
// every line, all or nothing.
type Create struct {
	Items   []ItemReq
	Coupon  string
	Country string
}

func (op Create) Name() string {
	return fmt.Sprintf("create %v coupon=%q country=%s", op.Items, op.Coupon, op.Country)
}

func (op Create) apply(c *Config, o *Order) (Effects, error) {
	if len(op.Items) == 0 {
		return Effects{}, refuse("validation_failed")
	}
	for _, it := range op.Items {
		if it.Qty < 1 || it.Qty > maxQty {
			return Effects{}, refuse("validation_failed")
		}
	}
	for _, it := range op.Items {
		if p, ok := c.Products[it.SKU]; !ok || !p.Active {
			return Effects{}, refuse("product_unavailable")
		}
	}
	*o = Order{Status: Created, Country: op.Country}
	// The order keeps the client's lines as sent, one per item (code: CreateOrder).
	for _, it := range op.Items {
		o.Lines = append(o.Lines, Line{SKU: it.SKU, Qty: it.Qty, UnitPrice: c.Products[it.SKU].Price})
	}
	var coupon *Coupon
	if op.Coupon != "" {
		cp, ok := c.Coupons[strings.ToUpper(op.Coupon)]
		if !ok || cp.Inactive {
			return Effects{}, refuse("coupon_invalid")
		}
		coupon, o.Coupon = &cp, cp.Code
	}
	var err error
	o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total, err = c.totals(o.Lines, o.Country, coupon)
	return Effects{Coupon: o.Coupon}, err
}

// payable refuses money for an order past the point of taking it: created and pending
// orders take payments, paid and processing ones only while they owe (code:
// checkPayable, on the contract's net rule).
func payable(o *Order) error {
	switch o.Status {
	case Created, Pending:
		return nil
	case Paid, Processing:
		if o.Owed().IsPositive() {
			return nil
		}
	}
	return refuse("invalid_transition")
}

// followMoney moves an order on as its money allows: paid in full, a created or pending
// order becomes paid (through pending); refunded in full, a returned order becomes
// refunded (API.md: payments, refunds).
func followMoney(o *Order) {
	switch {
	case (o.Status == Created || o.Status == Pending) && o.paidInFull():
		o.Status = Paid
	case o.PaymentStatus() == "refunded" && o.Status == Returned:
		o.Status = Refunded
	}
}

func validAmount(a decimal.Decimal) error {
	if !a.IsPositive() || !a.Equal(a.Truncate(2)) {
		return refuse("validation_failed")
	}
	return nil
}

// Pay records a manual payment (POST /orders/{id}/payments); more than owed: 422.
type Pay struct{ Amount decimal.Decimal }

func (op Pay) Name() string { return "pay " + op.Amount.StringFixed(2) }

func (op Pay) apply(_ *Config, o *Order) (Effects, error) {
	if err := validAmount(op.Amount); err != nil {
		return Effects{}, err
	}
	if err := payable(o); err != nil {
		return Effects{}, err
	}
	if op.Amount.GreaterThan(o.Owed()) {
		return Effects{}, refuse("payment_exceeds_outstanding")
	}
	o.Payments = append(o.Payments, Payment{Gateway: "manual", Amount: op.Amount, Status: PayCompleted})
	followMoney(o)
	return Effects{}, nil
}

// StartIntent asks for a Stripe PaymentIntent of what is owed (POST
// /orders/{id}/payment_intents): a pending card payment.
type StartIntent struct{}

func (StartIntent) Name() string { return "payment intent" }

func (StartIntent) apply(_ *Config, o *Order) (Effects, error) {
	if err := payable(o); err != nil {
		return Effects{}, err
	}
	if !o.Owed().IsPositive() {
		return Effects{}, refuse("conflict")
	}
	o.Payments = append(o.Payments, Payment{Gateway: "stripe", Amount: o.Owed(), Status: PayPending})
	return Effects{}, nil
}

// Card is a Stripe event about an intent (API.md §6): succeeded, payment_failed or
// canceled. Each changes the order at most once; late and repeated ones change nothing.
type Card struct {
	Intent string
	Event  string // succeeded, failed, canceled
	ID     string // the Stripe event's id; "" for the cancellation job's answer
}

func (op Card) Name() string { return "card " + op.Event + " " + op.Intent + " " + op.ID }

func (op Card) apply(_ *Config, o *Order) (Effects, error) {
	i := slices.IndexFunc(o.Payments, func(p Payment) bool { return p.Intent == op.Intent && p.Intent != "" })
	if i < 0 || op.ID != "" && slices.Contains(o.StripeEvents, op.ID) {
		return Effects{}, nil
	}
	if op.ID != "" {
		o.StripeEvents = append(o.StripeEvents, op.ID)
	}
	p := &o.Payments[i]
	open := p.Status == PayPending || p.Status == PayFailed
	switch op.Event {
	case "failed":
		if open {
			p.Status = PayFailed
			p.Declines++
		}
	case "canceled":
		if open {
			p.Status = PayCanceled
		}
	case "succeeded":
		if p.Status == PayCompleted || p.Status == PayUnapplied {
			return Effects{}, nil
		}
		// Booked when the order can take it, whether the intent had failed or been
		// cancelled before; otherwise kept apart and refunded at once, never lost.
		if payable(o) == nil && !p.Amount.GreaterThan(o.Owed()) {
			p.Status = PayCompleted
			followMoney(o)
			return Effects{}, nil
		}
		p.Status = PayUnapplied
		o.Refunds = append(o.Refunds, Refund{Amount: p.Amount, Parts: []Part{{Payment: i, Amount: p.Amount, Status: RefundPending}}})
	}
	return Effects{}, nil
}

// GiveBack refunds an amount (POST /orders/{id}/refunds): never more than paid less
// refunded and pending.
type GiveBack struct{ Amount decimal.Decimal }

func (op GiveBack) Name() string { return "refund " + op.Amount.StringFixed(2) }

func (op GiveBack) apply(_ *Config, o *Order) (Effects, error) {
	if err := validAmount(op.Amount); err != nil {
		return Effects{}, err
	}
	return Effects{}, refund(o, op.Amount)
}

// refund is the one way money goes back: drawn from the order's completed payments,
// newest first (code: service.refund), each giving what is left of it.
func refund(o *Order, amount decimal.Decimal) error {
	if amount.GreaterThan(o.Refundable()) {
		return refuse("refund_exceeds_paid")
	}
	r := Refund{Amount: amount}
	left := amount
	for i := len(o.Payments) - 1; i >= 0 && left.IsPositive(); i-- {
		p := o.Payments[i]
		if p.Status != PayCompleted {
			continue
		}
		rest := p.Amount
		for _, rf := range o.Refunds {
			for _, part := range rf.Parts {
				if part.Payment == i && part.Status != RefundFailed {
					rest = rest.Sub(part.Amount)
				}
			}
		}
		if !rest.IsPositive() {
			continue
		}
		take := decimal.Min(left, rest)
		status := RefundSucceeded
		if p.Gateway != "manual" {
			status = RefundPending
		}
		r.Parts = append(r.Parts, Part{Payment: i, Amount: take, Status: status})
		left = left.Sub(take)
	}
	o.Refunds = append(o.Refunds, r)
	followMoney(o)
	return nil
}

// Cancel cancels an order that has not shipped (POST /orders/{id}/cancel): its stock is
// released and, with refund, everything refundable is given back.
type Cancel struct{ Refund bool }

func (op Cancel) Name() string { return fmt.Sprintf("cancel refund=%v", op.Refund) }

func (op Cancel) apply(_ *Config, o *Order) (Effects, error) {
	if !allowed(o.Status, Cancelled) {
		return Effects{}, refuse("invalid_transition")
	}
	o.Status = Cancelled
	if left := o.Refundable(); op.Refund && left.IsPositive() {
		return Effects{}, refund(o, left)
	}
	return Effects{}, nil
}

// Transition changes the status (POST /orders/{id}/transitions), as the workflow and
// what backs the new status allow: paid needs nothing owed, shipped everything shipped,
// refunded everything refunded (code: CheckStatusGuard, owing on net money).
type Transition struct{ To string }

func (op Transition) Name() string { return "transition to " + op.To }

func (op Transition) apply(c *Config, o *Order) (Effects, error) {
	if !slices.Contains(Statuses, op.To) {
		return Effects{}, refuse("validation_failed")
	}
	if op.To == Cancelled {
		return Cancel{}.apply(c, o)
	}
	if !allowed(o.Status, op.To) {
		return Effects{}, refuse("invalid_transition")
	}
	switch {
	case op.To == Paid && o.Owed().IsPositive(),
		op.To == Shipped && o.FulfillmentStatus() != "fulfilled",
		op.To == Refunded && o.PaymentStatus() != "refunded":
		return Effects{}, refuse("invalid_transition")
	}
	o.Status = op.To
	if op.To == Delivered {
		o.Delivered = true
	}
	return Effects{}, nil
}

// editable statuses: an order not cancelled and not shipped in full.
func editable(o *Order) bool {
	return slices.Contains([]string{Created, Pending, Paid, Processing}, o.Status)
}

// Edit adds lines and removes unshipped units (POST /orders/{id}/edits): added lines are
// priced from the catalog now, one new line per SKU; a line left with no units goes;
// totals are computed again; stock is reserved or released.
type Edit struct {
	Add    []ItemReq
	Remove []LineQty
}

func (op Edit) Name() string { return fmt.Sprintf("edit add=%v remove=%v", op.Add, op.Remove) }

func (op Edit) apply(c *Config, o *Order) (Effects, error) {
	if len(op.Add) == 0 && len(op.Remove) == 0 {
		return Effects{}, refuse("validation_failed")
	}
	for _, a := range op.Add {
		if a.Qty < 1 || a.Qty > maxQty {
			return Effects{}, refuse("validation_failed")
		}
	}
	for _, r := range op.Remove {
		if r.Qty < 1 || r.Qty > maxQty {
			return Effects{}, refuse("validation_failed")
		}
	}
	if !editable(o) || o.FulfillmentStatus() == "fulfilled" {
		return Effects{}, refuse("invalid_transition")
	}
	for _, a := range op.Add {
		if p, ok := c.Products[a.SKU]; !ok || !p.Active {
			return Effects{}, refuse("product_unavailable")
		}
	}
	seen := map[string]bool{}
	for _, r := range op.Remove {
		if o.line(r.Line) == nil || seen[r.Line] {
			return Effects{}, refuse("validation_failed")
		}
		seen[r.Line] = true
	}
	for _, r := range op.Remove {
		if l := o.line(r.Line); r.Qty > l.Qty-l.Fulfilled {
			return Effects{}, refuse("invalid_transition")
		}
	}
	before := o.Total
	lines := []Line{}
	for _, l := range o.Lines {
		for _, r := range op.Remove {
			if r.Line == l.ID {
				l.Qty -= r.Qty
			}
		}
		if l.Qty > 0 {
			lines = append(lines, l)
		}
	}
	for _, a := range op.Add {
		i := slices.IndexFunc(lines, func(l Line) bool { return l.ID == "" && l.SKU == a.SKU })
		if i < 0 {
			lines = append(lines, Line{SKU: a.SKU, UnitPrice: c.Products[a.SKU].Price})
			i = len(lines) - 1
		}
		lines[i].Qty += a.Qty
		if lines[i].Qty > maxQty {
			return Effects{}, refuse("validation_failed")
		}
	}
	if len(lines) == 0 {
		return Effects{}, refuse("validation_failed")
	}
	o.Lines = lines
	// The new lines' stock is reserved before the order is priced again (code: EditOrder).
	if err := c.reprice(o); err != nil {
		return Effects{}, refuseAfterStock(err)
	}
	if err := totalMayChange(o, before); err != nil {
		return Effects{}, refuseAfterStock(err)
	}
	followMoney(o)
	// Removing the last unshipped units of a partly shipped order ships it in full.
	if o.FulfillmentStatus() == "fulfilled" && o.Status == Processing {
		o.Status = Shipped
	}
	return Effects{}, nil
}

// totalMayChange refuses a new total while a card payment is in flight for the old one:
// what it brings could not be booked whole (code: repriceOrder).
func totalMayChange(o *Order, before decimal.Decimal) error {
	if !o.Total.Equal(before) && o.openIntents() > 0 {
		return refuse("invalid_transition")
	}
	return nil
}

// ShipTo changes the shipping address's country (PATCH /orders/{id}) until something
// ships; a new destination prices the order again.
type ShipTo struct{ Country string }

func (op ShipTo) Name() string { return "ship to " + op.Country }

func (op ShipTo) apply(c *Config, o *Order) (Effects, error) {
	if !editable(o) || o.FulfillmentStatus() != "unfulfilled" {
		return Effects{}, refuse("invalid_transition")
	}
	if op.Country == o.Country {
		return Effects{}, nil
	}
	before := o.Total
	o.Country = op.Country
	if err := c.reprice(o); err != nil {
		return Effects{}, err
	}
	if err := totalMayChange(o, before); err != nil {
		return Effects{}, err
	}
	followMoney(o)
	return Effects{}, nil
}

// maxTags is the contract's most tags of an order.
const maxTags = 20

// Tag replaces the tags (PUT /orders/{id}/tags): lower case, repeats dropped, at most 20.
type Tag struct{ Tags []string }

func (op Tag) Name() string { return fmt.Sprintf("tags %q", op.Tags) }

func (op Tag) apply(_ *Config, o *Order) (Effects, error) {
	var tags []string
	for _, t := range op.Tags {
		t = strings.Join(strings.Fields(strings.ToLower(t)), " ")
		if t == "" || len(t) > 40 {
			return Effects{}, refuse("validation_failed")
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) > maxTags {
		return Effects{}, refuse("validation_failed")
	}
	o.Tags = sortedTags(tags)
	return Effects{}, nil
}

// Hold puts an order that can still ship on hold (POST /orders/{id}/hold), By a token
// ("api") or a staff user ("staff", an admin in the driver).
type Hold struct{ By string }

func (op Hold) Name() string { return "hold by " + op.By }

func (op Hold) apply(_ *Config, o *Order) (Effects, error) {
	if o.Held || !editable(o) {
		return Effects{}, refuse("invalid_transition")
	}
	o.Held, o.HeldBy = true, op.By
	return Effects{}, nil
}

// Release takes it off hold (POST /orders/{id}/release): a token releases only what a
// token held (issue 20: releasing a hold needs the right to place that kind of hold;
// an admin may release any).
type Release struct{ By string }

func (op Release) Name() string { return "release by " + op.By }

func (op Release) apply(_ *Config, o *Order) (Effects, error) {
	switch {
	case !o.Held:
		return Effects{}, refuse("invalid_transition")
	case op.By == "api" && o.HeldBy != "api":
		return Effects{}, refuse("forbidden")
	}
	o.Held, o.HeldBy = false, ""
	return Effects{}, nil
}

// Fulfill ships units (POST /orders/{id}/fulfillments; Items nil: everything left) of a
// paid or processing order that is not held and owes nothing: they leave stock, the
// order becomes processing, and shipped when nothing is left.
type Fulfill struct{ Items []LineQty }

func (op Fulfill) Name() string {
	if op.Items == nil {
		return "fulfill everything"
	}
	return fmt.Sprintf("fulfill %v", op.Items)
}

func (op Fulfill) apply(_ *Config, o *Order) (Effects, error) {
	if op.Items != nil && len(op.Items) == 0 {
		return Effects{}, refuse("validation_failed")
	}
	seen := map[string]bool{}
	for _, it := range op.Items {
		if it.Qty < 1 || seen[it.Line] {
			return Effects{}, refuse("validation_failed")
		}
		seen[it.Line] = true
	}
	switch {
	case o.Status != Paid && o.Status != Processing:
		return Effects{}, refuse("invalid_transition")
	case o.Held:
		return Effects{}, refuse("on_hold")
	case o.Owed().IsPositive():
		return Effects{}, refuse("invalid_transition")
	}
	items := op.Items
	if items == nil {
		for _, l := range o.Lines {
			if n := l.Qty - l.Fulfilled; n > 0 {
				items = append(items, LineQty{Line: l.ID, Qty: n})
			}
		}
		if len(items) == 0 {
			return Effects{}, refuse("quantity_exceeds_fulfillable")
		}
	}
	for _, it := range items {
		if o.line(it.Line) == nil {
			return Effects{}, refuse("validation_failed")
		}
	}
	onHand := map[string]int{}
	for _, it := range items {
		l := o.line(it.Line)
		if it.Qty > l.Qty-l.Fulfilled {
			return Effects{}, refuse("quantity_exceeds_fulfillable")
		}
		l.Fulfilled += it.Qty
		onHand[l.SKU] -= it.Qty
	}
	o.Fulfillments = append(o.Fulfillments, Fulfillment{Items: items})
	if o.Status == Paid {
		o.Status = Processing
	}
	if o.FulfillmentStatus() == "fulfilled" {
		o.Status = Shipped
	}
	return Effects{OnHand: onHand}, nil
}

// Track records a carrier's event (POST /fulfillments/{id}/events): the shipment takes
// its latest event's status, and the order is delivered when every shipment is.
type Track struct {
	Fulfillment string
	Status      string // in_transit, out_for_delivery, delivered, exception
	At          time.Time
}

func (op Track) Name() string {
	return "track " + op.Fulfillment + " " + op.Status + " at " + op.At.Format(time.RFC3339)
}

func (op Track) apply(_ *Config, o *Order) (Effects, error) {
	i := slices.IndexFunc(o.Fulfillments, func(f Fulfillment) bool { return f.ID == op.Fulfillment })
	if i < 0 {
		return Effects{}, refuse("not_found")
	}
	f := &o.Fulfillments[i]
	seq := 0
	for _, g := range o.Fulfillments {
		seq += len(g.Events)
	}
	f.Events = append(f.Events, Event{Status: op.Status, At: op.At, Seq: seq})
	// code: AddTrackingEvent decides on the event's shipment only, when it is delivered.
	if f.Status() != ShipDelivered || o.Status != Shipped || o.FulfillmentStatus() != "fulfilled" {
		return Effects{}, nil
	}
	for _, g := range o.Fulfillments {
		if g.Status() != ShipDelivered {
			return Effects{}, nil
		}
	}
	o.Status, o.Delivered = Delivered, true
	return Effects{}, nil
}

// AskReturn opens a return (POST /orders/{id}/returns, or the customer's own POST
// /track/{number}/returns) of units shipped and not yet returned or asked for.
type AskReturn struct {
	Items    []LineQty
	Customer bool
}

func (op AskReturn) Name() string {
	who := "staff"
	if op.Customer {
		who = "customer"
	}
	return fmt.Sprintf("%s return %v", who, op.Items)
}

func (op AskReturn) apply(_ *Config, o *Order) (Effects, error) {
	if len(op.Items) == 0 {
		return Effects{}, refuse("validation_failed")
	}
	seen := map[string]bool{}
	for _, it := range op.Items {
		if it.Qty < 1 || it.Qty > maxQty || seen[it.Line] {
			return Effects{}, refuse("validation_failed")
		}
		seen[it.Line] = true
	}
	accepts := o.Status == Delivered || o.Status == Returned
	if op.Customer {
		if !accepts || !o.Delivered {
			return Effects{}, refuse("return_not_allowed")
		}
		for _, r := range o.Returns {
			if r.Status == ReturnRequested && sameUnits(r.Items, op.Items) {
				return Effects{}, refuse("conflict") // a double submit of the same request
			}
		}
	} else if !accepts {
		return Effects{}, refuse("invalid_transition")
	}
	for _, it := range op.Items {
		if o.line(it.Line) == nil {
			return Effects{}, refuse("validation_failed")
		}
	}
	left := o.Returnable()
	for _, it := range op.Items {
		if it.Qty > left[it.Line] {
			return Effects{}, refuse("quantity_exceeds_returnable")
		}
	}
	o.Returns = append(o.Returns, Return{Status: ReturnRequested, Items: slices.Clone(op.Items)})
	return Effects{}, nil
}

func sameUnits(a, b []LineQty) bool {
	n := map[string]int{}
	for _, it := range a {
		n[it.Line] += it.Qty
	}
	for _, it := range b {
		n[it.Line] -= it.Qty
	}
	for _, v := range n {
		if v != 0 {
			return false
		}
	}
	return true
}

func (o *Order) ret(id string) *Return {
	for i := range o.Returns {
		if o.Returns[i].ID == id {
			return &o.Returns[i]
		}
	}
	return nil
}

// Approve accepts a requested return (POST /returns/{id}/approve): its units count as
// returned, their share of what was paid is refunded, a delivered order becomes returned.
type Approve struct{ Return string }

func (op Approve) Name() string { return "approve return " + op.Return }

func (op Approve) apply(_ *Config, o *Order) (Effects, error) {
	r := o.ret(op.Return)
	switch {
	case r == nil:
		return Effects{}, refuse("not_found")
	case r.Status != ReturnRequested:
		return Effects{}, refuse("already_processed")
	}
	// Money already given back, or on its way back, is not given back twice: the
	// return's refund is at most what is still refundable.
	amount := decimal.Min(returnRefund(o, r.Items), o.Refundable())
	r.Status, r.RefundAmount = ReturnApproved, amount
	for _, it := range r.Items {
		o.line(it.Line).Returned += it.Qty
	}
	if o.Status == Delivered {
		o.Status = Returned
	}
	if amount.IsPositive() {
		return Effects{}, refund(o, amount)
	}
	followMoney(o)
	return Effects{}, nil
}

// returnRefund is what returning items gives back: their share of what was paid, the
// discount spread over the lines by value, shipping and tax in the same proportion; taken
// cumulatively over the order's returns, so that returning everything gives back exactly
// what was paid (code: domain.ReturnRefund; the contract says "a refund for its amount").
func returnRefund(o *Order, items []LineQty) decimal.Decimal {
	returning := map[string]int{}
	for _, it := range items {
		returning[it.Line] += it.Qty
	}
	weigh := func(by func(Line) int, value bool) decimal.Decimal {
		sum := decimal.Zero
		for _, l := range o.Lines {
			w := decimal.NewFromInt(int64(by(l)))
			if value {
				w = w.Mul(l.UnitPrice)
			}
			sum = sum.Add(w)
		}
		return sum
	}
	all := func(l Line) int { return l.Qty }
	value := weigh(all, true).Sub(o.Discount).IsPositive()
	base := weigh(all, value)
	if !base.IsPositive() {
		return decimal.Zero
	}
	before := weigh(func(l Line) int { return l.Returned }, value)
	after := weigh(func(l Line) int { return l.Returned + returning[l.ID] }, value)
	paid := o.Paid()
	share := func(part decimal.Decimal) decimal.Decimal { return cents(paid.Mul(part).Div(base)) }
	return share(after).Sub(share(before))
}

// Reject turns a requested return down (POST /returns/{id}/reject).
type Reject struct{ Return string }

func (op Reject) Name() string { return "reject return " + op.Return }

func (op Reject) apply(_ *Config, o *Order) (Effects, error) {
	r := o.ret(op.Return)
	switch {
	case r == nil:
		return Effects{}, refuse("not_found")
	case r.Status != ReturnRequested:
		return Effects{}, refuse("already_processed")
	}
	r.Status = ReturnRejected
	return Effects{}, nil
}

// Receive records an approved return's units back (POST /returns/{id}/receive); with
// restock they are on hand again.
type Receive struct {
	Return  string
	Restock bool
}

func (op Receive) Name() string {
	return fmt.Sprintf("receive return %s restock=%v", op.Return, op.Restock)
}

func (op Receive) apply(_ *Config, o *Order) (Effects, error) {
	r := o.ret(op.Return)
	switch {
	case r == nil:
		return Effects{}, refuse("not_found")
	case r.Status == ReturnRequested:
		return Effects{}, refuse("invalid_transition")
	case r.Status != ReturnApproved:
		return Effects{}, refuse("already_processed")
	}
	r.Status, r.Restocked = ReturnReceived, op.Restock
	onHand := map[string]int{}
	if op.Restock {
		for _, it := range r.Items {
			onHand[o.line(it.Line).SKU] += it.Qty
		}
	}
	return Effects{OnHand: onHand}, nil
}
