package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

var (
	fulfillmentsCreated = promauto.NewCounter(prometheus.CounterOpts{
		Name: "oms_fulfillments_created_total", Help: "Fulfillments (shipments) created."})
	trackingEvents = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "oms_tracking_events_total", Help: "Carrier events recorded, by status."}, []string{"status"})
)

// Fulfill ships some (in.Items) or all (in.Items nil) of what is left of a paid or
// processing order, in one transaction: the reserved stock is committed and leaves
// on_hand and reserved, the lines' fulfilled quantities grow, and the order moves to
// processing, then to shipped when nothing is left. It returns the shipment and the
// order after it.
func (s *Service) Fulfill(ctx context.Context, actor domain.Actor, idOrNumber string, in domain.FulfillmentRequest) (domain.Fulfillment, domain.Order, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return domain.Fulfillment{}, domain.Order{}, err
	}
	if !in.NotifyCustomer {
		ctx = Quietly(ctx)
	}
	var out domain.Fulfillment
	var order domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if st := domain.Status(row.Status); !st.Ships() {
			return domain.Errorf(domain.CodeInvalidTransition,
				"order %s is %s: only paid or processing orders can be fulfilled", row.OrderNumber, st)
		}
		o, err := orderFromRow(row)
		if err != nil {
			return err
		}
		if err := domain.CheckNotHeld(o); err != nil {
			return err
		}
		if err := domain.CheckPaidToShip(o); err != nil {
			return err
		}
		lines, err := q.ListItemsForOrders(ctx, []uuid.UUID{row.ID})
		if err != nil {
			return fmt.Errorf("items of %s: %w", row.OrderNumber, err)
		}
		plan, err := planShipment(lines, in.Items)
		if err != nil {
			return err
		}
		if err := shipStock(ctx, q, row, plan); err != nil {
			return err
		}
		ids, qtys := plan.arrays()
		if err := q.AddFulfilledQuantities(ctx, queries.AddFulfilledQuantitiesParams{OrderID: row.ID, ItemIds: ids, Quantities: qtys}); err != nil {
			return fmt.Errorf("fulfilled quantities of %s: %w", row.OrderNumber, err)
		}
		f, err := q.InsertFulfillment(ctx, queries.InsertFulfillmentParams{OrderID: row.ID, Carrier: in.Carrier,
			TrackingNumber: in.TrackingNumber, TrackingUrl: domain.TrackingURL(in.Carrier, in.TrackingNumber),
			NotifyCustomer: in.NotifyCustomer, ItemIds: ids, Quantities: qtys})
		if err != nil {
			return fmt.Errorf("fulfillment of %s: %w", row.OrderNumber, err)
		}

		fstatus := domain.DeriveFulfillmentStatus(plan.ordered, plan.fulfilledBefore+plan.shipped())
		if row, err = q.SetFulfillmentStatus(ctx, queries.SetFulfillmentStatusParams{ID: row.ID, FulfillmentStatus: string(fstatus)}); err != nil {
			return fmt.Errorf("fulfillment status of %s: %w", row.OrderNumber, err)
		}
		if err := addHistory(ctx, q, row, domain.HistoryFulfillment, string(fstatus),
			domain.ShipmentNote(plan.shipped(), in.Carrier, in.TrackingNumber), actor); err != nil {
			return err
		}
		if err := publish(ctx, q, row.ID, news{email: domain.EmailShipped, events: []domain.EventType{domain.EventFulfillmentCreated}, ref: f.ID}); err != nil {
			return err
		}
		if domain.Status(row.Status) == domain.StatusPaid {
			if row, err = s.changeStatus(ctx, q, row, domain.StatusProcessing, actor, ""); err != nil {
				return err
			}
		}
		if fstatus == domain.FulfillmentFulfilled {
			if row, err = s.changeStatus(ctx, q, row, domain.StatusShipped, actor, ""); err != nil {
				return err
			}
		}

		shipped := f.ShippedAt
		out = domain.Fulfillment{ID: f.ID.String(), Carrier: f.Carrier, TrackingNumber: f.TrackingNumber,
			TrackingURL: f.TrackingUrl, Status: f.Status, CreatedAt: f.CreatedAt, ShippedAt: &shipped,
			DeliveredAt: f.DeliveredAt, Events: []domain.TrackingEvent{}}
		for _, p := range plan.lines {
			out.Items = append(out.Items, domain.LineQuantity{OrderItemID: p.item.ID.String(), Quantity: p.qty})
		}
		order, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	if err != nil {
		return domain.Fulfillment{}, domain.Order{}, err
	}
	fulfillmentsCreated.Inc()
	return out, order, nil
}

