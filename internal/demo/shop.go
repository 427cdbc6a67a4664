package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// demoMarkerSKU is the demo catalog's first product: when it exists, the demo has run
// (or is partly loaded).
const demoMarkerSKU = "TEE-CLASSIC-M"

// demoLock keeps two `oms demo` runs from loading the demo twice at the same time.
const demoLock = 0x6f6d735f64656d6f // "oms_demo"

// LoadShop loads the demo shop: a catalog of 40 products (some on sale, one discontinued),
// stock (some of it low), tax and shipping rates, two coupons, and about 300 orders
// placed over the last 45 days in every state, all made through the real use cases and
// then moved back in time. It does nothing when the demo is already loaded.
func LoadShop(ctx context.Context, s *service.Service, out io.Writer) error {
	// The demo's customers are made up: nobody is emailed about their orders.
	ctx = service.Quietly(ctx)
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", demoLock); err != nil {
		return fmt.Errorf("demo lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", demoLock) //nolint:errcheck // released with the session anyway

	if _, err := s.GetProduct(ctx, demoMarkerSKU); err == nil {
		// The discontinued product is deactivated last: a finished load.
		if last, err := s.GetProduct(ctx, demoDiscontinued); err == nil && !last.Active {
			fmt.Fprintln(out, "demo data already loaded")
			return nil
		}
		return errors.New("demo data is only partly loaded (an earlier run stopped): load it into an empty database")
	} else if domain.ErrorCode(err) != domain.CodeNotFound {
		return fmt.Errorf("demo: %w", err)
	}

	start := time.Now()
	d := &demo{s: s, rng: rand.New(rand.NewPCG(2026, 11)), now: time.Now().UTC()}
	if err := d.settings(ctx); err != nil {
		return err
	}
	if err := d.catalog(ctx); err != nil {
		return err
	}
	n, err := d.orders(ctx)
	if err != nil {
		return err
	}
	if err := d.finishStock(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo data loaded: %d products, %d orders over the last %d days (%s)\n",
		len(demoProducts), n, demoDays, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// demoDays is how far back the demo's orders go.
const demoDays = 45

type demoProduct struct {
	sku, name, price, sale string
	weight                 int // how popular
}

var demoProducts = []demoProduct{
	{"TEE-CLASSIC-M", "Classic Cotton Tee, M", "24.00", "", 9},
	{"TEE-CLASSIC-S", "Classic Cotton Tee, S", "24.00", "", 5},
	{"TEE-CLASSIC-L", "Classic Cotton Tee, L", "24.00", "", 6},
	{"HOODIE-ZIP-M", "Heavyweight Zip Hoodie, M", "64.00", "49.00", 5},
	{"JACKET-RAIN-M", "Packable Rain Jacket, M", "119.00", "89.00", 3},
	{"CAP-CANVAS", "Canvas Six-Panel Cap", "22.00", "", 4},
	{"BEANIE-RIB", "Ribbed Merino Beanie", "19.00", "", 3},
	{"SOCKS-MERINO", "Merino Hiking Socks", "18.00", "", 6},
	{"MUG-STONEWARE", "Stoneware Mug, 12 oz", "16.00", "", 9},
	{"CARAFE-GLASS", "Glass Pour-Over Carafe", "38.00", "", 3},
	{"BEANS-ESPRESSO-1KG", "House Espresso Beans, 1 kg", "34.00", "", 8},
	{"BEANS-FILTER-250G", "Single-Origin Filter Beans, 250 g", "14.50", "", 7},
	{"GRINDER-HAND", "Hand Coffee Grinder", "79.00", "", 2},
	{"KETTLE-GOOSENECK", "Gooseneck Kettle", "69.00", "59.00", 2},
	{"TEA-SENCHA", "Organic Sencha Tea, 100 g", "12.00", "", 4},
	{"CANDLE-CEDAR", "Cedar & Sage Candle", "28.00", "", 5},
	{"BLANKET-WOOL", "Wool Throw Blanket", "129.00", "", 2},
	{"TOWEL-LINEN", "Linen Tea Towels, set of 2", "24.00", "", 3},
	{"BOARD-WALNUT", "Walnut Cutting Board", "56.00", "", 2},
	{"NOTEBOOK-A5-DOT", "A5 Dotted Notebook", "18.00", "", 7},
	{"PEN-BRASS", "Brass Ballpoint Pen", "42.00", "", 3},
	{"PLANNER-2027", "2027 Weekly Planner", "26.00", "19.50", 4},
	{"CARDS-THANKS", "Thank-You Cards, pack of 10", "12.00", "", 3},
	{"TAPE-WASHI", "Washi Tape Trio", "9.50", "", 4},
	{"BOTTLE-STEEL-750", "Insulated Steel Bottle, 750 ml", "32.00", "", 6},
	{"LANTERN-CAMP", "Rechargeable Camp Lantern", "45.00", "", 2},
	{"BAG-TOTE", "Waxed Canvas Tote", "58.00", "", 3},
	{"BACKPACK-DAY", "Everyday Backpack, 20 l", "98.00", "", 2},
	{"CHARGER-USB-C-65W", "65 W USB-C Charger", "39.00", "", 4},
	{"CABLE-USB-C-2M", "Braided USB-C Cable, 2 m", "15.00", "", 6},
	{"EARBUDS-WIRELESS", "Wireless Earbuds", "89.00", "74.00", 3},
	{"STAND-LAPTOP", "Aluminium Laptop Stand", "49.00", "", 2},
	{"SPEAKER-MINI", "Mini Bluetooth Speaker", "59.00", "", 2},
	{"SOAP-OAT", "Oat & Honey Soap Bar", "8.00", "", 6},
	{"BALM-LIP", "Beeswax Lip Balm", "6.50", "", 5},
	{"SERUM-VITC", "Vitamin C Serum, 30 ml", "36.00", "", 3},
	{"CREAM-HAND", "Shea Hand Cream, 75 ml", "14.00", "", 4},
	{"PUZZLE-1000", "1000-Piece Jigsaw Puzzle", "27.00", "", 3},
	{"CARDS-PLAYING", "Linen Playing Cards", "11.00", "", 3},
	{"YOYO-WOOD", "Wooden Yo-Yo", "7.00", "", 2},
}

// demoDiscontinued is sold in older orders, then deactivated.
const demoDiscontinued = "YOYO-WOOD"

// demoLowStock are left nearly sold out, one completely.
var demoLowStock = map[string]int{"GRINDER-HAND": 3, "BLANKET-WOOL": 2, "PEN-BRASS": 4, "LANTERN-CAMP": 0, "SERUM-VITC": 5}

func (d *demo) settings(ctx context.Context) error {
	taxes, err := d.s.ListTaxRates(ctx)
	if err != nil {
		return err
	}
	for _, t := range []domain.TaxRateInput{
		{Country: "US", Region: "CA", RatePercent: "7.25", Name: "California sales tax"},
		{Country: "US", Region: "NY", RatePercent: "8.875", Name: "New York sales tax"},
		{Country: "US", Region: "IL", RatePercent: "6.25", Name: "Illinois sales tax"},
		{Country: "US", Region: "TX", RatePercent: "6.25", Name: "Texas sales tax"},
		{Country: "US", Region: "WA", RatePercent: "6.5", Name: "Washington sales tax"},
		{Country: "DE", RatePercent: "19", Name: "Mehrwertsteuer"},
		{Country: "GB", RatePercent: "20", Name: "VAT"},
	} {
		if slices.ContainsFunc(taxes, func(r service.TaxRateSetting) bool { return r.Country == t.Country && r.Region == t.Region }) {
			continue
		}
		if _, err := d.s.SaveTaxRate(ctx, uuid.Nil, t); err != nil {
			return fmt.Errorf("demo tax rate %s %s: %w", t.Country, t.Region, err)
		}
	}
	rates, err := d.s.ListShippingRates(ctx)
	if err != nil {
		return err
	}
	for _, r := range []domain.ShippingRateInput{
		{Country: "US", Currency: "USD", Amount: "5.99", FreeAbove: "75", Name: "Standard (free over $75)"},
		{Country: "*", Currency: "USD", Amount: "14.99", Name: "International"},
	} {
		if slices.ContainsFunc(rates, func(x service.ShippingRateSetting) bool { return x.Country == r.Country && x.Currency == r.Currency }) {
			continue
		}
		if _, err := d.s.SaveShippingRate(ctx, uuid.Nil, r); err != nil {
			return fmt.Errorf("demo shipping rate %s: %w", r.Country, err)
		}
	}
	coupons, err := d.s.ListCoupons(ctx)
	if err != nil {
		return err
	}
	for _, c := range []domain.CouponInput{
		{Code: "WELCOME10", Kind: "percent", Value: "10", Active: true},
		{Code: "SAVE5", Kind: "fixed", Value: "5.00", Currency: "USD", MinSubtotal: "25", Active: true},
	} {
		if slices.ContainsFunc(coupons, func(x service.CouponSetting) bool { return x.Code == c.Code }) {
			continue
		}
		if _, err := d.s.SaveCoupon(ctx, uuid.Nil, c); err != nil {
			return fmt.Errorf("demo coupon %s: %w", c.Code, err)
		}
	}
	return nil
}

func (d *demo) catalog(ctx context.Context) error {
	for _, p := range demoProducts {
		prod := domain.Product{SKU: p.sku, Name: p.name, Price: decimal.RequireFromString(p.price), Currency: "USD", Active: true}
		if p.sale != "" {
			prod.SalePrice = decimal.NewNullDecimal(decimal.RequireFromString(p.sale))
		}
		if _, _, err := d.s.PutProduct(ctx, prod); err != nil {
			return fmt.Errorf("demo product %s: %w", p.sku, err)
		}
		if _, err := d.s.SetOnHand(ctx, d.warehouse(), p.sku, 200+d.rng.IntN(200)); err != nil {
			return fmt.Errorf("demo stock %s: %w", p.sku, err)
		}
	}
	return nil
}

// finishStock leaves some products nearly sold out and discontinues one.
func (d *demo) finishStock(ctx context.Context) error {
	for sku, left := range demoLowStock {
		inv, err := d.s.GetInventory(ctx, sku)
		if err != nil {
			return err
		}
		if _, err := d.s.SetOnHand(ctx, d.warehouse(), sku, inv.Reserved+left); err != nil {
			return fmt.Errorf("demo low stock %s: %w", sku, err)
		}
	}
	p, err := d.s.GetProduct(ctx, demoDiscontinued)
	if err != nil {
		return err
	}
	p.Active = false
	if _, _, err := d.s.PutProduct(ctx, p); err != nil {
		return fmt.Errorf("demo discontinue %s: %w", demoDiscontinued, err)
	}
	return nil
}

// demoMix is how many orders end in each state, and how old they may be (in hours).
var demoMix = []struct {
	outcome          Outcome
	count            int
	minAgeH, maxAgeH float64
}{
	{OutCreated, 10, 0.08, 0.4},
	{OutPending, 8, 0.08, 0.4},
	{OutPartlyPaid, 3, 0.1, 0.4},
	{OutExpired, 7, 2, 24 * 30},
	{OutCancelledUnpaid, 10, 6, 24 * 40},
	{OutCancelledRefunded, 6, 24, 24 * 40},
	{OutPaid, 28, 1, 36},
	{OutProcessing, 14, 8, 72},
	{OutShipped, 30, 30, 24 * 5},
	{OutDelivered, 140, 24 * 5, 24 * demoDays},
	{OutDeliveredSplit, 12, 24 * 6, 24 * demoDays},
	{OutPartlyRefunded, 12, 24 * 7, 24 * demoDays},
	{OutReturned, 12, 24 * 9, 24 * demoDays},
	{OutRefunded, 8, 24 * 10, 24 * demoDays},
}

// demo is one run of LoadShop.
type demo struct {
	s   *service.Service
	rng *rand.Rand
	mu  sync.Mutex // guards rng once orders are worked on concurrently
	now time.Time
}

func (d *demo) intN(n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.IntN(n)
}

func (d *demo) between(lo, hi time.Duration) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return lo + time.Duration(d.rng.Int64N(int64(hi-lo)+1))
}

func demoPick[T any](d *demo, xs []T) T { return xs[d.intN(len(xs))] }

func (d *demo) staff() domain.Actor {
	return domain.Actor{Type: domain.ActorStaff, Name: demoPick(d, Staff)}
}

func (d *demo) warehouse() domain.Actor {
	return domain.Actor{Type: domain.ActorStaff, Name: Warehouse}
}

var demoStorefront = domain.Actor{Type: domain.ActorToken, Name: "storefront"}

// demoPlan is one order to make: its story and when it starts.
type demoPlan struct {
	outcome Outcome
	at      time.Time
	order   domain.NewOrder
}

// orders makes the demo's orders: first each one is placed, oldest first (so that order
// numbers increase with time); then their stories (payment, shipping, returns, ...)
// play out concurrently, each order moved back to its own demoTimeline at the end.
func (d *demo) orders(ctx context.Context) (int, error) {
	plans := d.plan()
	type placed struct {
		plan  demoPlan
		order domain.Order
		tl    *demoTimeline
	}
	var work []placed
	for _, p := range plans {
		tl := &demoTimeline{d: d, at: p.at}
		o, err := d.place(ctx, tl, p)
		if err != nil {
			return 0, err
		}
		if p.outcome == OutExpired {
			if err := d.expire(ctx, tl, o); err != nil {
				return 0, err
			}
			continue
		}
		work = append(work, placed{plan: p, order: o, tl: tl})
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(work))
	next := make(chan placed)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range next {
				err := d.play(ctx, w.tl, w.plan.outcome, w.order)
				if err == nil {
					err = w.tl.apply(ctx, w.order.ID)
				}
				if err != nil {
					errs <- fmt.Errorf("demo order %s: %w", w.order.Number, err)
				}
			}
		}()
	}
	for _, w := range work {
		next <- w
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	// A few tags, and one paid order on hold, so that the list and the warehouse queue
	// show them.
	held := false
	for i, w := range work {
		var tags []string
		if i%9 == 4 {
			tags = append(tags, "vip")
		}
		if i%13 == 6 {
			tags = append(tags, "gift wrap")
		}
		if len(tags) > 0 {
			if _, err := d.s.SetTags(ctx, d.staff(), w.order.ID, tags); err != nil {
				return 0, fmt.Errorf("demo order %s: %w", w.order.Number, err)
			}
		}
		if !held && w.plan.outcome == OutPaid {
			held = true
			if _, err := d.s.Hold(ctx, d.staff(), w.order.ID, "Customer asked us to wait for their second order and ship both together"); err != nil {
				return 0, fmt.Errorf("demo order %s: %w", w.order.Number, err)
			}
		}
	}
	return len(plans), nil
}

