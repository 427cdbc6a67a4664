package service

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// PatchOrder changes an order's customer, addresses and notes until something of it
// ships, in one transaction; the history says what changed from what. A patch that
// changes nothing writes nothing. A new destination (country or region) reprices the
// order, since its tax and shipping depend on it.
func (s *Service) PatchOrder(ctx context.Context, actor domain.Actor, idOrNumber string, p domain.OrderPatch) (domain.Order, error) {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return domain.Order{}, err
	}
	var out domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		o, err := s.getOrder(ctx, q, row.ID.String())
		if err != nil {
			return err
		}
		if err := domain.CheckContactEditable(o); err != nil {
			return err
		}
		before := o
		changes := p.Apply(&o)
		if len(changes) == 0 {
			out = o
			return nil
		}
		ship, _ := json.Marshal(o.ShippingAddress) // plain strings: cannot fail
		bill, _ := json.Marshal(o.BillingAddress)
		if row, err = q.SetOrderContact(ctx, queries.SetOrderContactParams{ID: row.ID, CustomerEmail: o.Customer.Email,
			CustomerName: o.Customer.Name, CustomerPhone: o.Customer.Phone, ShippingAddress: ship, BillingAddress: bill,
			Notes: o.Notes}); err != nil {
			return fmt.Errorf("contact of %s: %w", row.OrderNumber, err)
		}
		if o.ShippingAddress.Country != before.ShippingAddress.Country || o.ShippingAddress.Region != before.ShippingAddress.Region {
			var more []string
			if row, more, err = s.repriceOrder(ctx, q, row, o.Items); err != nil {
				return err
			}
			changes = append(changes, more...)
		}
		if err := addHistory(ctx, q, row, domain.HistoryEdit, "", strings.Join(changes, "; "), actor); err != nil {
			return err
		}
		if row, err = s.followMoney(ctx, q, row, actor); err != nil { // a lower total may be paid in full now
			return err
		}
		out, err = s.publishUpdated(ctx, q, row.ID, before)
		return err
	})
	return out, err
}

// publishUpdated reads an order after an edit and publishes order.updated naming the
// fields the edit changed since before.
func (s *Service) publishUpdated(ctx context.Context, q *queries.Queries, id uuid.UUID, before domain.Order) (domain.Order, error) {
	after, err := s.getOrder(ctx, q, id.String())
	if err != nil {
		return after, err
	}
	return after, publish(ctx, q, id, updatedNews(domain.ChangedFields(before, after)...))
}

// EditPreview is what an edit would make of an order, computed as EditOrder computes it,
// without writing anything.
type EditPreview struct {
	Before  domain.Order
	After   domain.Order // lines, totals, payment status and balance after the edit
	Changes []string
}

// PreviewEdit prices an edit without making it: the same plan and pricing as EditOrder,
// read without locking anything. Stock is checked only when the edit is made.
func (s *Service) PreviewEdit(ctx context.Context, idOrNumber string, e domain.OrderEdit) (EditPreview, error) {
	e.Normalize()
	if err := e.Validate(); err != nil {
		return EditPreview{}, err
	}
	q := queries.New(s.pool)
	row, err := findOrder(ctx, q, idOrNumber)
	if err != nil {
		return EditPreview{}, err
	}
	o, plan, err := s.planEdit(ctx, q, row, e)
	if err != nil {
		return EditPreview{}, err
	}
	t, err := s.totals(ctx, q, row, plan.Items, o.ShippingAddress)
	if err != nil {
		return EditPreview{}, err
	}
	after := o
	after.Items = plan.Items
	after.Subtotal, after.Discount, after.Shipping, after.Tax, after.Total = t.Subtotal, t.Discount, t.Shipping, t.Tax, t.Total
	after.PaymentStatus = domain.DerivePaymentStatus(t.Total, o.Paid, o.Refunded)
	return EditPreview{Before: o, After: after, Changes: plan.Changes}, nil
}

