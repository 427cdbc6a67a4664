package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
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
	hash := requestHash(in)
	if idem != nil {
		// A retry is answered from the key before anything else, so that it gets the first
		// answer even when stock or the catalog has changed since.
		if order, err := s.replay(ctx, queries.New(s.pool), *idem, hash); err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return order, err == nil, err
		}
	}
	lines := mergeLines(in.Items)
	priced, err := s.priceOrder(ctx, in, lines)
	if err != nil {
		return domain.Order{}, false, err
	}
	order = priced.order
	w := newOrderWrite(ctx, order, priced, actor, lines)
	if idem != nil {
		w.rows.IdempotencyScopes, w.rows.IdempotencyKeys, w.rows.RequestHashes = []string{idem.Scope}, []string{idem.Key}, [][]byte{hash}
		w.rows.Keyed = true
	}

	q := queries.New(s.pool)
	created, err := s.writer.write(w)
	if err != nil {
		switch code, constraint := pgCode(err); {
		case code == pgUniqueViolation && constraint == "idempotency_keys_pkey":
			order, err = s.replay(ctx, q, *idem, hash)
			return order, err == nil, err
		case code == pgCheckViolation && constraint == "coupons_usage_within_limit":
			return domain.Order{}, false, domain.CouponInvalid(priced.coupon.Code, "has reached its usage limit")
		case code == pgCheckViolation && constraint == "inventory_on_hand_covers_reserved":
			outOfStock.Inc()
			return domain.Order{}, false, s.outOfStock(ctx, q, lines)
		}
		return domain.Order{}, false, fmt.Errorf("create order: %w", err)
	}
	order.Number, order.CreatedAt, order.UpdatedAt = created.OrderNumber, created.CreatedAt, created.CreatedAt
	order.History = []domain.HistoryEntry{{Kind: domain.HistoryStatus, Status: string(domain.StatusCreated),
		Note: w.rows.HistoryNotes[0], Actor: actor.Name, ActorType: actor.Type, At: created.CreatedAt}}
	ordersCreated.Inc()
	return order, false, nil
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

// replay answers a request whose idempotency key is taken: with the order the first
// request created when the body is the same, else with idempotency_key_reused.
func (s *Service) replay(ctx context.Context, q *queries.Queries, idem Idempotency, hash []byte) (domain.Order, error) {
	row, err := q.GetIdempotencyKey(ctx, queries.GetIdempotencyKeyParams{Scope: idem.Scope, Key: idem.Key})
	if err != nil {
		return domain.Order{}, fmt.Errorf("read idempotency key: %w", err) // pgx.ErrNoRows: not used yet
	}
	if string(row.RequestHash) != string(hash) {
		return domain.Order{}, domain.Errorf(domain.CodeIdempotencyKeyReused, "this Idempotency-Key was already used with a different request body")
	}
	if !row.OrderID.Valid {
		return domain.Order{}, domain.NotFound("order of this Idempotency-Key")
	}
	return s.getOrder(ctx, q, row.OrderID.UUID.String())
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
	q := queries.New(queries.GenericPlans(s.pool))
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
		ID: newID().String(), Version: 1, Status: domain.StatusCreated, PaymentStatus: domain.PaymentPending,
		FulfillmentStatus: domain.FulfillmentUnfulfilled, Currency: currency,
		Customer: in.Customer, ShippingAddress: in.ShippingAddress, BillingAddress: *in.BillingAddress,
		Notes: in.Notes, Source: in.Source, CouponCode: in.CouponCode,
	}
	totalsIn := domain.TotalsInput{Currency: currency, ManualDiscount: in.ManualDiscount}
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
	if priced.coupon != nil {
		o.CouponCode = priced.coupon.Code // as the coupon spells it, which is what is stored
	}
	t, err := domain.ComputeTotals(totalsIn)
	if err != nil {
		return pricedOrder{}, err
	}
	o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total = t.Subtotal, t.Discount, t.Shipping, t.Tax, t.Total
	if o.ManualDiscount = t.ManualDiscount; o.ManualDiscount.IsPositive() {
		o.ManualDiscountReason = in.ManualDiscountReason
	}
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
		StartsAt: row.StartsAt, EndsAt: row.EndsAt, MinSubtotal: row.MinSubtotal}
	if row.Currency != nil {
		c.Currency = *row.Currency
	}
	return c, row.ID, nil
}