// plan draws every order: outcome, age, customer, lines, coupon; oldest first.
func (d *demo) plan() []demoPlan {
	var plans []demoPlan
	for _, m := range demoMix {
		for range m.count {
			// Skewed towards recent days: the shop is growing.
			f := d.rng.Float64()
			ageH := m.minAgeH + (m.maxAgeH-m.minAgeH)*f*f
			at := d.now.Add(-time.Duration(ageH * float64(time.Hour)))
			plans = append(plans, demoPlan{outcome: m.outcome, at: at, order: d.newOrder(m.outcome, at)})
		}
	}
	slices.SortFunc(plans, func(a, b demoPlan) int { return a.at.Compare(b.at) })
	// A minute at least between two orders: an order's times land a little after its
	// planned moment (by how long its creation took), and two orders planned closer than
	// that could swap places, their numbers then out of time order.
	for i := len(plans) - 2; i >= 0; i-- {
		if latest := plans[i+1].at.Add(-time.Minute); plans[i].at.After(latest) {
			plans[i].at = latest
		}
	}
	return plans
}

func (d *demo) newOrder(outcome Outcome, at time.Time) domain.NewOrder {
	first, last, country := demoPick(d, FirstNames), demoPick(d, LastNames), demoPick(d, Countries)
	place := demoPick(d, Places[country])
	local := EmailLocal(first, last)
	phone := fmt.Sprintf("%s%04d", place.PhonePrefix, d.rng.IntN(10000))
	in := domain.NewOrder{
		Customer: domain.Customer{Email: fmt.Sprintf("%s%d@%s", local, d.rng.IntN(100), demoPick(d, EmailDomains)),
			Name: first + " " + last, Phone: phone},
		ShippingAddress: domain.Address{FirstName: first, LastName: last, Address1: place.Street, City: place.City,
			Region: place.Region, PostalCode: place.Postal, Country: country, Phone: phone},
		Source: demoPick(d, []string{"web", "web", "web", "web", "web", "mobile", "mobile", "phone"}),
	}
	if d.rng.IntN(8) == 0 {
		in.Notes = demoPick(d, Notes)
	}
	switch d.rng.IntN(10) {
	case 0:
		in.CouponCode = "WELCOME10"
	case 1:
		in.CouponCode = "SAVE5"
	}
	lines := 1 + d.rng.IntN(3)
	if outcome == OutProcessing || outcome == OutDeliveredSplit {
		lines = max(lines, 2) // these ship in two parts
	}
	discontinuedFrom := d.now.Add(-20 * 24 * time.Hour)
	for len(in.Items) < lines {
		p := d.weightedProduct()
		if p.sku == demoDiscontinued && at.After(discontinuedFrom) {
			continue
		}
		if slices.ContainsFunc(in.Items, func(it domain.ItemRequest) bool { return it.SKU == p.sku }) {
			continue
		}
		qty := 1
		if d.rng.IntN(4) == 0 {
			qty = 2
		}
		in.Items = append(in.Items, domain.ItemRequest{SKU: p.sku, Quantity: qty})
	}
	return in
}

