package domain

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// EmailKind is a kind of email the customer gets; admins switch each on or off and
// edit its subject and text.
type EmailKind string

const (
	EmailOrderConfirmed EmailKind = "order_confirmed" // the order is paid
	EmailShipped        EmailKind = "shipped"         // a package left, with its tracking
	EmailDelivered      EmailKind = "delivered"
	EmailCancelled      EmailKind = "cancelled"
	EmailRefundIssued   EmailKind = "refund_issued" // a refund succeeded
	// EmailReturnRequested: a return was opened in the customer's name (by them, or by
	// staff), so that they learn of one they did not make.
	EmailReturnRequested EmailKind = "return_requested"
	EmailReturnApproved  EmailKind = "return_approved"
	EmailReturnReceived  EmailKind = "return_received"
)

// EmailKinds are every kind, in the order Settings lists them.
var EmailKinds = []EmailKind{EmailOrderConfirmed, EmailShipped, EmailDelivered, EmailCancelled,
	EmailRefundIssued, EmailReturnRequested, EmailReturnApproved, EmailReturnReceived}

// Label is the kind as people read it: "Order confirmed".
func (k EmailKind) Label() string {
	s := strings.ReplaceAll(string(k), "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// EmailPlaceholders are what an email's subject and text may contain, filled in when it
// is sent; anything else in braces stays as written.
var EmailPlaceholders = []string{"{order_number}", "{customer_name}", "{shop_name}", "{tracking_url}",
	"{carrier}", "{tracking_number}", "{refund_amount}"}

// EmailTemplate is what an admin edits for one kind.
type EmailTemplate struct {
	Kind    EmailKind
	Enabled bool
	Subject string
	Body    string
}

// Check refuses a subject or text that cannot be sent.
func (t EmailTemplate) Check() error {
	fe := FieldErrors{}
	switch n := utf8.RuneCountInString(strings.TrimSpace(t.Subject)); {
	case n == 0:
		fe["subject"] = "is required"
	case n > 200:
		fe["subject"] = "must be at most 200 characters"
	case strings.ContainsAny(t.Subject, "\r\n"):
		fe["subject"] = "must be one line"
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(t.Body)); {
	case n == 0:
		fe["body"] = "is required"
	case n > 5000:
		fe["body"] = "must be at most 5000 characters"
	}
	if !slices.Contains(EmailKinds, t.Kind) {
		return NotFound("email kind")
	}
	return fe.Err()
}

// EventType is what an outbound webhook is about.
type EventType string

const (
	EventOrderCreated       EventType = "order.created"
	EventOrderStatusChanged EventType = "order.status_changed"
	EventOrderPaid          EventType = "order.paid"
	EventOrderCancelled     EventType = "order.cancelled"
	EventOrderUpdated       EventType = "order.updated" // an edit, contact, address, tags or hold: data.changed names the fields
	EventFulfillmentCreated EventType = "fulfillment.created"
	EventFulfillmentUpdated EventType = "fulfillment.updated"
	EventReturnRequested    EventType = "return.requested"
	EventReturnApproved     EventType = "return.approved"
	EventReturnRejected     EventType = "return.rejected"
	EventReturnReceived     EventType = "return.received"
	EventRefundCreated      EventType = "refund.created"
	EventRefundUpdated      EventType = "refund.updated"
	EventOrderLate          EventType = "order.late" // its shipping deadline passed (once per order)
)

// EventTypes are every event type, in the contract's order.
var EventTypes = []EventType{EventOrderCreated, EventOrderStatusChanged, EventOrderPaid, EventOrderCancelled,
	EventOrderUpdated, EventFulfillmentCreated, EventFulfillmentUpdated, EventReturnRequested, EventReturnApproved,
	EventReturnRejected, EventReturnReceived, EventRefundCreated, EventRefundUpdated, EventOrderLate}

// ParseEventTypes checks a webhook endpoint's events: at least one, each known, each once
// (in EventTypes' order).
func ParseEventTypes(in []string) ([]EventType, error) {
	var out []EventType
	for _, s := range in {
		ev := EventType(strings.TrimSpace(s))
		if !slices.Contains(EventTypes, ev) {
			return nil, FieldErrors{"events": fmt.Sprintf("unknown event type %.60q", s)}.Err()
		}
		if !slices.Contains(out, ev) {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		return nil, FieldErrors{"events": "choose at least one event"}.Err()
	}
	slices.SortFunc(out, func(a, b EventType) int { return slices.Index(EventTypes, a) - slices.Index(EventTypes, b) })
	return out, nil
}

// Message states: an email or webhook request is queued, sent, retrying after a
// failure, or failed for good (given up).
const (
	MessageQueued   = "queued"
	MessageSent     = "sent"
	MessageRetrying = "retrying"
	MessageFailed   = "failed"
)
