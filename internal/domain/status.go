package domain

import (
	"slices"
	"strings"
)

// Status is an order's lifecycle status.
type Status string

const (
	StatusCreated    Status = "created"
	StatusPending    Status = "pending"
	StatusPaid       Status = "paid"
	StatusProcessing Status = "processing"
	StatusShipped    Status = "shipped"
	StatusDelivered  Status = "delivered"
	StatusCancelled  Status = "cancelled"
	StatusReturned   Status = "returned"
	StatusRefunded   Status = "refunded"
)

// Statuses lists every order status in lifecycle order.
var Statuses = []Status{StatusCreated, StatusPending, StatusPaid, StatusProcessing, StatusShipped,
	StatusDelivered, StatusReturned, StatusRefunded, StatusCancelled}

// transitions is the one table of allowed status changes, by any path (API, staff pages, jobs).
var transitions = map[Status][]Status{
	StatusCreated:    {StatusPending, StatusCancelled},
	StatusPending:    {StatusPaid, StatusCancelled},
	StatusPaid:       {StatusProcessing, StatusCancelled},
	StatusProcessing: {StatusShipped, StatusCancelled},
	StatusShipped:    {StatusDelivered},
	StatusDelivered:  {StatusReturned},
	StatusReturned:   {StatusRefunded},
	StatusCancelled:  nil,
	StatusRefunded:   nil,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Final reports whether no transition leaves s.
func (s Status) Final() bool { return s.Valid() && len(transitions[s]) == 0 }

// ShippingStatuses are those whose orders may be fulfilled: only paid or processing
// orders ship.
var ShippingStatuses = []Status{StatusPaid, StatusProcessing}

// Ships reports whether an order in status s may be fulfilled.
func (s Status) Ships() bool { return slices.Contains(ShippingStatuses, s) }

// Next returns the statuses an order in s may move to, the natural next step first.
func (s Status) Next() []Status { return slices.Clone(transitions[s]) }

// CanTransition reports whether the table allows from -> to.
func CanTransition(from, to Status) bool {
	return slices.Contains(transitions[from], to)
}

// CheckTransition returns an invalid_transition error naming the allowed next states
// unless the table allows from -> to.
func CheckTransition(from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	if !to.Valid() {
		return &Error{Code: CodeValidationFailed, Message: "unknown status " + quote(string(to)),
			Fields: map[string]string{"status": "must be one of " + joinStatuses(Statuses)}}
	}
	next := transitions[from]
	allowed := "none: " + string(from) + " is final"
	if len(next) > 0 {
		allowed = joinStatuses(next)
	}
	return Errorf(CodeInvalidTransition, "cannot go from %s to %s; allowed next: %s", from, to, allowed)
}

// PathTo returns the statuses to pass through to get from -> to along the table's
// forward path (e.g. created -> pending -> paid), or nil when to is not reachable that way.
// Cancellation is never part of a path: it is always a direct step.
func PathTo(from, to Status) []Status {
	var path []Status
	for cur := from; cur != to; {
		next := transitions[cur]
		if len(next) == 0 || next[0] == StatusCancelled {
			return nil
		}
		cur = next[0]
		path = append(path, cur)
	}
	return path
}

func joinStatuses(ss []Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

func quote(s string) string { return "\"" + s + "\"" }

// PaymentStatus summarises money received and returned for an order.
type PaymentStatus string

const (
	PaymentPending           PaymentStatus = "pending"
	PaymentPartiallyPaid     PaymentStatus = "partially_paid"
	PaymentCompleted         PaymentStatus = "completed"
	PaymentPartiallyRefunded PaymentStatus = "partially_refunded"
	PaymentRefunded          PaymentStatus = "refunded"
)

// PaymentStatuses lists every payment status.
var PaymentStatuses = []PaymentStatus{PaymentPending, PaymentPartiallyPaid, PaymentCompleted,
	PaymentPartiallyRefunded, PaymentRefunded}

// FulfillmentStatus summarises how much of an order has shipped.
type FulfillmentStatus string

const (
	FulfillmentUnfulfilled        FulfillmentStatus = "unfulfilled"
	FulfillmentPartiallyFulfilled FulfillmentStatus = "partially_fulfilled"
	FulfillmentFulfilled          FulfillmentStatus = "fulfilled"
)

// FulfillmentStatuses lists every fulfillment status.
var FulfillmentStatuses = []FulfillmentStatus{FulfillmentUnfulfilled, FulfillmentPartiallyFulfilled, FulfillmentFulfilled}