// shipment is what one fulfillment takes from an order's lines.
type shipment struct {
	lines           []shipLine
	ordered         int // of the whole order
	fulfilledBefore int // of the whole order
}

type shipLine struct {
	item queries.OrderItem
	qty  int
}

func (p shipment) shipped() int {
	n := 0
	for _, l := range p.lines {
		n += l.qty
	}
	return n
}

func (p shipment) arrays() ([]uuid.UUID, []int32) {
	ids := make([]uuid.UUID, len(p.lines))
	qtys := make([]int32, len(p.lines))
	for i, l := range p.lines {
		ids[i], qtys[i] = l.item.ID, int32(l.qty)
	}
	return ids, qtys
}

// planShipment checks the requested quantities against what is left of each line (read
// under the order lock); nil items means everything left.
func planShipment(lines []queries.OrderItem, items []domain.LineQuantity) (shipment, error) {
	p := shipment{}
	byID := map[string]queries.OrderItem{}
	for _, l := range lines {
		p.ordered += int(l.Quantity)
		p.fulfilledBefore += int(l.FulfilledQuantity)
		byID[l.ID.String()] = l
	}
	if items == nil {
		for _, l := range lines {
			if left := int(l.Quantity - l.FulfilledQuantity); left > 0 {
				p.lines = append(p.lines, shipLine{item: l, qty: left})
			}
		}
		if len(p.lines) == 0 {
			return p, domain.Errorf(domain.CodeQuantityExceedsFulfillable, "every item of this order has already been fulfilled")
		}
		return p, nil
	}
	limits := make([]domain.LineLimit, len(lines))
	for i, l := range lines {
		limits[i] = domain.LineLimit{ID: l.ID.String(), SKU: l.Sku, Most: int(l.Quantity - l.FulfilledQuantity)}
	}
	asked := make([]domain.LineQuantity, len(items))
	for i, it := range items { // the same line may come spelt two ways (upper and lower case, braces)
		asked[i] = domain.LineQuantity{OrderItemID: normalizeUUID(it.OrderItemID), Quantity: it.Quantity}
	}
	unknown, over := domain.LineErrors{}, domain.LineErrors{}
	for _, f := range domain.CheckLineQuantities(limits, asked) {
		switch f.Kind {
		case domain.NotALine:
			unknown.Add(f.Index, "", "order_item_id", "is not a line of this order")
		case domain.RepeatedLine:
			unknown.Add(f.Index, f.Line.ID, "order_item_id", "appears more than once")
		case domain.TooMany:
			over.Add(f.Index, f.Line.ID, "quantity", fmt.Sprintf("only %d of %s left to fulfill", f.Line.Most, f.Line.SKU))
		}
	}
	if err := unknown.Err(domain.CodeValidationFailed, "the request has invalid fields"); err != nil {
		return p, err
	}
	if err := over.Err(domain.CodeQuantityExceedsFulfillable, "a quantity is more than is left to fulfill"); err != nil {
		return p, err
	}
	for _, it := range asked {
		p.lines = append(p.lines, shipLine{item: byID[it.OrderItemID], qty: it.Quantity})
	}
	return p, nil
}

// normalizeUUID spells a UUID the way uuid.UUID.String does, so that upper-case ids match.
func normalizeUUID(s string) string {
	if id, err := uuid.Parse(s); err == nil {
		return id.String()
	}
	return s
}

// shipStock commits the lines' reservations and takes the goods out of stock.
func shipStock(ctx context.Context, q *queries.Queries, row queries.Order, p shipment) error {
	ids, qtys := p.arrays()
	committed, err := q.SettleReservations(ctx, queries.SettleReservationsParams{ItemIds: ids, Quantities: qtys, OrderID: row.ID, ToStatus: "committed"})
	if err != nil {
		return fmt.Errorf("commit reservations of %s: %w", row.OrderNumber, err)
	}
	fromReserved := map[uuid.UUID]int{}
	for _, c := range committed {
		fromReserved[c.OrderItemID] = int(c.Settled)
	}
	type skuQty struct{ shipped, reserved int }
	bySKU := map[string]*skuQty{}
	for _, l := range p.lines {
		q := bySKU[l.item.Sku]
		if q == nil {
			q = &skuQty{}
			bySKU[l.item.Sku] = q
		}
		q.shipped += l.qty
		q.reserved += fromReserved[l.item.ID]
	}
	params := queries.ShipStockParams{}
	for sku, q := range bySKU {
		params.Skus = append(params.Skus, sku)
		params.Shipped = append(params.Shipped, int32(q.shipped))
		params.FromReserved = append(params.FromReserved, int32(q.reserved))
	}
	done, err := q.ShipStock(ctx, params)
	if err != nil {
		return fmt.Errorf("ship stock of %s: %w", row.OrderNumber, err)
	}
	if len(done) == len(params.Skus) {
		return nil
	}
	// Only possible when a reservation went missing: the goods are not there to ship.
	short := &domain.Error{Code: domain.CodeOutOfStock, Message: "not enough stock on hand to ship this",
		Fields: map[string]string{}, Lines: map[string]string{}}
	for _, l := range p.lines {
		if !slices.Contains(done, l.item.Sku) {
			short.Fields[l.item.Sku] = "not enough stock on hand to ship"
			short.Lines[l.item.ID.String()] = "not enough stock on hand to ship"
		}
	}
	return short
}