// EditOrder adds lines to an order and removes unshipped units, in one transaction under
// the order's lock: added lines are priced from the catalog now (existing lines keep the
// price they were sold at) and their stock reserved as a new order's is (out_of_stock
// otherwise, and nothing changes); removed units give their reserved stock back; the
// totals are recomputed (repriceOrder) and the payment status derived again, so the
// order shows what is outstanding or what is owed back (domain.Order.Balance). The
// history records the reason and each line's change.
func (s *Service) EditOrder(ctx context.Context, actor domain.Actor, idOrNumber string, e domain.OrderEdit) (domain.Order, error) {
	e.Normalize()
	if err := e.Validate(); err != nil {
		return domain.Order{}, err
	}
	var out domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		o, plan, err := s.planEdit(ctx, q, row, e)
		if err != nil {
			return err
		}
		if err := s.moveEditStock(ctx, q, row, e, plan); err != nil {
			return err
		}
		if err := writeEditLines(ctx, q, row, o, plan); err != nil {
			return err
		}
		row, more, err := s.repriceOrder(ctx, q, row, plan.Items)
		if err != nil {
			return err
		}
		note := strings.Join(append(plan.Changes, more...), "; ") + ". Reason: " + e.Reason
		if err := addHistory(ctx, q, row, domain.HistoryEdit, "", note, actor); err != nil {
			return err
		}
		if row, err = s.followMoney(ctx, q, row, actor); err != nil { // a lower total may be paid in full now
			return err
		}
		if row, err = s.followEditedLines(ctx, q, row, plan.Items, actor); err != nil {
			return err
		}
		out, err = s.publishUpdated(ctx, q, row.ID, o)
		return err
	})
	return out, err
}

// planEdit reads the order and the catalog prices of the added SKUs and plans the edit.
func (s *Service) planEdit(ctx context.Context, q *queries.Queries, row queries.Order, e domain.OrderEdit) (domain.Order, domain.EditPlan, error) {
	o, err := s.getOrder(ctx, q, row.ID.String())
	if err != nil {
		return domain.Order{}, domain.EditPlan{}, err
	}
	if err := domain.CheckLinesEditable(o); err != nil {
		return domain.Order{}, domain.EditPlan{}, err
	}
	for i := range e.Remove {
		e.Remove[i].OrderItemID = normalizeUUID(e.Remove[i].OrderItemID)
	}
	prices, err := catalogPrices(ctx, q, o, e.Add)
	if err != nil {
		return domain.Order{}, domain.EditPlan{}, err
	}
	plan, err := domain.PlanEdit(o.Items, e, prices, o.Currency)
	return o, plan, err
}

// catalogPrices prices the added SKUs as a new order's lines are priced: active
// products, in the order's currency, at their effective price now.
func catalogPrices(ctx context.Context, q *queries.Queries, o domain.Order, add []domain.ItemRequest) (map[string]domain.CatalogPrice, error) {
	prices := map[string]domain.CatalogPrice{}
	if len(add) == 0 {
		return prices, nil
	}
	skus := make([]string, len(add))
	for i, a := range add {
		skus[i] = a.SKU
	}
	rows, err := q.PricingContext(ctx, queries.PricingContextParams{Country: o.ShippingAddress.Country,
		Region: o.ShippingAddress.Region, Skus: skus})
	if err != nil {
		return nil, fmt.Errorf("catalog prices: %w", err)
	}
	bySKU := map[string]queries.PricingContextRow{}
	for _, r := range rows {
		bySKU[r.Sku] = r
	}
	fe := domain.FieldErrors{}
	for i, a := range add {
		r, ok := bySKU[a.SKU]
		field := fmt.Sprintf("add[%d].sku", i)
		switch {
		case !ok:
			fe.Add(field, "unknown SKU "+a.SKU)
		case !r.Active:
			fe.Add(field, "product "+a.SKU+" is not available")
		case r.Currency != o.Currency:
			fe.Add(field, "is priced in "+r.Currency+"; this order is in "+o.Currency)
		default:
			prices[a.SKU] = domain.CatalogPrice{Name: r.Name,
				UnitPrice: domain.Product{Price: r.Price, SalePrice: r.SalePrice}.EffectivePrice()}
		}
	}
	if len(fe) > 0 {
		return nil, &domain.Error{Code: domain.CodeProductUnavailable, Message: "some items cannot be added", Fields: fe}
	}
	return prices, nil
}

