package demo

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// Outcome is where a demo order's story has got to by now.
type Outcome int

const (
	OutCreated Outcome = iota
	OutPending
	OutPartlyPaid
	OutExpired
	OutCancelledUnpaid
	OutCancelledRefunded
	OutPaid
	OutProcessing
	OutShipped
	OutDelivered
	OutDeliveredSplit
	OutReturnRequested
	OutPartlyRefunded
	OutReturned
	OutRefunded
)

type share struct {
	out    Outcome
	weight int
}

// mixByAge: how an order of a given age has most likely ended; the young ones are still
// on their way, the old ones settled.
var mixByAge = []struct {
	below time.Duration
	mix   []share
}{
	{30 * time.Minute, []share{{OutCreated, 45}, {OutPending, 30}, {OutPartlyPaid, 5}, {OutPaid, 20}}},
	{8 * time.Hour, []share{{OutPaid, 70}, {OutProcessing, 10}, {OutExpired, 12}, {OutCancelledUnpaid, 4}, {OutCancelledRefunded, 4}}},
	{2 * 24 * time.Hour, []share{{OutPaid, 20}, {OutProcessing, 10}, {OutShipped, 55}, {OutExpired, 8}, {OutCancelledUnpaid, 4}, {OutCancelledRefunded, 3}}},
	{5 * 24 * time.Hour, []share{{OutPaid, 2}, {OutProcessing, 3}, {OutShipped, 45}, {OutDelivered, 38}, {OutExpired, 6}, {OutCancelledUnpaid, 3}, {OutCancelledRefunded, 3}}},
	{30 * 24 * time.Hour, []share{{OutDelivered, 72}, {OutDeliveredSplit, 5}, {OutReturnRequested, 3}, {OutPartlyRefunded, 3}, {OutReturned, 4}, {OutRefunded, 3}, {OutExpired, 5}, {OutCancelledUnpaid, 3}, {OutCancelledRefunded, 2}}},
	{math.MaxInt64, []share{{OutDelivered, 77}, {OutDeliveredSplit, 5}, {OutPartlyRefunded, 3}, {OutReturned, 3}, {OutRefunded, 3}, {OutExpired, 5}, {OutCancelledUnpaid, 2}, {OutCancelledRefunded, 2}}},
}

func pickOutcome(age time.Duration, rng *rand.Rand) Outcome {
	for _, m := range mixByAge {
		if age >= m.below {
			continue
		}
		total := 0
		for _, s := range m.mix {
			total += s.weight
		}
		n := rng.IntN(total)
		for _, s := range m.mix {
			if n -= s.weight; n < 0 {
				return s.out
			}
		}
	}
	return OutDelivered
}

// order is one order with every row that hangs off it, ready to be copied.
type order struct {
	id                        id
	number                    string
	status                    domain.Status
	currency                  string
	totals                    domain.Totals
	paid, refunded            decimal.Decimal
	cust                      *customer
	notes, source             string
	coupon                    bool
	couponCode                string
	couponID                  id
	itemCount                 int
	created, updated          time.Time
	paidAt, shippedAt         *time.Time
	deliveredAt, cancelledAt  *time.Time
	lines                     []line
	payments, refunds, allocs [][]any
	parcels                   []*parcel
	fitems                    [][]any
	events, returns, ritems   [][]any
	reservations, history     [][]any
	reserved                  map[string]int
	tags                      []string // never nil: the column is NOT NULL
	hold                      *domain.Hold
}

type line struct {
	id                  id
	sku, name           string
	qty                 int
	unit, total         decimal.Decimal
	fulfilled, returned int
}

// id is a row id as COPY sends it: pgx encodes pgtype.UUID directly, where a
// id goes through its text form.
type id = pgtype.UUID

var noID = id{}

