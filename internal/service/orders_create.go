package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Idempotency identifies a retried request: Scope keeps one client's keys apart from
// another's (the API token), Key is the client's Idempotency-Key header.
type Idempotency struct {
	Scope string
	Key   string
}

// CreateOrder prices an order from the catalog, reserves stock for every line and writes
// it, all or nothing. With an idempotency key, a repeat of the same request returns the
// order the first one created (replayed = true) instead of creating another.
func (s *Service) CreateOrder(ctx context.Context, actor domain.Actor, in domain.NewOrder, idem *Idempotency) (order domain.Order, replayed bool, err error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return domain.Order{}, false, err
	}
	if idem != nil && (idem.Key == "" || len(idem.Key) > domain.MaxIdempotencyKey) {
		return domain.Order{}, false, domain.Errorf(domain.CodeBadRequest, "Idempotency-Key must be 1 to %d characters", domain.MaxIdempotencyKey)
	}
	lines := mergeLines(in.Items)
	priced, err := s.priceOrder(ctx, in, lines)
	if err != nil {
		return domain.Order{}, false, err
	}

	err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		if idem != nil {
			existing, err := claimIdempotencyKey(ctx, q, *idem, requestHash(in))
			if err != nil || existing != uuid.Nil {
				replayed = existing != uuid.Nil
				if replayed {
					order, err = s.getOrder(ctx, q, existing.String())
				}
				return err
			}
		}
		if priced.coupon != nil {
			n, err := q.UseCoupon(ctx, priced.couponID)
			if err != nil {
				return fmt.Errorf("use coupon: %w", err)
			}
			if n == 0 {
				return domain.CouponInvalid(priced.coupon.Code, "has reached its usage limit")
			}
		}
		order = priced.order
		created, err := q.InsertOrder(ctx, insertOrderParams(order, priced, actor))
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		order.Number, order.CreatedAt, order.UpdatedAt = created.OrderNumber, created.CreatedAt, created.CreatedAt
		order.History = []domain.HistoryEntry{{Kind: "status", Status: string(domain.StatusCreated),
			Actor: actor.Name, ActorType: actor.Type, At: created.CreatedAt}}
		if idem != nil {
			if err := q.SetIdempotencyOrder(ctx, queries.SetIdempotencyOrderParams{
				Scope: idem.Scope, Key: idem.Key, OrderID: uuid.NullUUID{UUID: uuid.MustParse(order.ID), Valid: true}}); err != nil {
				return fmt.Errorf("record idempotency key: %w", err)
			}
		}
		// Reserve last: the hot SKU rows stay locked only for the commit that follows.
		return s.reserve(ctx, q, lines)
	})
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeOutOfStock {
			outOfStock.Inc()
		}
		return domain.Order{}, false, err
	}
	if !replayed {
		ordersCreated.Inc()
	}
	return order, replayed, nil
}

// mergeLines adds up repeated SKUs so that each is reserved once; the order keeps the
// client's lines as sent.
func mergeLines(items []domain.ItemRequest) map[string]int {
	m := make(map[string]int, len(items))
	for _, it := range items {
		m[it.SKU] += it.Quantity
	}
	return m
}