// moveEditStock releases the reserved stock of the removed units and reserves the added
// lines' stock, in one statement over the SKUs in SKU order (the lock order of every
// stock write). A SKU short of stock refuses the edit: out_of_stock naming its lines.
func (s *Service) moveEditStock(ctx context.Context, q *queries.Queries, row queries.Order, e domain.OrderEdit, plan domain.EditPlan) error {
	delta := map[string]int{}
	if len(plan.Reduced) > 0 {
		ids := slices.Sorted(maps.Keys(plan.Reduced))
		uids, qtys := make([]uuid.UUID, len(ids)), make([]int32, len(ids))
		for i, id := range ids {
			uids[i], qtys[i] = uuid.MustParse(id), int32(plan.Reduced[id])
		}
		released, err := q.SettleReservations(ctx, queries.SettleReservationsParams{OrderID: row.ID, ItemIds: uids, Quantities: qtys, ToStatus: "released"})
		if err != nil {
			return fmt.Errorf("release stock of %s: %w", row.OrderNumber, err)
		}
		for _, r := range released {
			delta[r.Sku] -= int(r.Settled)
		}
	}
	for _, a := range plan.Added {
		delta[a.SKU] += a.Quantity
	}
	skus := slices.Sorted(maps.Keys(delta))
	deltas := make([]int32, len(skus))
	for i, sku := range skus {
		deltas[i] = int32(delta[sku])
	}
	if len(skus) == 0 {
		return nil
	}
	done, err := q.AdjustReserved(ctx, queries.AdjustReservedParams{Skus: skus, Deltas: deltas})
	if err != nil {
		return fmt.Errorf("reserve stock for %s: %w", row.OrderNumber, err)
	}
	if len(done) == len(skus) {
		return nil
	}
	outOfStock.Inc()
	levels, err := q.StockLevels(ctx, skus)
	if err != nil {
		return fmt.Errorf("read stock levels: %w", err)
	}
	available := map[string]int{}
	for _, l := range levels {
		available[l.Sku] = int(l.OnHand - l.Reserved)
	}
	fe := domain.FieldErrors{}
	for i, a := range e.Add {
		if !slices.Contains(done, a.SKU) {
			fe.Add(fmt.Sprintf("add[%d].sku", i), fmt.Sprintf("requested %d, %d available", delta[a.SKU], max(0, available[a.SKU])))
		}
	}
	short := slices.Sorted(maps.Keys(fe))
	return &domain.Error{Code: domain.CodeOutOfStock, Message: "not enough stock for " + strings.Join(short, ", "), Fields: fe}
}