// newOrderWrite is the order's rows as CreateOrders writes them.
func newOrderWrite(ctx context.Context, o domain.Order, p pricedOrder, actor domain.Actor, lines map[string]int) *orderWrite {
	ship, _ := json.Marshal(o.ShippingAddress) // plain strings: cannot fail
	bill, _ := json.Marshal(o.BillingAddress)
	id := uuid.MustParse(o.ID)
	w := &orderWrite{ctx: ctx, reserve: lines, rows: queries.CreateOrdersParams{
		Ids: []uuid.UUID{id}, Currencies: []string{o.Currency}, Subtotals: []decimal.Decimal{o.Subtotal},
		Discounts: []decimal.Decimal{o.Discount}, Shippings: []decimal.Decimal{o.Shipping},
		Taxes: []decimal.Decimal{o.Tax}, Totals: []decimal.Decimal{o.Total}, CustomerEmails: []string{o.Customer.Email},
		CustomerNames: []string{o.Customer.Name}, CustomerPhones: []string{o.Customer.Phone},
		ShippingAddresses: [][]byte{ship}, BillingAddresses: [][]byte{bill}, Notes: []string{o.Notes},
		Sources: []string{o.Source}, CouponCodes: []string{""}, CouponIds: []uuid.UUID{uuid.Nil},
		ItemCounts: []int32{int32(o.ItemCount)}, LineSummaries: []string{domain.LineSummary(o.Items)},
		Actors: []string{actor.Name}, ActorTypes: []string{string(actor.Type)}, ActorEmails: []string{historyEmail(actor)},
		IdempotencyScopes: []string{""}, IdempotencyKeys: []string{""}, RequestHashes: [][]byte{{}},
		ManualDiscounts: []decimal.Decimal{o.ManualDiscount}, ManualDiscountReasons: []string{o.ManualDiscountReason},
		HistoryNotes: []string{creationNote(o)},
	}}
	if p.coupon != nil {
		w.rows.CouponCodes[0], w.rows.CouponIds[0], w.couponID = p.coupon.Code, p.couponID, p.couponID
	}
	for i, it := range o.Items {
		w.rows.ItemIds = append(w.rows.ItemIds, uuid.MustParse(it.ID))
		w.rows.ItemOrderIds = append(w.rows.ItemOrderIds, id)
		w.rows.Positions = append(w.rows.Positions, int32(i+1))
		w.rows.ReservationIds = append(w.rows.ReservationIds, newID())
		w.rows.Skus = append(w.rows.Skus, it.SKU)
		w.rows.Names = append(w.rows.Names, it.Name)
		w.rows.Quantities = append(w.rows.Quantities, int32(it.Quantity))
		w.rows.UnitPrices = append(w.rows.UnitPrices, it.UnitPrice)
		w.rows.LineTotals = append(w.rows.LineTotals, it.Total)
	}
	return w
}

// creationNote is the note of an order's first history row: its manual discount, if any.
func creationNote(o domain.Order) string {
	if !o.ManualDiscount.IsPositive() {
		return ""
	}
	return "Manual discount of " + domain.FormatAmount(o.ManualDiscount, o.Currency) + " " + o.Currency + ": " + o.ManualDiscountReason
}

// PreviewOrder prices a new order exactly as CreateOrder does (catalog, rates, coupon,
// manual discount), writing and reserving nothing: the totals of the staff order form.
// Only what pricing needs is checked (lines, coupon code, manual discount).
func (s *Service) PreviewOrder(ctx context.Context, in domain.NewOrder) (domain.Order, error) {
	in.Normalize()
	if err := in.ValidatePricing(); err != nil {
		return domain.Order{}, err
	}
	priced, err := s.priceOrder(ctx, in, mergeLines(in.Items))
	return priced.order, err
}

// PreviousCustomer is a customer as their newest order has them: what the staff order
// form fills in for a returning customer.
type PreviousCustomer struct {
	Customer                        domain.Customer
	ShippingAddress, BillingAddress domain.Address
}

// FindPreviousCustomer looks up the newest order of email, or else of the first email
// starting with what was typed; found is false when there is none.
func (s *Service) FindPreviousCustomer(ctx context.Context, email string) (p PreviousCustomer, found bool, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) < 3 {
		return p, false, domain.FieldErrors{"customer.email": "type at least 3 characters of the email"}.Err()
	}
	row, err := queries.New(s.pool).LatestCustomerByEmail(ctx, queries.LatestCustomerByEmailParams{
		Email: email, Prefix: queries.EscapeLike(email) + "%"})
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("find previous customer: %w", err)
	}
	p.Customer = domain.Customer{Email: row.CustomerEmail, Name: row.CustomerName, Phone: row.CustomerPhone}
	if err := decodeAddress(row.ShippingAddress, &p.ShippingAddress); err != nil {
		return p, false, fmt.Errorf("previous customer's shipping address: %w", err)
	}
	if err := decodeAddress(row.BillingAddress, &p.BillingAddress); err != nil {
		return p, false, fmt.Errorf("previous customer's billing address: %w", err)
	}
	return p, true, nil
}

// outOfStock builds the out_of_stock error naming every SKU that lacks stock now.
func (s *Service) outOfStock(ctx context.Context, q *queries.Queries, lines map[string]int) error {
	skus := slices.Sorted(maps.Keys(lines))
	levels, err := q.StockLevels(ctx, skus)
	if err != nil {
		return fmt.Errorf("read stock levels: %w", err)
	}
	fe := domain.FieldErrors{}
	for _, l := range levels {
		if available := int(l.OnHand - l.Reserved); available < lines[l.Sku] {
			fe.Add(l.Sku, fmt.Sprintf("requested %d, %d available", lines[l.Sku], max(0, available)))
		}
	}
	if len(fe) == 0 { // stock came back between the refusal and this read
		for _, sku := range skus {
			fe.Add(sku, "not enough stock at the time of ordering; try again")
		}
	}
	short := slices.Sorted(maps.Keys(fe))
	return &domain.Error{Code: domain.CodeOutOfStock, Message: "not enough stock for " + strings.Join(short, ", "), Fields: fe}
}

// newID returns a time-ordered UUID (v7), which keeps primary-key indexes compact.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
