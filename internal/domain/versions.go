package domain

import (
	"slices"

	"github.com/shopspring/decimal"
)

// Versions: every order has a version, 1 when it is created and one more with each
// change committed to it, whatever the change and whoever makes it. A client that read
// the order at some version may ask for its change to be made only if the order is still
// at that version (HTTP If-Match, a back-office form's hidden version): otherwise nothing
// is written, and it is told what the order is now.

// Precondition is the versions a change requires the order to be at.
type Precondition struct {
	// Versions the order may be at; none (only weak tags were named, which never match a
	// version: it is exact) refuses every change.
	Versions []int64
}

// Matches reports whether an order at version v meets the precondition.
func (p Precondition) Matches(v int64) bool { return slices.Contains(p.Versions, v) }

// Check returns nil when o meets the precondition, else a precondition_failed error
// carrying o.
func (p Precondition) Check(o Order) error {
	if p.Matches(o.Version) {
		return nil
	}
	e := &StaleError{Order: o}
	if len(p.Versions) == 0 {
		e.Err = Errorf(CodePreconditionFailed, "a weak ETag never matches an order's version: send its ETag, \"%d\"", o.Version)
		return e
	}
	e.Since = slices.Max(p.Versions)
	e.Err = Errorf(CodePreconditionFailed, "order %s changed since version %d: it is at version %d", o.Number, e.Since, o.Version)
	return e
}

// StaleError is precondition_failed: the order changed since the version a change was
// planned on. It carries the order as it is now.
type StaleError struct {
	Err   *Error
	Order Order
	Since int64 // the version the change was planned on; 0 when none was named
}

func (e *StaleError) Error() string { return e.Err.Error() }
func (e *StaleError) Unwrap() error { return e.Err }

// Changes are the entries of the order's history made since the version the change was
// planned on, oldest first: what changed meanwhile.
func (e *StaleError) Changes() []HistoryEntry {
	var out []HistoryEntry
	for _, h := range e.Order.History {
		if h.Version > e.Since {
			out = append(out, h)
		}
	}
	return out
}

// orderFields are the order's fields that a change can touch, by their names in the
// API's JSON, each with how to tell whether two orders differ in it.
var orderFields = []struct {
	name string
	same func(a, b Order) bool
}{
	{"status", func(a, b Order) bool { return a.Status == b.Status }},
	{"payment_status", func(a, b Order) bool { return a.PaymentStatus == b.PaymentStatus }},
	{"fulfillment_status", func(a, b Order) bool { return a.FulfillmentStatus == b.FulfillmentStatus }},
	{"subtotal", sameAmount(func(o Order) decimal.Decimal { return o.Subtotal })},
	{"discount", sameAmount(func(o Order) decimal.Decimal { return o.Discount })},
	{"manual_discount", sameAmount(func(o Order) decimal.Decimal { return o.ManualDiscount })},
	{"shipping", sameAmount(func(o Order) decimal.Decimal { return o.Shipping })},
	{"tax", sameAmount(func(o Order) decimal.Decimal { return o.Tax })},
	{"total", sameAmount(func(o Order) decimal.Decimal { return o.Total })},
	{"customer", func(a, b Order) bool { return a.Customer == b.Customer }},
	{"shipping_address", func(a, b Order) bool { return a.ShippingAddress == b.ShippingAddress }},
	{"billing_address", func(a, b Order) bool { return a.BillingAddress == b.BillingAddress }},
	{"notes", func(a, b Order) bool { return a.Notes == b.Notes }},
	{"tags", func(a, b Order) bool { return slices.Equal(a.Tags, b.Tags) }},
	{"hold", func(a, b Order) bool { return sameHold(a.Hold, b.Hold) }},
	{"items", func(a, b Order) bool { return slices.EqualFunc(a.Items, b.Items, sameItem) }},
}

func sameAmount(f func(Order) decimal.Decimal) func(a, b Order) bool {
	return func(a, b Order) bool { return f(a).Equal(f(b)) }
}

func sameHold(a, b *Hold) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Reason == b.Reason && a.By == b.By && a.At.Equal(b.At)
}

func sameItem(a, b OrderItem) bool {
	return a.ID == b.ID && a.Quantity == b.Quantity && a.UnitPrice.Equal(b.UnitPrice) && a.Total.Equal(b.Total) &&
		a.FulfilledQuantity == b.FulfilledQuantity && a.ReturnedQuantity == b.ReturnedQuantity
}

// ChangedFields names the fields (as the API's JSON names them) in which after differs
// from before: what an order.updated webhook says changed.
func ChangedFields(before, after Order) []string {
	var out []string
	for _, f := range orderFields {
		if !f.same(before, after) {
			out = append(out, f.name)
		}
	}
	return out
}