// idAt is a UUIDv7 of moment t: rows written in time order keep their indexes compact,
// as rows written live do.
func idAt(t time.Time, rng *rand.Rand) id {
	u := id{Valid: true}
	binary.BigEndian.PutUint64(u.Bytes[8:], rng.Uint64())
	binary.BigEndian.PutUint64(u.Bytes[0:], uint64(t.UnixMilli())<<16|uint64(rng.Uint32()&0x0fff))
	u.Bytes[6] = 0x70 | u.Bytes[6]&0x0f // version 7
	u.Bytes[8] = 0x80 | u.Bytes[8]&0x3f // RFC 4122 variant
	return u
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

var storefront = domain.Actor{Type: domain.ActorToken, Name: "storefront"}

// order draws the order placed at `at` with sequence number n, and plays its story up to
// now as the use cases would have written it.
func (g *generator) order(rng *rand.Rand, at time.Time, n int64) *order {
	c := &g.customers[rng.IntN(len(g.customers))]
	o := &order{id: idAt(at, rng), currency: "USD", cust: c, created: at, reserved: map[string]int{}, tags: []string{},
		number: fmt.Sprintf("ORD-%s-%06d", at.UTC().Format("060102"), n),
		source: pick(rng, []string{"web", "web", "web", "web", "web", "mobile", "mobile", "phone"})}
	if rng.IntN(8) == 0 {
		o.notes = pick(rng, Notes)
	}
	// Lines: one to three products, mostly one of each.
	var lines []domain.Line
	for len(o.lines) < 1+rng.IntN(3) {
		p := g.shop.pick(rng)
		dup := false
		for _, l := range o.lines {
			dup = dup || l.sku == p.sku
		}
		if dup {
			continue
		}
		qty := 1
		if rng.IntN(4) == 0 {
			qty = 2
		}
		l := line{id: idAt(at, rng), sku: p.sku, name: p.name, qty: qty, unit: p.price}
		l.total = p.price.Mul(decimal.NewFromInt(int64(qty)))
		o.lines = append(o.lines, l)
		o.itemCount += qty
		lines = append(lines, domain.Line{UnitPrice: p.price, Quantity: qty})
	}
	in := domain.TotalsInput{Currency: o.currency, Lines: lines, TaxRate: g.shop.taxRate(c.addr), Shipping: g.shop.shippingRate(c.country)}
	if g.shop.coupon.id != noID && rng.IntN(12) == 0 {
		in.Coupon, o.coupon = &g.shop.coupon.c, true
	}
	totals, err := domain.ComputeTotals(in)
	if err != nil { // a coupon that does not apply: none
		in.Coupon, o.coupon = nil, false
		totals, _ = domain.ComputeTotals(in)
	}
	if o.coupon {
		o.couponCode, o.couponID = g.shop.coupon.code, g.shop.coupon.id
	}
	o.totals = totals
	o.history = append(o.history, historyRow(o.id, domain.HistoryStatus, "created", "", storefront, at))
	g.play(o, pickOutcome(g.opt.Now.Sub(at), rng), rng)
	return o
}

func (s *shop) pick(rng *rand.Rand) product {
	n := rng.IntN(s.weights)
	for _, p := range s.products {
		if n -= p.weight; n < 0 {
			return p
		}
	}
	return s.products[0]
}

func historyRow(orderID id, kind domain.HistoryKind, status, note string, a domain.Actor, at time.Time) []any {
	return []any{orderID, string(kind), status, note, a.Name, string(a.Type), at}
}

// clock hands out the moments of an order's steps, squeezed into the time between its
// placing and now, so that no step lies in the future.
type clock struct {
	rng      *rand.Rand
	t, limit time.Time
}

func (c *clock) after(lo, hi time.Duration) time.Time {
	c.t = c.t.Add(between(c.rng, lo, hi))
	if c.t.After(c.limit) {
		c.t = c.limit
	}
	return c.t
}

func staff(rng *rand.Rand) domain.Actor {
	return domain.Actor{Type: domain.ActorStaff, Name: pick(rng, Staff)}
}

var warehouse = domain.Actor{Type: domain.ActorStaff, Name: Warehouse}

func money(d decimal.Decimal) string { return domain.FormatAmount(d, "USD") + " USD" }

// play writes the order's story up to out.
func (g *generator) play(o *order, out Outcome, rng *rand.Rand) {
	age := g.opt.Now.Sub(o.created)
	// Steps are squeezed into the order's age; the last one a minute before now.
	clk := &clock{rng: rng, t: o.created, limit: g.opt.Now.Add(-time.Minute)}
	scale := func(d time.Duration) time.Duration { return d }
	if age < 10*24*time.Hour {
		f := float64(age) / float64(10*24*time.Hour)
		scale = func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	}
	step := func(lo, hi time.Duration) time.Time { return clk.after(scale(lo), scale(hi)) }
	setStatus := func(s domain.Status, note string, a domain.Actor, at time.Time) {
		o.status = s
		o.history = append(o.history, historyRow(o.id, domain.HistoryStatus, string(s), note, a, at))
	}
	o.status = domain.StatusCreated
	defer func() {
		// Tags come last, a little after the story's last step: drawing them does not move
		// the steps (an expiry stays exactly its TTL after the order).
		for _, t := range Tags {
			if rng.IntN(1000) < t.PerMille {
				o.tags = append(o.tags, t.Tag)
			}
		}
		if len(o.tags) > 0 {
			o.tags, _ = domain.NormalizeTags(o.tags) // sorted, as the service stores them
			o.history = append(o.history, historyRow(o.id, domain.HistoryTags, "", domain.TagChange(nil, o.tags), staff(rng), step(time.Minute, time.Hour)))
		}
		o.updated = clk.t
	}()

	switch out {
	case OutCreated:
		g.reserveAll(o, rng)
		return
	case OutPending:
		g.reserveAll(o, rng)
		setStatus(domain.StatusPending, "awaiting bank transfer", staff(rng), step(time.Minute, 4*time.Minute))
		return
	case OutPartlyPaid:
		g.reserveAll(o, rng)
		half := domain.Round(o.totals.Total.Div(decimal.NewFromInt(2)), o.currency)
		g.pay(o, half, "BT", staff(rng), step(time.Minute, 4*time.Minute), rng)
		return
	case OutExpired:
		at := clk.after(g.opt.TTL, g.opt.TTL+50*time.Second)
		o.cancelledAt = &at
		setStatus(domain.StatusCancelled, domain.ExpiredNote(g.opt.TTL), domain.System, at)
		return
	case OutCancelledUnpaid:
		at := step(20*time.Minute, 20*time.Hour)
		o.cancelledAt = &at
		setStatus(domain.StatusCancelled, pick(rng, CancelReasons), staff(rng), at)
		return
	}

	who := staff(rng)
	at := step(2*time.Minute, 3*time.Hour)
	g.pay(o, o.totals.Total, "PAY", who, at, rng)
	setStatus(domain.StatusPending, "", who, at)
	setStatus(domain.StatusPaid, "paid in full", who, at)
	o.paidAt = &at
	switch out {
	case OutPaid:
		g.reserveAll(o, rng)
		if rng.IntN(50) == 0 { // one paid order in fifty waits on hold
			who, why := staff(rng), pick(rng, HoldReasons)
			o.hold = &domain.Hold{Reason: why, By: who.Name, ByRole: string(domain.RoleSupport), At: step(10*time.Minute, 2*time.Hour)}
			o.history = append(o.history, historyRow(o.id, domain.HistoryHold, "on_hold", why, who, o.hold.At))
		}
		return
	case OutCancelledRefunded:
		who, why := staff(rng), pick(rng, CancelReasons)
		at := step(time.Hour, 20*time.Hour)
		o.cancelledAt = &at
		setStatus(domain.StatusCancelled, why, who, at)
		g.refund(o, o.paid, "order cancelled: "+why, noID, who, at, rng)
		return
	case OutProcessing:
		f := g.ship(o, o.lines[:1], step(2*time.Hour, 6*time.Hour), rng)
		setStatus(domain.StatusProcessing, "", warehouse, f.at)
		for i := range o.lines[1:] {
			g.reserve(o, &o.lines[1+i], rng)
		}
		return
	}

	var parcels []*parcel
	if out == OutDeliveredSplit && len(o.lines) > 1 {
		first := g.ship(o, o.lines[:1], step(4*time.Hour, 26*time.Hour), rng)
		setStatus(domain.StatusProcessing, "", warehouse, first.at)
		second := g.ship(o, o.lines[1:], step(20*time.Hour, 40*time.Hour), rng)
		setStatus(domain.StatusShipped, "", warehouse, second.at)
		parcels = append(parcels, first, second)
	} else {
		f := g.ship(o, o.lines, step(4*time.Hour, 26*time.Hour), rng)
		setStatus(domain.StatusProcessing, "", warehouse, f.at)
		setStatus(domain.StatusShipped, "", warehouse, f.at)
		parcels = append(parcels, f)
	}
	o.shippedAt = &parcels[len(parcels)-1].at
	at = step(3*time.Hour, 10*time.Hour)
	for _, f := range parcels {
		g.event(o, f, "in_transit", at, rng)
	}
	if out == OutShipped {
		return
	}
	at = step(20*time.Hour, 60*time.Hour)
	for _, f := range parcels {
		g.event(o, f, "out_for_delivery", at, rng)
	}
	at = step(2*time.Hour, 7*time.Hour)
	for _, f := range parcels {
		g.event(o, f, "delivered", at, rng)
	}
	o.deliveredAt = &at
	setStatus(domain.StatusDelivered, "every shipment delivered", domain.System, at)

	switch out {
	case OutPartlyRefunded:
		amount := domain.Round(o.totals.Total.Mul(decimal.RequireFromString("0.2")), o.currency)
		g.refund(o, amount, pick(rng, GoodwillReasons), noID, staff(rng), step(24*time.Hour, 72*time.Hour), rng)
	case OutReturnRequested, OutReturned, OutRefunded:
		g.giveBack(o, out, step, setStatus, rng)
	}
}

// giveBack: the customer returns one item (or everything), support approves and refunds,
// the warehouse usually receives it back into stock.
func (g *generator) giveBack(o *order, out Outcome, step func(lo, hi time.Duration) time.Time,
	setStatus func(domain.Status, string, domain.Actor, time.Time), rng *rand.Rand) {
	why := pick(rng, ReturnReasons)
	returning := map[int]int{0: 1}
	if out == OutRefunded {
		for i, l := range o.lines {
			returning[i] = l.qty
		}
	}
	units := 0
	var rl []domain.ReturnLine
	for i, l := range o.lines {
		rl = append(rl, domain.ReturnLine{UnitPrice: l.unit, Quantity: l.qty, Returning: returning[i]})
		units += returning[i]
	}
	requested := step(24*time.Hour, 96*time.Hour)
	ret := &returnRow{id: idAt(requested, rng), status: domain.ReturnRequested, reason: why, created: requested}
	o.history = append(o.history, historyRow(o.id, domain.HistoryReturn, domain.ReturnRequested,
		fmt.Sprintf("return of %d item(s) requested: %s", units, why), storefront, requested))
	defer func() { o.returns = append(o.returns, ret.row(o.id)) }()
	for i, q := range returning {
		o.ritems = append(o.ritems, []any{ret.id, o.lines[i].id, q, why})
	}
	if out == OutReturnRequested {
		return
	}
	who := staff(rng)
	approved := step(6*time.Hour, 30*time.Hour)
	ret.status, ret.processed = domain.ReturnApproved, &approved
	ret.refund = domain.ReturnRefund(o.currency, o.paid, o.totals.Discount, rl)
	o.history = append(o.history, historyRow(o.id, domain.HistoryReturn, domain.ReturnApproved,
		fmt.Sprintf("return of %d item(s) approved, refund %s", units, money(ret.refund)), who, approved))
	setStatus(domain.StatusReturned, "return approved", who, approved)
	for i, q := range returning {
		o.lines[i].returned += q
	}
	g.refund(o, ret.refund, "return approved: "+why, ret.id, who, approved, rng)
	if o.refunded.Equal(o.paid) {
		setStatus(domain.StatusRefunded, "refunded in full", who, approved)
	}
	if rng.IntN(4) > 0 {
		received := step(24*time.Hour, 72*time.Hour)
		ret.status, ret.received, ret.restocked = domain.ReturnReceived, &received, true
		o.history = append(o.history, historyRow(o.id, domain.HistoryReturn, domain.ReturnReceived,
			"returned items received and restocked", warehouse, received))
	}
}

type returnRow struct {
	id                  id
	status, reason      string
	refund              decimal.Decimal
	restocked           bool
	created             time.Time
	processed, received *time.Time
}

func (r *returnRow) row(orderID id) []any {
	return []any{r.id, orderID, r.status, r.reason, r.refund, "", r.restocked, r.created, r.processed, r.received}
}

// pay records a completed manual payment.
func (g *generator) pay(o *order, amount decimal.Decimal, prefix string, who domain.Actor, at time.Time, rng *rand.Rand) {
	ref := fmt.Sprintf("%s-%06d", prefix, rng.IntN(1_000_000))
	o.payments = append(o.payments, []any{idAt(at, rng), o.id, "manual", amount, o.currency, "completed", ref, at, at})
	o.paid = o.paid.Add(amount)
	status := domain.DerivePaymentStatus(o.totals.Total, o.paid, o.refunded)
	o.history = append(o.history, historyRow(o.id, domain.HistoryPayment, string(status),
		fmt.Sprintf("manual payment of %s (reference %s)", money(amount), ref), who, at))
}

// refund gives amount back from the order's payment.
func (g *generator) refund(o *order, amount decimal.Decimal, reason string, returnID id, who domain.Actor, at time.Time, rng *rand.Rand) {
	refundID := idAt(at, rng)
	payment := o.payments[0][0].(id)
	o.refunds = append(o.refunds, []any{refundID, o.id, payment, returnID, amount, reason, "succeeded", "", at})
	o.allocs = append(o.allocs, []any{refundID, payment, amount, "", "succeeded"})
	o.refunded = o.refunded.Add(amount)
	status := domain.DerivePaymentStatus(o.totals.Total, o.paid, o.refunded)
	o.history = append(o.history, historyRow(o.id, domain.HistoryRefund, string(status), "refund of "+money(amount)+": "+reason, who, at))
}

// reserveAll holds stock for every line (an order not shipped yet).
func (g *generator) reserveAll(o *order, rng *rand.Rand) {
	for i := range o.lines {
		g.reserve(o, &o.lines[i], rng)
	}
}

func (g *generator) reserve(o *order, l *line, rng *rand.Rand) {
	o.reservations = append(o.reservations, []any{idAt(o.created, rng), o.id, l.id, l.sku, l.qty - l.fulfilled, "reserved", o.created, o.created})
	o.reserved[l.sku] += l.qty - l.fulfilled
}

type parcel struct {
	id              id
	carrier, number string
	at              time.Time
	status          string
	deliveredAt     *time.Time
}

// ship sends lines (all of their quantity) in one parcel.
func (g *generator) ship(o *order, lines []line, at time.Time, rng *rand.Rand) *parcel {
	carrier := pick(rng, Carriers)
	f := &parcel{id: idAt(at, rng), carrier: carrier, number: TrackingNumber(carrier, rng), at: at, status: "shipped"}
	units := 0
	for i := range lines {
		l := &lines[i]
		o.fitems = append(o.fitems, []any{f.id, l.id, l.qty})
		l.fulfilled = l.qty
		units += l.qty
	}
	o.parcels = append(o.parcels, f)
	fulfilled := 0
	for _, l := range o.lines {
		fulfilled += l.fulfilled
	}
	fs := domain.DeriveFulfillmentStatus(o.itemCount, fulfilled)
	noun := "items"
	if units == 1 {
		noun = "item"
	}
	o.history = append(o.history, historyRow(o.id, domain.HistoryFulfillment, string(fs),
		fmt.Sprintf("%d %s shipped via %s %s", units, noun, carrier, f.number), warehouse, at))
	return f
}

func (f *parcel) row(orderID id) []any {
	return []any{f.id, orderID, f.carrier, f.number, domain.TrackingURL(f.carrier, f.number), f.status, true, f.at, f.at, f.deliveredAt}
}

// event records a carrier scan.
func (g *generator) event(o *order, f *parcel, status string, at time.Time, rng *rand.Rand) {
	desc := pick(rng, EventDetails[status])
	o.events = append(o.events, []any{idAt(at, rng), f.id, status, desc, at, at})
	f.status = status
	if status == "delivered" {
		f.deliveredAt = &at
	}
	o.history = append(o.history, historyRow(o.id, domain.HistoryFulfillment, status,
		fmt.Sprintf("%s %s: %s (%s)", f.carrier, f.number, status, desc), domain.System, at))
}