// writeEditLines writes the plan's lines: fewer units, lines gone, new lines (last, each
// with its reservation).
func writeEditLines(ctx context.Context, q *queries.Queries, row queries.Order, before domain.Order, plan domain.EditPlan) error {
	left := map[string]domain.OrderItem{}
	for _, it := range plan.Items {
		left[it.ID] = it
	}
	var setIDs, goneIDs []uuid.UUID
	var setQtys []int32
	var setTotals []decimal.Decimal
	for _, it := range before.Items {
		if plan.Reduced[it.ID] == 0 {
			continue
		}
		if l, ok := left[it.ID]; ok {
			setIDs, setQtys, setTotals = append(setIDs, uuid.MustParse(it.ID)), append(setQtys, int32(l.Quantity)), append(setTotals, l.Total)
		} else {
			goneIDs = append(goneIDs, uuid.MustParse(it.ID))
		}
	}
	if len(setIDs) > 0 {
		if err := q.SetLineQuantities(ctx, queries.SetLineQuantitiesParams{OrderID: row.ID, ItemIds: setIDs, Quantities: setQtys, Totals: setTotals}); err != nil {
			return fmt.Errorf("lines of %s: %w", row.OrderNumber, err)
		}
	}
	if len(goneIDs) > 0 {
		if err := q.DeleteOrderLines(ctx, queries.DeleteOrderLinesParams{OrderID: row.ID, ItemIds: goneIDs}); err != nil {
			return fmt.Errorf("remove lines of %s: %w", row.OrderNumber, err)
		}
	}
	if len(plan.Added) == 0 {
		return nil
	}
	lines, err := q.ListItemsForOrders(ctx, []uuid.UUID{row.ID})
	if err != nil {
		return fmt.Errorf("lines of %s: %w", row.OrderNumber, err)
	}
	var last int32
	for _, l := range lines {
		last = max(last, l.Position)
	}
	p := queries.InsertOrderLinesParams{OrderID: row.ID}
	for i, a := range plan.Added {
		p.ItemIds = append(p.ItemIds, newID())
		p.Positions = append(p.Positions, last+int32(i)+1)
		p.Skus = append(p.Skus, a.SKU)
		p.Names = append(p.Names, a.Name)
		p.Quantities = append(p.Quantities, int32(a.Quantity))
		p.UnitPrices = append(p.UnitPrices, a.UnitPrice)
		p.LineTotals = append(p.LineTotals, a.Total)
	}
	if err := q.InsertOrderLines(ctx, p); err != nil {
		return fmt.Errorf("add lines to %s: %w", row.OrderNumber, err)
	}
	return nil
}

// repriceOrder is the one place an existing order's totals are computed again (after an
// edit of its lines or of its destination): the lines as they now are, the destination's
// tax and shipping rates now, and the order's coupon, through domain.ComputeTotals. It
// writes the amounts, the payment status derived from them, and the columns kept from
// the lines (item_count, line_summary), and says how the total moved. A coupon whose
// minimum the new subtotal misses refuses the change (coupon_invalid): staff remove
// units knowing the discount holds, or not at all.
func (s *Service) repriceOrder(ctx context.Context, q *queries.Queries, row queries.Order, items []domain.OrderItem) (queries.Order, []string, error) {
	o, err := orderFromRow(row)
	if err != nil {
		return row, nil, err
	}
	t, err := s.totals(ctx, q, row, items, o.ShippingAddress)
	if err != nil {
		return row, nil, err
	}
	if !t.Total.Equal(row.Total) {
		// A card payment in flight was asked for the old total: what it brings could no
		// longer be booked whole. The total waits until it succeeds or is cancelled.
		open, err := q.OpenIntents(ctx, row.ID)
		if err != nil {
			return row, nil, fmt.Errorf("open card payments of %s: %w", row.OrderNumber, err)
		}
		if len(open) > 0 {
			return row, nil, domain.Errorf(domain.CodeInvalidTransition,
				"order %s has a card payment in progress for %s %s: change its total once that payment succeeds or is cancelled",
				row.OrderNumber, domain.FormatAmount(open[0].Amount, row.Currency), row.Currency)
		}
	}
	count := 0
	for _, it := range items {
		count += it.Quantity
	}
	ps := domain.DerivePaymentStatus(t.Total, row.Paid, row.Refunded)
	updated, err := q.SetOrderAmounts(ctx, queries.SetOrderAmountsParams{ID: row.ID, Subtotal: t.Subtotal, Discount: t.Discount,
		ManualDiscount: t.ManualDiscount,
		Shipping:       t.Shipping, Tax: t.Tax, Total: t.Total, PaymentStatus: string(ps), ItemCount: int32(count),
		LineSummary: domain.LineSummary(items)})
	if err != nil {
		return row, nil, fmt.Errorf("amounts of %s: %w", row.OrderNumber, err)
	}
	var changes []string
	money := func(d decimal.Decimal) string { return domain.FormatAmount(d, row.Currency) }
	if !t.ManualDiscount.Equal(row.ManualDiscount) {
		changes = append(changes, fmt.Sprintf("manual discount %s → %s %s (never more than the subtotal after the coupon)",
			money(row.ManualDiscount), money(t.ManualDiscount), row.Currency))
	}
	if !t.Total.Equal(row.Total) {
		changes = append(changes, fmt.Sprintf("total %s → %s %s", money(row.Total), money(t.Total), row.Currency))
	}
	if string(ps) != row.PaymentStatus {
		changes = append(changes, fmt.Sprintf("payment %s → %s", row.PaymentStatus, ps))
	}
	return updated, changes, nil
}