func (d *demo) weightedProduct() demoProduct {
	total := 0
	for _, p := range demoProducts {
		total += p.weight
	}
	n := d.rng.IntN(total)
	for _, p := range demoProducts {
		if n -= p.weight; n < 0 {
			return p
		}
	}
	return demoProducts[0]
}

// place creates the order as the storefront would.
func (d *demo) place(ctx context.Context, tl *demoTimeline, p demoPlan) (domain.Order, error) {
	if err := tl.step(ctx, 0); err != nil {
		return domain.Order{}, err
	}
	o, _, err := d.s.CreateOrder(ctx, demoStorefront, p.order, nil)
	if domain.ErrorCode(err) == domain.CodeCouponInvalid {
		p.order.CouponCode = ""
		o, _, err = d.s.CreateOrder(ctx, demoStorefront, p.order, nil)
	}
	if err != nil {
		return domain.Order{}, fmt.Errorf("demo order for %s: %w", p.order.Customer.Email, err)
	}
	return o, nil
}

// expire lets the reservation expiry cancel an order placed long ago and never paid.
func (d *demo) expire(ctx context.Context, tl *demoTimeline, o domain.Order) error {
	if err := tl.apply(ctx, o.ID); err != nil {
		return err
	}
	tl.reset()
	if err := tl.step(ctx, d.s.ReservationTTL()+d.between(0, 50*time.Second)); err != nil {
		return err
	}
	if _, err := d.s.ExpireReservations(ctx, d.now.Add(-d.s.ReservationTTL()), 1); err != nil {
		return err
	}
	return tl.apply(ctx, o.ID)
}