// claimIdempotencyKey takes key for this request, or returns the order an earlier request
// with the same key and body created. A concurrent duplicate waits here for the first.
func claimIdempotencyKey(ctx context.Context, q *queries.Queries, idem Idempotency, hash []byte) (uuid.UUID, error) {
	n, err := q.ClaimIdempotencyKey(ctx, queries.ClaimIdempotencyKeyParams{Scope: idem.Scope, Key: idem.Key, RequestHash: hash})
	if err != nil {
		return uuid.Nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n == 1 {
		return uuid.Nil, nil
	}
	row, err := q.GetIdempotencyKey(ctx, queries.GetIdempotencyKeyParams{Scope: idem.Scope, Key: idem.Key})
	if err != nil {
		return uuid.Nil, fmt.Errorf("read idempotency key: %w", err)
	}
	if string(row.RequestHash) != string(hash) {
		return uuid.Nil, domain.Errorf(domain.CodeIdempotencyKeyReused, "this Idempotency-Key was already used with a different request body")
	}
	if !row.OrderID.Valid {
		return uuid.Nil, domain.Errorf(domain.CodeConflict, "a request with this Idempotency-Key is still being processed")
	}
	return row.OrderID.UUID, nil
}

// requestHash fingerprints the normalized request, so that formatting differences in the
// JSON do not count as a different body.
func requestHash(in domain.NewOrder) []byte {
	b, _ := json.Marshal(in) // a struct of strings and ints always marshals
	h := sha256.Sum256(b)
	return h[:]
}

// pricedOrder is an order priced from the catalog, ready to insert.
type pricedOrder struct {
	order    domain.Order
	coupon   *domain.Coupon
	couponID uuid.UUID
}

// priceOrder reads the catalog, tax and shipping rates and the coupon, and computes the
// order's lines and totals. Prices never come from the client.
func (s *Service) priceOrder(ctx context.Context, in domain.NewOrder, lines map[string]int) (pricedOrder, error) {
	q := queries.New(s.pool)
	skus := make([]string, 0, len(lines))
	for sku := range lines {
		skus = append(skus, sku)
	}
	rows, err := q.PricingContext(ctx, queries.PricingContextParams{
		Country: in.ShippingAddress.Country, Region: in.ShippingAddress.Region, Skus: skus})
	if err != nil {
		return pricedOrder{}, fmt.Errorf("price order: %w", err)
	}
	bySKU := make(map[string]queries.PricingContextRow, len(rows))
	for _, r := range rows {
		bySKU[r.Sku] = r
	}

	fe := domain.FieldErrors{}
	currency := ""
	for i, it := range in.Items {
		r, ok := bySKU[it.SKU]
		field := fmt.Sprintf("items[%d].sku", i)
		switch {
		case !ok:
			fe.Add(field, "unknown SKU "+it.SKU)
		case !r.Active:
			fe.Add(field, "product "+it.SKU+" is not available")
		case currency == "":
			currency = r.Currency
		case r.Currency != currency:
			fe.Add(field, "is priced in "+r.Currency+"; an order has one currency ("+currency+")")
		}
	}
	if len(fe) > 0 {
		return pricedOrder{}, &domain.Error{Code: domain.CodeProductUnavailable,
			Message: "some items cannot be ordered", Fields: fe}
	}

	o := domain.Order{
		ID: newID().String(), Status: domain.StatusCreated, PaymentStatus: domain.PaymentPending,
		FulfillmentStatus: domain.FulfillmentUnfulfilled, Currency: currency,
		Customer: in.Customer, ShippingAddress: in.ShippingAddress, BillingAddress: *in.BillingAddress,
		Notes: in.Notes, Source: in.Source, CouponCode: in.CouponCode,
	}
	totalsIn := domain.TotalsInput{Currency: currency}
	for _, it := range in.Items {
		r := bySKU[it.SKU]
		price := domain.Product{Price: r.Price, SalePrice: r.SalePrice}.EffectivePrice()
		line := domain.Line{UnitPrice: price, Quantity: it.Quantity}
		totalsIn.Lines = append(totalsIn.Lines, line)
		o.Items = append(o.Items, domain.OrderItem{ID: newID().String(), SKU: it.SKU, Name: r.Name,
			Quantity: it.Quantity, UnitPrice: price, Total: line.Total()})
		o.ItemCount += it.Quantity
		totalsIn.TaxRate = r.TaxRate
		totalsIn.Shipping = &domain.ShippingRate{Amount: r.ShippingAmount, FreeAbove: r.ShippingFreeAbove}
	}

	priced := pricedOrder{}
	if in.CouponCode != "" {
		c, id, err := s.loadCoupon(ctx, q, in.CouponCode)
		if err != nil {
			return pricedOrder{}, err
		}
		if err := c.CheckUsable(s.now()); err != nil {
			return pricedOrder{}, err
		}
		totalsIn.Coupon, priced.coupon, priced.couponID = &c, &c, id
	}
	t, err := domain.ComputeTotals(totalsIn)
	if err != nil {
		return pricedOrder{}, err
	}
	o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total = t.Subtotal, t.Discount, t.Shipping, t.Tax, t.Total
	o.Paid, o.Refunded = decimal.Zero, decimal.Zero
	priced.order = o
	return priced, nil
}

func (s *Service) loadCoupon(ctx context.Context, q *queries.Queries, code string) (domain.Coupon, uuid.UUID, error) {
	row, err := q.GetCouponByCode(ctx, code)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Coupon{}, uuid.Nil, domain.CouponInvalid(code, "does not exist")
	}
	if err != nil {
		return domain.Coupon{}, uuid.Nil, fmt.Errorf("load coupon: %w", err)
	}
	c := domain.Coupon{Code: row.Code, Percent: row.Kind == "percent", Value: row.Value, Active: row.Active,
		StartsAt: row.StartsAt, EndsAt: row.EndsAt}
	if row.Currency != nil {
		c.Currency = *row.Currency
	}
	if row.MinSubtotal.Valid {
		c.MinSubtotal = row.MinSubtotal.Decimal
	}
	return c, row.ID, nil
}