// totals prices lines for an order shipping to dest, as repriceOrder writes them.
func (s *Service) totals(ctx context.Context, q *queries.Queries, row queries.Order, items []domain.OrderItem, dest domain.Address) (domain.Totals, error) {
	rates, err := q.DestinationRates(ctx, queries.DestinationRatesParams{Country: dest.Country, Region: dest.Region, Currency: row.Currency})
	if err != nil {
		return domain.Totals{}, fmt.Errorf("rates for %s: %w", row.OrderNumber, err)
	}
	// The manual discount stored is what was applied: an edit keeps it, or shrinks it when
	// the lines left are worth less.
	in := domain.TotalsInput{Currency: row.Currency, TaxRate: rates.TaxRate, ManualDiscount: row.ManualDiscount,
		Shipping: &domain.ShippingRate{Amount: rates.ShippingAmount, FreeAbove: rates.ShippingFreeAbove}}
	for _, it := range items {
		in.Lines = append(in.Lines, domain.Line{UnitPrice: it.UnitPrice, Quantity: it.Quantity})
	}
	if row.CouponID.Valid {
		// The coupon the order was placed with still applies, even if it has expired or
		// been used up since: the customer was granted it.
		c, err := q.GetCouponByID(ctx, row.CouponID.UUID)
		if err != nil {
			return domain.Totals{}, fmt.Errorf("coupon of %s: %w", row.OrderNumber, err)
		}
		coupon := couponFromRow(c).Coupon
		in.Coupon = &coupon
	}
	return domain.ComputeTotals(in)
}

// followEditedLines keeps the fulfillment status true to the lines: removing the last
// unshipped units of a partly shipped order leaves it shipped in full.
func (s *Service) followEditedLines(ctx context.Context, q *queries.Queries, row queries.Order, items []domain.OrderItem, actor domain.Actor) (queries.Order, error) {
	ordered, fulfilled := 0, 0
	for _, it := range items {
		ordered, fulfilled = ordered+it.Quantity, fulfilled+it.FulfilledQuantity
	}
	fs := domain.DeriveFulfillmentStatus(ordered, fulfilled)
	if string(fs) == row.FulfillmentStatus {
		return row, nil
	}
	row, err := q.SetFulfillmentStatus(ctx, queries.SetFulfillmentStatusParams{ID: row.ID, FulfillmentStatus: string(fs)})
	if err != nil {
		return row, fmt.Errorf("fulfillment status of %s: %w", row.OrderNumber, err)
	}
	if err := addHistory(ctx, q, row, domain.HistoryFulfillment, string(fs), "what was left to ship was removed by an edit", actor); err != nil {
		return row, err
	}
	if fs == domain.FulfillmentFulfilled && domain.Status(row.Status) == domain.StatusProcessing {
		return s.changeStatus(ctx, q, row, domain.StatusShipped, actor, "")
	}
	return row, nil
}