// play makes the order's story happen, each step through its use case.
func (d *demo) play(ctx context.Context, tl *demoTimeline, outcome Outcome, o domain.Order) error {
	step := func(lo, hi time.Duration) error { return tl.step(ctx, d.between(lo, hi)) }
	switch outcome {
	case OutCreated:
		return nil
	case OutPending:
		if err := step(time.Minute, 4*time.Minute); err != nil {
			return err
		}
		_, err := d.s.Transition(ctx, d.staff(), o.ID, domain.StatusPending, "awaiting bank transfer")
		return err
	case OutPartlyPaid:
		if err := step(time.Minute, 4*time.Minute); err != nil {
			return err
		}
		half := domain.Round(o.Total.Div(decimal.NewFromInt(2)), o.Currency)
		_, _, err := d.s.RecordPayment(ctx, d.staff(), o.ID, service.NewPayment{Amount: half, Gateway: "manual", Reference: d.reference("BT")})
		return err
	case OutCancelledUnpaid:
		if err := step(20*time.Minute, 20*time.Hour); err != nil {
			return err
		}
		_, _, err := d.s.Cancel(ctx, d.staff(), o.ID, demoPick(d, CancelReasons), false)
		return err
	}

	if err := step(2*time.Minute, 3*time.Hour); err != nil {
		return err
	}
	if _, _, err := d.s.RecordPayment(ctx, d.staff(), o.ID, service.NewPayment{Amount: o.Total, Gateway: "manual", Reference: d.reference("PAY")}); err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	switch outcome {
	case OutPaid:
		return nil
	case OutCancelledRefunded:
		if err := step(time.Hour, 20*time.Hour); err != nil {
			return err
		}
		_, _, err := d.s.Cancel(ctx, d.staff(), o.ID, demoPick(d, CancelReasons), true)
		return err
	case OutProcessing:
		if err := step(2*time.Hour, 6*time.Hour); err != nil {
			return err
		}
		_, err := d.ship(ctx, o, o.Items[:1])
		return err
	}

	// Everything else ships, in one parcel or two.
	if err := step(4*time.Hour, 26*time.Hour); err != nil {
		return err
	}
	var parcels []domain.Fulfillment
	if outcome == OutDeliveredSplit {
		first, err := d.ship(ctx, o, o.Items[:1])
		if err != nil {
			return err
		}
		if err := step(20*time.Hour, 40*time.Hour); err != nil {
			return err
		}
		second, err := d.ship(ctx, o, nil)
		if err != nil {
			return err
		}
		parcels = append(parcels, first, second)
	} else {
		f, err := d.ship(ctx, o, nil)
		if err != nil {
			return err
		}
		parcels = append(parcels, f)
	}
	if err := step(3*time.Hour, 10*time.Hour); err != nil {
		return err
	}
	for _, f := range parcels {
		if err := d.event(ctx, f, "in_transit"); err != nil {
			return err
		}
	}
	if outcome == OutShipped {
		return nil
	}
	if err := step(20*time.Hour, 60*time.Hour); err != nil {
		return err
	}
	for _, f := range parcels {
		if err := d.event(ctx, f, "out_for_delivery"); err != nil {
			return err
		}
	}
	if err := step(2*time.Hour, 7*time.Hour); err != nil {
		return err
	}
	for _, f := range parcels {
		if err := d.event(ctx, f, "delivered"); err != nil {
			return err
		}
	}

	switch outcome {
	case OutPartlyRefunded:
		if err := step(24*time.Hour, 72*time.Hour); err != nil {
			return err
		}
		amount := domain.Round(o.Total.Mul(decimal.RequireFromString("0.2")), o.Currency)
		_, _, err := d.s.Refund(ctx, d.staff(), o.ID, amount, demoPick(d, GoodwillReasons))
		return err
	case OutReturned, OutRefunded:
		return d.giveBack(ctx, step, o, outcome == OutRefunded)
	}
	return nil
}