// AddTrackingEvent records a carrier's event for a fulfillment and moves the shipment's
// status to that of its latest event; when every shipment of a fully shipped order is
// delivered, the order becomes delivered.
func (s *Service) AddTrackingEvent(ctx context.Context, actor domain.Actor, fulfillmentID string, in domain.TrackingEventRequest) (domain.TrackingEventResult, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return domain.TrackingEventResult{}, err
	}
	if in.At.IsZero() {
		in.At = now
	}
	fid, err := uuid.Parse(fulfillmentID)
	if err != nil {
		return domain.TrackingEventResult{}, domain.NotFound("fulfillment")
	}
	var out domain.TrackingEventResult
	err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		f, err := q.GetFulfillment(ctx, fid)
		if err != nil {
			return notFound(err, "fulfillment")
		}
		// The order first, as every change to an order does; then the shipment as it is now.
		row, err := lockOrder(ctx, q, f.OrderID.String())
		if err != nil {
			return err
		}
		if f, err = q.GetFulfillment(ctx, fid); err != nil {
			return notFound(err, "fulfillment")
		}
		ev, err := q.InsertFulfillmentEvent(ctx, queries.InsertFulfillmentEventParams{FulfillmentID: fid,
			Status: in.Status, Description: in.Description, At: in.At})
		if err != nil {
			return fmt.Errorf("tracking event of %s: %w", row.OrderNumber, err)
		}
		// A change even when it moves no status (and so writes no history row).
		version, err := orderChanged(ctx, q, row.ID)
		if err != nil {
			return err
		}
		updated, err := q.RefreshFulfillmentStatus(ctx, fid)
		if err != nil {
			return fmt.Errorf("shipment status of %s: %w", row.OrderNumber, err)
		}
		if updated.Status != f.Status {
			if err := addHistory(ctx, q, row, domain.HistoryFulfillment, updated.Status, eventNote(updated, in), actor); err != nil {
				return err
			}
		}
		if err := publish(ctx, q, row.ID, news{events: []domain.EventType{domain.EventFulfillmentUpdated}, ref: fid}); err != nil {
			return err
		}
		if updated.Status == domain.ShipmentDelivered && domain.Status(row.Status) == domain.StatusShipped &&
			domain.FulfillmentStatus(row.FulfillmentStatus) == domain.FulfillmentFulfilled {
			left, err := q.CountUndeliveredFulfillments(ctx, row.ID)
			if err != nil {
				return fmt.Errorf("undelivered shipments of %s: %w", row.OrderNumber, err)
			}
			if left == 0 {
				if row, err = s.changeStatus(ctx, q, row, domain.StatusDelivered, actor, "every shipment delivered"); err != nil {
					return err
				}
			}
		}
		out = domain.TrackingEventResult{ID: ev.ID.String(), FulfillmentID: fid.String(),
			Event:             domain.TrackingEvent{Status: ev.Status, Description: ev.Description, At: ev.At},
			FulfillmentStatus: updated.Status, OrderStatus: domain.Status(row.Status), OrderVersion: version, CreatedAt: ev.CreatedAt}
		return nil
	})
	if err != nil {
		return domain.TrackingEventResult{}, err
	}
	trackingEvents.WithLabelValues(in.Status).Inc()
	return out, nil
}

// eventNote is the history note of a shipment's status change: "UPS 1Z999: delivered (Left at door)".
func eventNote(f queries.Fulfillment, in domain.TrackingEventRequest) string {
	note := "shipment"
	if f.Carrier != "" || f.TrackingNumber != "" {
		note = f.Carrier
		if f.TrackingNumber != "" {
			if note != "" {
				note += " "
			}
			note += f.TrackingNumber
		}
	}
	note += ": " + f.Status
	if in.Description != "" && in.Status == f.Status {
		note += " (" + in.Description + ")"
	}
	return note
}
