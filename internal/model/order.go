// Package model is a reference model of the OMS's orders, money and stock: a second,
// independent implementation of ../shared/API.md in plain Go, with no database, no HTTP
// and no import of internal/domain or internal/service (a totals bug copied from there
// would go unseen). For an order and an operation it says which outcomes the contract
// allows: the order after it, or the error codes it may be refused with. The torture
// driver (internal/torture) runs the real server against it.
//
// Where the contract is silent the model follows the README, and last the code; each such
// rule says so in a comment ("code:"). Where the two disagree the contract wins, and a
// difference is a bug of the server. One rule the contract states through issue 20 (item
// 3) rather than API.md: whether an order owes money is decided on net money, paid less
// refunded less refunds pending, against the total (Owed).
//
// One currency (USD, two decimals) and no manual discounts (only staff-made orders have
// them): see Config.
package model

import (
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Order statuses (API.md §2, "The status workflow").
const (
	Created    = "created"
	Pending    = "pending"
	Paid       = "paid"
	Processing = "processing"
	Shipped    = "shipped"
	Delivered  = "delivered"
	Returned   = "returned"
	Refunded   = "refunded"
	Cancelled  = "cancelled"
)

// next is the contract's status workflow, the only transitions allowed by any path.
var next = map[string][]string{
	Created:    {Pending, Cancelled},
	Pending:    {Paid, Cancelled},
	Paid:       {Processing, Cancelled},
	Processing: {Shipped, Cancelled},
	Shipped:    {Delivered},
	Delivered:  {Returned},
	Returned:   {Refunded},
}

// Statuses are every order status.
var Statuses = []string{Created, Pending, Paid, Processing, Shipped, Delivered, Returned, Refunded, Cancelled}

func allowed(from, to string) bool { return slices.Contains(next[from], to) }

// Payment, refund, shipment and return states.
const (
	PayPending   = "pending"
	PayCompleted = "completed"
	PayFailed    = "failed"
	PayCanceled  = "canceled"
	PayUnapplied = "unapplied" // card money an order could not take: refunded at once

	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"

	ShipShipped   = "shipped"
	ShipDelivered = "delivered"

	ReturnRequested = "requested"
	ReturnApproved  = "approved"
	ReturnRejected  = "rejected"
	ReturnReceived  = "received"
)

// Order is everything of an order that money and stock depend on. Amounts kept here
// are what the server stores; paid, refunded, refunds pending, the payment and
// fulfillment statuses and the balance are derived from the payments, refunds and lines
// (see View), so they cannot drift from them.
type Order struct {
	ID      string
	Number  string
	Version int64 // 0 while the server has no versions
	Status  string
	Country string
	Coupon  string // the coupon's code, "" without one

	Lines                                    []Line
	Subtotal, Discount, Shipping, Tax, Total decimal.Decimal

	Payments     []Payment
	Refunds      []Refund
	Fulfillments []Fulfillment
	Returns      []Return

	Tags   []string // normalized and sorted
	Held   bool
	HeldBy string // who placed the hold: "api" (a token) or "staff"
	// StripeEvents are the ids of the Stripe events about the order's payments the server
	// has had: one seen before changes nothing (API.md §6). Not a change of the order.
	StripeEvents []string
	Delivered    bool      // the order has been delivered (customers may then ask for a return)
	CreatedAt    time.Time // the server's clock: expiry counts from it
}

// Line is one order line, priced when it was added.
type Line struct {
	ID                  string
	SKU                 string
	Qty                 int
	UnitPrice           decimal.Decimal
	Fulfilled, Returned int
}

// Payment is money received or on its way through a gateway.
type Payment struct {
	ID      string
	Gateway string // manual or stripe
	Amount  decimal.Decimal
	Status  string
	Intent  string // the Stripe PaymentIntent's id
	// Declines counts the card's declines: each is recorded (the intent stays usable).
	Declines int
}

// Refund is money given back, in parts: one per payment it is drawn from. A manual part
// succeeds at once; a card part is pending until the gateway says.
type Refund struct {
	ID     string
	Amount decimal.Decimal
	Parts  []Part
}

// Part is what one refund takes from one payment.
type Part struct {
	Payment int // the payment's place in the order's payments (ids come later: Bind)
	Amount  decimal.Decimal
	Status  string
}

// Status of a refund follows its parts: pending while one is, failed when all failed,
// succeeded otherwise (code: FollowAllocations).
func (r Refund) Status() string {
	failed := 0
	for _, p := range r.Parts {
		switch p.Status {
		case RefundPending:
			return RefundPending
		case RefundFailed:
			failed++
		}
	}
	if failed == len(r.Parts) {
		return RefundFailed
	}
	return RefundSucceeded
}

// Fulfillment is one shipment.
type Fulfillment struct {
	ID     string
	Items  []LineQty
	Events []Event
}

// Event is a carrier's scan; Seq orders events with the same time as they arrived.
type Event struct {
	Status string
	At     time.Time
	Seq    int
}

// Status of a shipment is that of its latest event by the carrier's time, so that events
// arriving out of order never move it backwards; shipped before any event.
func (f Fulfillment) Status() string {
	if len(f.Events) == 0 {
		return ShipShipped
	}
	latest := f.Events[0]
	for _, e := range f.Events[1:] {
		if e.At.After(latest.At) || e.At.Equal(latest.At) && e.Seq > latest.Seq {
			latest = e
		}
	}
	return latest.Status
}

// LineQty is a quantity of one line.
type LineQty struct {
	Line string
	Qty  int
}

// Return is a request to send units back.
type Return struct {
	ID           string
	Status       string
	Items        []LineQty
	RefundAmount decimal.Decimal
	Restocked    bool
}

// Clone is a deep copy, so that an operation can be tried without touching the original.
func (o Order) Clone() Order {
	c := o
	c.Lines = slices.Clone(o.Lines)
	c.Payments = slices.Clone(o.Payments)
	c.Refunds = make([]Refund, len(o.Refunds))
	for i, r := range o.Refunds {
		r.Parts = slices.Clone(r.Parts)
		c.Refunds[i] = r
	}
	c.Fulfillments = make([]Fulfillment, len(o.Fulfillments))
	for i, f := range o.Fulfillments {
		f.Items, f.Events = slices.Clone(f.Items), slices.Clone(f.Events)
		c.Fulfillments[i] = f
	}
	c.Returns = make([]Return, len(o.Returns))
	for i, r := range o.Returns {
		r.Items = slices.Clone(r.Items)
		c.Returns[i] = r
	}
	c.Tags = slices.Clone(o.Tags)
	c.StripeEvents = slices.Clone(o.StripeEvents)
	return c
}

// Paid is the sum of completed payments.
func (o Order) Paid() decimal.Decimal {
	sum := decimal.Zero
	for _, p := range o.Payments {
		if p.Status == PayCompleted {
			sum = sum.Add(p.Amount)
		}
	}
	return sum
}

// refundSum adds the parts in state of refunds of completed payments: money given back
// from unapplied payments is outside the order's money.
func (o Order) refundSum(state string) decimal.Decimal {
	sum := decimal.Zero
	for _, r := range o.Refunds {
		for _, p := range r.Parts {
			if p.Status == state && o.Payments[p.Payment].Status == PayCompleted {
				sum = sum.Add(p.Amount)
			}
		}
	}
	return sum
}

// Refunded is what succeeded refunds gave back.
func (o Order) Refunded() decimal.Decimal { return o.refundSum(RefundSucceeded) }

// RefundPending is what pending refunds are giving back.
func (o Order) RefundPending() decimal.Decimal { return o.refundSum(RefundPending) }

// Net is the money the shop keeps: paid, less refunded and refunds pending.
func (o Order) Net() decimal.Decimal { return o.Paid().Sub(o.Refunded()).Sub(o.RefundPending()) }

// Refundable is what may still be given back (API.md §6: pending refunds count against it).
func (o Order) Refundable() decimal.Decimal { return o.Net() }

// Owed is what the order still owes: its total less the net money (issue 20, item 3: one
// rule, on net money, for fulfillment, payments and the balance). A cancelled order owes
// nothing; neither does one shipped in full: its goods were paid for when they left
// (none leave while anything is owed), and money given back since (a return, a goodwill
// gesture) is no debt (README: "Editing, tags, holds").
func (o Order) Owed() decimal.Decimal {
	switch o.Status {
	case Cancelled, Shipped, Delivered, Returned, Refunded:
		return decimal.Zero
	}
	return decimal.Max(o.Total.Sub(o.Net()), decimal.Zero)
}

// paidInFull is whether money paid now covers what a created or pending order owes, which
// makes it paid (API.md: "when payments cover the total").
func (o Order) paidInFull() bool {
	return o.Paid().IsPositive() && o.Owed().IsZero()
}

// RefundDue is what the order is owed back: net money beyond its total (an edit lowered
// it). A cancelled order's refund is the cancellation's (code: domain.Order.Balance).
func (o Order) RefundDue() decimal.Decimal {
	if o.Status == Cancelled {
		return decimal.Zero
	}
	return decimal.Max(o.Net().Sub(o.Total), decimal.Zero)
}

// PaymentStatus summarises paid and refunded; code: domain.DerivePaymentStatus (the
// contract names the states, not the rule).
func (o Order) PaymentStatus() string {
	paid, refunded := o.Paid(), o.Refunded()
	switch {
	case paid.IsZero():
		return "pending"
	case refunded.IsPositive() && refunded.GreaterThanOrEqual(paid):
		return "refunded"
	case refunded.IsPositive():
		return "partially_refunded"
	case paid.GreaterThanOrEqual(o.Total):
		return "completed"
	}
	return "partially_paid"
}

// FulfillmentStatus summarises how many units shipped.
func (o Order) FulfillmentStatus() string {
	ordered, shipped := 0, 0
	for _, l := range o.Lines {
		ordered, shipped = ordered+l.Qty, shipped+l.Fulfilled
	}
	switch {
	case shipped == 0:
		return "unfulfilled"
	case shipped < ordered:
		return "partially_fulfilled"
	}
	return "fulfilled"
}

// Reservations are the units the order holds in stock, per SKU: every unshipped unit of
// an order that is not cancelled (API.md: reserved at creation, released on
// cancellation, leaving stock when shipped).
func (o Order) Reservations() map[string]int {
	out := map[string]int{}
	if o.Status == Cancelled {
		return out
	}
	for _, l := range o.Lines {
		if n := l.Qty - l.Fulfilled; n > 0 {
			out[l.SKU] += n
		}
	}
	return out
}

func (o *Order) payment(id string) *Payment {
	for i := range o.Payments {
		if o.Payments[i].ID == id {
			return &o.Payments[i]
		}
	}
	return &Payment{}
}

// SetIntent records the Stripe PaymentIntent of a card payment (the intent's answer
// names both).
func (o *Order) SetIntent(paymentID, intent string) {
	if p := o.payment(paymentID); p.ID != "" && intent != "" {
		p.Intent = intent
	}
}

func (o *Order) line(id string) *Line {
	for i := range o.Lines {
		if o.Lines[i].ID == id {
			return &o.Lines[i]
		}
	}
	return nil
}

// openIntents are card payments that may still bring money.
func (o Order) openIntents() int {
	n := 0
	for _, p := range o.Payments {
		if p.Gateway == "stripe" && (p.Status == PayPending || p.Status == PayFailed) {
			n++
		}
	}
	return n
}

// requested is how many units of each line open (requested) returns ask for.
func (o Order) requested() map[string]int {
	out := map[string]int{}
	for _, r := range o.Returns {
		if r.Status == ReturnRequested {
			for _, it := range r.Items {
				out[it.Line] += it.Qty
			}
		}
	}
	return out
}

// Returnable is how many units of each line may still be asked back: shipped, less
// returned, less asked for by open returns.
func (o Order) Returnable() map[string]int {
	req := o.requested()
	out := map[string]int{}
	for _, l := range o.Lines {
		out[l.ID] = max(l.Fulfilled-l.Returned-req[l.ID], 0)
	}
	return out
}

func sortedTags(tags []string) []string {
	out := slices.Clone(tags)
	sort.Strings(out)
	return out
}