// giveBack has the customer return one item (or everything, and get all their money
// back), approved, and usually received back into stock.
func (d *demo) giveBack(ctx context.Context, step func(lo, hi time.Duration) error, o domain.Order, everything bool) error {
	if err := step(24*time.Hour, 96*time.Hour); err != nil {
		return err
	}
	why := demoPick(d, ReturnReasons)
	lines := []domain.LineQuantity{{OrderItemID: o.Items[0].ID, Quantity: 1, Reason: why}}
	if everything {
		lines = lines[:0]
		for _, it := range o.Items {
			lines = append(lines, domain.LineQuantity{OrderItemID: it.ID, Quantity: it.Quantity, Reason: why})
		}
	}
	ret, err := d.s.RequestReturn(ctx, demoStorefront, o.ID, service.NewReturn{Items: lines, Reason: why})
	if err != nil {
		return fmt.Errorf("request return: %w", err)
	}
	if err := step(6*time.Hour, 30*time.Hour); err != nil {
		return err
	}
	if _, err := d.s.ApproveReturn(ctx, d.staff(), ret.ID, ""); err != nil {
		return fmt.Errorf("approve return: %w", err)
	}
	if d.intN(4) > 0 {
		if err := step(24*time.Hour, 72*time.Hour); err != nil {
			return err
		}
		if _, err := d.s.ReceiveReturn(ctx, d.warehouse(), ret.ID, true); err != nil {
			return fmt.Errorf("receive return: %w", err)
		}
	}
	if !everything {
		return nil
	}
	now, err := d.s.GetOrder(ctx, o.ID)
	if err != nil {
		return err
	}
	if left := now.Paid.Sub(now.Refunded); left.IsPositive() {
		if err := step(time.Hour, 5*time.Hour); err != nil {
			return err
		}
		if _, _, err := d.s.Refund(ctx, d.staff(), o.ID, left, "shipping refunded with the return"); err != nil {
			return fmt.Errorf("refund the rest: %w", err)
		}
	}
	return nil
}

