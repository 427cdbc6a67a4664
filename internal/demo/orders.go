package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/oms/oms/internal/domain"
)

// Options says how many orders LoadOrders adds and over how long.
type Options struct {
	Orders int
	Years  float64   // how far back the orders go (default 2)
	Seed   uint64    // the same seed draws the same shop
	Now    time.Time // the end of the history (default: now)
	TTL    time.Duration
	Out    io.Writer // progress, one line per tenth; nil: quiet
}

// batchSize is how many orders one transaction writes: big enough for COPY to stream,
// small enough that memory stays flat and a failure loses little.
const batchSize = 10_000

// LoadOrders adds opt.Orders orders to the demo shop (whose catalog, tax and shipping
// rates must be loaded: demo.LoadShop), as a shop with that history would have them:
// every status, with their lines, payments, refunds, shipments and tracking events,
// returns, open stock reservations and history rows, over opt.Years, from many customers,
// more of them recently (the shop grows). Rows go in with COPY, batch by batch, on two
// connections; every invariant that `oms check` audits holds afterwards, and the order
// counters are kept by the same triggers as for any other write.
func LoadOrders(ctx context.Context, pool *pgxpool.Pool, opt Options) error {
	if opt.Orders <= 0 {
		return errors.New("demo: --orders must be at least 1")
	}
	if opt.Years <= 0 {
		opt.Years = 2
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now().UTC()
	}
	if opt.TTL <= 0 {
		opt.TTL = 30 * time.Minute
	}
	shop, err := readShop(ctx, pool)
	if err != nil {
		return err
	}
	g := newGenerator(shop, opt)
	// A superuser may skip the row-by-row foreign key checks, which cost more than the
	// rows themselves; the order counters' triggers fire regardless (ENABLE ALWAYS).
	var trusted bool
	if err := pool.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&trusted); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	start := time.Now()

	batches := make(chan *batch, 2)
	eg, gctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		defer close(batches)
		conn, err := pool.Acquire(gctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		for first := 0; first < opt.Orders; first += batchSize {
			n := min(batchSize, opt.Orders-first)
			// Numbers from the orders' own sequence, in the order the orders were placed.
			var numbers []int64
			rows, err := conn.Query(gctx, "SELECT nextval('order_number_seq') FROM generate_series(1, $1)", n)
			if err == nil {
				numbers, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			}
			if err != nil {
				return fmt.Errorf("demo: order numbers: %w", err)
			}
			b := g.batch(first, numbers)
			select {
			case batches <- b:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	written := make(chan int)
	for range 2 {
		eg.Go(func() error {
			for b := range batches {
				if err := b.write(gctx, pool, trusted); err != nil {
					return err
				}
				select {
				case written <- b.orders:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	reported := make(chan struct{}) // the progress line is written before LoadOrders returns
	go func() {
		defer close(reported)
		done, step := 0, max(opt.Orders/10, 1)
		for n := range written {
			before := done
			done += n
			if opt.Out != nil && (done/step != before/step || done == opt.Orders) {
				rate := float64(done) / time.Since(start).Seconds()
				fmt.Fprintf(opt.Out, "demo: %d of %d orders (%.0f orders/s)\n", done, opt.Orders, rate)
			}
		}
	}()
	err = eg.Wait()
	close(written)
	<-reported
	if err != nil {
		return err
	}
	if g.couponUses > 0 {
		if _, err := pool.Exec(ctx, `UPDATE coupons SET used_count = used_count + $2 WHERE id = $1`, shop.coupon.id, g.couponUses); err != nil {
			return fmt.Errorf("demo: coupon use: %w", err)
		}
	}
	return nil
}

// shop is what the generator reads of the demo shop once.
type shop struct {
	products []product
	weights  int
	tax      map[string]decimal.Decimal // "US/CA", "DE/"
	shipping map[string]domain.ShippingRate
	coupon   struct {
		id   id
		code string
		c    domain.Coupon
	}
}

type product struct {
	sku, name string
	price     decimal.Decimal
	weight    int
}

func readShop(ctx context.Context, pool *pgxpool.Pool) (*shop, error) {
	s := &shop{tax: map[string]decimal.Decimal{}, shipping: map[string]domain.ShippingRate{}}
	rows, err := pool.Query(ctx, `SELECT p.sku, p.name, coalesce(p.sale_price, p.price)
		FROM products p JOIN inventory USING (sku) WHERE p.active AND p.currency = 'USD' ORDER BY p.sku`)
	if err != nil {
		return nil, fmt.Errorf("demo: catalog: %w", err)
	}
	for rows.Next() {
		var p product
		if err := rows.Scan(&p.sku, &p.name, &p.price); err != nil {
			return nil, fmt.Errorf("demo: catalog: %w", err)
		}
		// Cheaper things sell more often.
		p.weight = 1 + int(200/max(p.price.InexactFloat64(), 5))
		s.weights += p.weight
		s.products = append(s.products, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("demo: catalog: %w", err)
	}
	if len(s.products) < 3 {
		return nil, errors.New("demo: the demo catalog is not loaded (run `oms demo` first)")
	}
	rows, err = pool.Query(ctx, `SELECT country, region, rate FROM tax_rates`)
	if err != nil {
		return nil, fmt.Errorf("demo: tax rates: %w", err)
	}
	for rows.Next() {
		var country, region string
		var rate decimal.Decimal
		if err := rows.Scan(&country, &region, &rate); err != nil {
			return nil, fmt.Errorf("demo: tax rates: %w", err)
		}
		s.tax[country+"/"+region] = rate
	}
	rows, err = pool.Query(ctx, `SELECT country, amount, free_above FROM shipping_rates WHERE currency = 'USD'`)
	if err != nil {
		return nil, fmt.Errorf("demo: shipping rates: %w", err)
	}
	for rows.Next() {
		var country string
		var r domain.ShippingRate
		if err := rows.Scan(&country, &r.Amount, &r.FreeAbove); err != nil {
			return nil, fmt.Errorf("demo: shipping rates: %w", err)
		}
		s.shipping[country] = r
	}
	// A percentage coupon without a usage limit: the loader only counts its uses.
	err = pool.QueryRow(ctx, `SELECT id, code, value FROM coupons
		WHERE kind = 'percent' AND active AND usage_limit IS NULL AND starts_at IS NULL AND ends_at IS NULL
		ORDER BY code LIMIT 1`).Scan(&s.coupon.id, &s.coupon.code, &s.coupon.c.Value)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("demo: coupon: %w", err)
	}
	s.coupon.c.Code, s.coupon.c.Percent, s.coupon.c.Active = s.coupon.code, true, true
	return s, nil
}

// taxRate is the most specific rate for the address (region, then country).
func (s *shop) taxRate(a domain.Address) decimal.Decimal {
	if r, ok := s.tax[a.Country+"/"+a.Region]; ok {
		return r
	}
	return s.tax[a.Country+"/"]
}

func (s *shop) shippingRate(country string) *domain.ShippingRate {
	if r, ok := s.shipping[country]; ok {
		return &r
	}
	if r, ok := s.shipping["*"]; ok {
		return &r
	}
	return nil
}

// customer is one of the shop's customers; each places several orders over the years.
type customer struct {
	name, email, phone string
	address            json.RawMessage
	country            string
	addr               domain.Address
}

type generator struct {
	shop       *shop
	opt        Options
	customers  []customer
	couponUses int64
	start      time.Time
}

func newGenerator(s *shop, opt Options) *generator {
	g := &generator{shop: s, opt: opt}
	g.start = opt.Now.Add(-time.Duration(opt.Years * 365.25 * 24 * float64(time.Hour)))
	rng := rand.New(rand.NewPCG(opt.Seed, 1))
	n := max(1000, opt.Orders/5)
	g.customers = make([]customer, n)
	for i := range g.customers {
		first, last, country := FirstNames[rng.IntN(len(FirstNames))], LastNames[rng.IntN(len(LastNames))], Countries[rng.IntN(len(Countries))]
		place := Places[country][rng.IntN(len(Places[country]))]
		phone := fmt.Sprintf("%s%04d", place.PhonePrefix, rng.IntN(10000))
		a := domain.Address{FirstName: first, LastName: last, Address1: place.Street, City: place.City,
			Region: place.Region, PostalCode: place.Postal, Country: country, Phone: phone}
		raw, _ := json.Marshal(a) // strings only: cannot fail
		g.customers[i] = customer{name: first + " " + last, phone: phone, address: raw, country: country, addr: a,
			email: fmt.Sprintf("%s%d@%s", EmailLocal(first, last), i, EmailDomains[rng.IntN(len(EmailDomains))])}
	}
	return g
}

// placedAt is when order i of n was placed: the shop grows, so the density of orders
// rises linearly to three times its start over the years (inverse of that CDF, jittered).
func (g *generator) placedAt(i int, rng *rand.Rand) time.Time {
	const growth = 2.0
	u := (float64(i) + rng.Float64()) / float64(g.opt.Orders)
	x := (-1 + math.Sqrt(1+2*growth*u*(1+growth/2))) / growth
	span := g.opt.Now.Add(-time.Minute).Sub(g.start)
	return g.start.Add(time.Duration(x * float64(span)))
}

// batch draws orders first .. first+len(numbers)-1. Each batch has its own random
// stream (seeded by its first order), so batches can be drawn in any order.
func (g *generator) batch(first int, numbers []int64) *batch {
	rng := rand.New(rand.NewPCG(g.opt.Seed, uint64(first)+2))
	b := &batch{orders: len(numbers), reserved: map[string]int{}}
	for k, n := range numbers {
		at := g.placedAt(first+k, rng)
		o := g.order(rng, at, n)
		b.add(o)
		if o.coupon {
			g.couponUses++
		}
	}
	return b
}
