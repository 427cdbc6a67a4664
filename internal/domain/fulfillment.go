package domain

import (
	"fmt"
	"strings"
	"time"
)

// Fulfillment (shipment) statuses: a new fulfillment is shipped; carrier events move it on.
const (
	ShipmentShipped        = "shipped"
	ShipmentInTransit      = "in_transit"
	ShipmentOutForDelivery = "out_for_delivery"
	ShipmentDelivered      = "delivered"
	ShipmentException      = "exception"
)

// TrackingEventStatuses are the statuses a carrier event may report.
var TrackingEventStatuses = []string{ShipmentInTransit, ShipmentOutForDelivery, ShipmentDelivered, ShipmentException}

// FulfillmentRequest asks to ship some of an order's items. Items nil means everything
// still to be shipped.
type FulfillmentRequest struct {
	Items          []LineQuantity
	Carrier        string
	TrackingNumber string
	NotifyCustomer bool
}

// Normalize trims the free text and spells a known carrier its own way.
func (r *FulfillmentRequest) Normalize() {
	r.Carrier = CanonicalCarrier(r.Carrier)
	r.TrackingNumber = strings.TrimSpace(r.TrackingNumber)
	for i := range r.Items {
		r.Items[i].OrderItemID = strings.TrimSpace(r.Items[i].OrderItemID)
	}
}

// Validate checks what needs no database; field names are the request's JSON paths.
func (r FulfillmentRequest) Validate() error {
	fe := FieldErrors{}
	ValidateShipment(fe, r.Carrier, r.TrackingNumber)
	if r.Items != nil && len(r.Items) == 0 {
		fe.Add("items", "must have at least one line (omit items to ship everything left)")
	}
	if len(r.Items) > MaxOrderLines {
		fe.Add("items", fmt.Sprintf("must have at most %d lines", MaxOrderLines))
		return fe.Err()
	}
	le := LineErrors{Fields: fe}
	seen := map[string]bool{}
	for i, it := range r.Items {
		switch {
		case it.OrderItemID == "":
			le.Add(i, "", "order_item_id", "is required")
		case seen[it.OrderItemID]:
			le.Add(i, it.OrderItemID, "order_item_id", "appears more than once")
		}
		seen[it.OrderItemID] = true
		if it.Quantity < 1 {
			le.Add(i, it.OrderItemID, "quantity", "must be at least 1")
		}
	}
	return le.Err(CodeValidationFailed, "the request has invalid fields")
}

// ShipmentNote is the history note of a fulfillment: "2 items shipped via UPS 1Z999".
func ShipmentNote(items int, carrier, tracking string) string {
	note := fmt.Sprintf("%d items shipped", items)
	if items == 1 {
		note = "1 item shipped"
	}
	if carrier != "" {
		note += " via " + carrier
	}
	if tracking != "" {
		note += " " + tracking
	}
	return note
}

// TrackingEventRequest is a carrier's scan of a shipment, as reported to us.
type TrackingEventRequest struct {
	Status      string
	Description string
	At          time.Time // zero: now
}

// TrackingEventResult is a recorded carrier event with what it changed.
type TrackingEventResult struct {
	ID                string
	FulfillmentID     string
	Event             TrackingEvent
	FulfillmentStatus string // the shipment's status after the event
	OrderStatus       Status // the order's status after the event
	OrderVersion      int64  // the order's version after the event
	CreatedAt         time.Time
}

// MaxEventDescription is the length limit of a carrier event's description.
const MaxEventDescription = 1000

// eventClockSkew is how far in the future a carrier's timestamp may be: clocks differ,
// but an event cannot be reported before it happens.
const eventClockSkew = 10 * time.Minute