// ship sends the given lines (all that is left when nil) with a carrier.
func (d *demo) ship(ctx context.Context, o domain.Order, items []domain.OrderItem) (domain.Fulfillment, error) {
	req := domain.FulfillmentRequest{Carrier: demoPick(d, Carriers)}
	d.mu.Lock()
	req.TrackingNumber = TrackingNumber(req.Carrier, d.rng)
	d.mu.Unlock()
	for _, it := range items {
		req.Items = append(req.Items, domain.LineQuantity{OrderItemID: it.ID, Quantity: it.Quantity})
	}
	f, _, err := d.s.Fulfill(ctx, d.warehouse(), o.ID, req)
	if err != nil {
		return domain.Fulfillment{}, fmt.Errorf("fulfill: %w", err)
	}
	return f, nil
}

func (d *demo) event(ctx context.Context, f domain.Fulfillment, status string) error {
	_, err := d.s.AddTrackingEvent(ctx, domain.System, f.ID, domain.TrackingEventRequest{Status: status,
		Description: demoPick(d, EventDetails[status])})
	if err != nil {
		return fmt.Errorf("tracking event %s: %w", status, err)
	}
	return nil
}

func (d *demo) reference(prefix string) string {
	return fmt.Sprintf("%s-%06d", prefix, d.intN(1_000_000))
}