func insertOrderParams(o domain.Order, p pricedOrder, actor domain.Actor) queries.InsertOrderParams {
	ship, _ := json.Marshal(o.ShippingAddress) // plain strings: cannot fail
	bill, _ := json.Marshal(o.BillingAddress)
	params := queries.InsertOrderParams{
		ID: uuid.MustParse(o.ID), Currency: o.Currency, Subtotal: o.Subtotal, Discount: o.Discount,
		Shipping: o.Shipping, Tax: o.Tax, Total: o.Total, CustomerEmail: o.Customer.Email,
		CustomerName: o.Customer.Name, CustomerPhone: o.Customer.Phone, ShippingAddress: ship,
		BillingAddress: bill, Notes: o.Notes, Source: o.Source, ItemCount: int32(o.ItemCount),
		Actor: actor.Name, ActorType: string(actor.Type),
	}
	if p.coupon != nil {
		params.CouponCode = &p.coupon.Code
		params.CouponID = uuid.NullUUID{UUID: p.couponID, Valid: true}
	}
	for _, it := range o.Items {
		params.ItemIds = append(params.ItemIds, uuid.MustParse(it.ID))
		params.ReservationIds = append(params.ReservationIds, newID())
		params.Skus = append(params.Skus, it.SKU)
		params.Names = append(params.Names, it.Name)
		params.Quantities = append(params.Quantities, int32(it.Quantity))
		params.UnitPrices = append(params.UnitPrices, it.UnitPrice)
		params.LineTotals = append(params.LineTotals, it.Total)
	}
	return params
}

// reserve takes stock for every SKU or fails with out_of_stock naming each short SKU.
func (s *Service) reserve(ctx context.Context, q *queries.Queries, lines map[string]int) error {
	skus := make([]string, 0, len(lines))
	for sku := range lines {
		skus = append(skus, sku)
	}
	slices.Sort(skus)
	qtys := make([]int32, len(skus))
	for i, sku := range skus {
		qtys[i] = int32(lines[sku])
	}
	got, err := q.ReserveStock(ctx, queries.ReserveStockParams{Skus: skus, Quantities: qtys})
	if err != nil {
		return fmt.Errorf("reserve stock: %w", err)
	}
	if len(got) == len(skus) {
		return nil
	}
	levels, err := q.StockLevels(ctx, skus)
	if err != nil {
		return fmt.Errorf("read stock levels: %w", err)
	}
	fe := domain.FieldErrors{}
	for _, l := range levels {
		if !slices.Contains(got, l.Sku) {
			fe.Add(l.Sku, fmt.Sprintf("requested %d, %d available", lines[l.Sku], max(0, l.OnHand-l.Reserved)))
		}
	}
	short := make([]string, 0, len(fe))
	for sku := range fe {
		short = append(short, sku)
	}
	slices.Sort(short)
	return &domain.Error{Code: domain.CodeOutOfStock, Message: "not enough stock for " + strings.Join(short, ", "), Fields: fe}
}

// newID returns a time-ordered UUID (v7), which keeps primary-key indexes compact.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