// Validate checks the event against now; the status is required.
func (r TrackingEventRequest) Validate(now time.Time) error {
	fe := FieldErrors{}
	valid := false
	for _, s := range TrackingEventStatuses {
		valid = valid || r.Status == s
	}
	switch {
	case r.Status == "":
		fe.Add("status", "is required")
	case !valid:
		fe.Add("status", "must be one of "+strings.Join(TrackingEventStatuses, ", "))
	}
	validateText(fe, "description", r.Description, MaxEventDescription, false)
	if r.At.After(now.Add(eventClockSkew)) {
		fe.Add("at", "must not be in the future")
	}
	if !r.At.IsZero() && r.At.Year() < 2000 {
		fe.Add("at", "must be a recent time")
	}
	return fe.Err()
}

// TrackingView is everything a customer may see of their order: no notes, staff, addresses
// or payment details, by construction.
type TrackingView struct {
	OrderNumber  string
	Status       Status
	PlacedAt     time.Time
	Items        []TrackingItem
	Fulfillments []Fulfillment // only the carrier-facing fields are shown
	Timeline     []TimelineStep
	Returns      []TrackingReturn
	ReturnsUntil *time.Time // until when the customer may ask for a return; nil: not delivered
}

// TrackingItem is one line as the customer sees it.
type TrackingItem struct {
	ID         string
	Name       string
	Quantity   int
	Returnable int // delivered, not returned, not asked for by an open return
}

// TrackingReturn is one of the order's returns as the customer sees it: no staff note.
type TrackingReturn struct {
	ID        string
	Status    string
	Reason    string
	Items     []TrackingReturnLine
	CreatedAt time.Time
}

// TrackingReturnLine is a line of a return, named.
type TrackingReturnLine struct {
	ItemID   string
	Name     string
	Quantity int
	Reason   string
}

// TimelineStep is one status change of the order.
type TimelineStep struct {
	Status Status
	At     time.Time
}

// NewTrackingView takes from o only what a customer may see at now; returnWindow is how
// long after delivery the customer may ask for a return (outside it nothing is returnable).
func NewTrackingView(o Order, returnWindow time.Duration, now time.Time) TrackingView {
	v := TrackingView{OrderNumber: o.Number, Status: o.Status, PlacedAt: o.CreatedAt,
		Items: []TrackingItem{}, Fulfillments: []Fulfillment{}, Timeline: []TimelineStep{}, Returns: []TrackingReturn{},
		ReturnsUntil: CustomerReturnsUntil(o, returnWindow)}
	returnable := map[string]int{} // none before delivery, though shipped lines count for staff
	if v.ReturnsOpen(now) {
		returnable = o.Returnable()
	}
	names := map[string]string{}
	for _, it := range o.Items {
		v.Items = append(v.Items, TrackingItem{ID: it.ID, Name: it.Name, Quantity: it.Quantity, Returnable: returnable[it.ID]})
		names[it.ID] = it.Name
	}
	for _, f := range o.Fulfillments {
		v.Fulfillments = append(v.Fulfillments, Fulfillment{Carrier: f.Carrier, TrackingNumber: f.TrackingNumber,
			TrackingURL: f.TrackingURL, Status: f.Status, Events: f.Events, ShippedAt: f.ShippedAt, DeliveredAt: f.DeliveredAt})
	}
	for _, h := range o.History {
		if h.Kind == HistoryStatus {
			v.Timeline = append(v.Timeline, TimelineStep{Status: Status(h.Status), At: h.At})
		}
	}
	for _, r := range o.Returns {
		tr := TrackingReturn{ID: r.ID, Status: r.Status, Reason: r.Reason, CreatedAt: r.CreatedAt}
		for _, it := range r.Items {
			tr.Items = append(tr.Items, TrackingReturnLine{ItemID: it.OrderItemID, Name: names[it.OrderItemID], Quantity: it.Quantity, Reason: it.Reason})
		}
		v.Returns = append(v.Returns, tr)
	}
	return v
}

// ReturnsOpen reports whether the customer may ask for a return at now.
func (v TrackingView) ReturnsOpen(now time.Time) bool {
	return v.ReturnsUntil != nil && !now.After(*v.ReturnsUntil)
}