// demoTimeline maps the real moments of an order's steps (database clock) to the demo's
// story: step i happened at planned[i].
type demoTimeline struct {
	d       *demo
	at      time.Time // the story's current moment
	bounds  []time.Time
	planned []time.Time
}

// step marks the start of the next step, after gap in the story (capped at now).
func (t *demoTimeline) step(ctx context.Context, gap time.Duration) error {
	real, err := clockTimestamp(ctx, t.d.s.Pool())
	if err != nil {
		return fmt.Errorf("demo clock: %w", err)
	}
	t.at = t.at.Add(gap)
	if limit := t.d.now.Add(-time.Minute); t.at.After(limit) {
		t.at = limit
	}
	t.bounds, t.planned = append(t.bounds, real), append(t.planned, t.at)
	return nil
}

func (t *demoTimeline) reset() { t.bounds, t.planned = nil, nil }

// apply moves the order's rows to the story's moments.
func (t *demoTimeline) apply(ctx context.Context, orderID string) error {
	id, err := uuid.Parse(orderID)
	if err != nil {
		return err
	}
	if len(t.bounds) == 0 {
		return errors.New("demo demoTimeline without steps")
	}
	return shiftOrderTimeline(ctx, t.d.s.Pool(), id, t.bounds, t.planned)
}
