package model

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Model is the shop as the contract says it must be after everything it was told: the
// orders, stock on hand per SKU (reserved is the orders' reservations, summed) and the
// coupons' uses. It is safe for concurrent use; operations on one order must come one at
// a time (the driver locks each order), operations on different orders race only for
// stock and coupons, which the model judges with what is still in flight (Begin).
type Model struct {
	Config Config
	TTL    time.Duration    // OMS_RESERVATION_TTL: unpaid orders older than this may expire
	Now    func() time.Time // the clock expiry is judged by

	mu       sync.Mutex
	orders   map[string]*Order
	onHand   map[string]int
	reserved map[string]int
	uses     map[string]int // coupon uses, by code: they never come back
	flights  map[int]flight
	nextID   int
}

// flight is an operation sent and not yet accounted for: it may already have happened
// on the server, so the stock and coupon uses the server has are between the model's
// and the model's moved by every flight.
type flight struct {
	reserve, release map[string]int
	coupon           string
	// low and high are the stock available to it, per SKU, at the lowest and highest
	// the server's may have been while it flew (what others took or gave back meanwhile,
	// even if they are accounted for by now); uses the coupons' uses when it was sent.
	low, high map[string]int
	uses      map[string]int
}

// New is a model of a shop with cfg and stock on hand.
func New(cfg Config, onHand map[string]int, ttl time.Duration) *Model {
	return &Model{Config: cfg, TTL: ttl, Now: time.Now, orders: map[string]*Order{}, onHand: maps.Clone(onHand),
		reserved: map[string]int{}, uses: map[string]int{}, flights: map[int]flight{}}
}

// Order is the model's order id (a copy), ok false when there is none.
func (m *Model) Order(id string) (Order, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return Order{}, false
	}
	return o.Clone(), true
}

// Stock is a SKU's on_hand and reserved as the model has them.
func (m *Model) Stock(sku string) (onHand, reserved int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.onHand[sku], m.reserved[sku]
}

// SKUs are the SKUs with stock.
func (m *Model) SKUs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.onHand))
}

// Begin records that op on order id (empty: a new order) is about to be sent, and
// returns its token for End. Until then other answers are judged knowing it may have
// happened already.
func (m *Model) Begin(id string, op Op) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	f := flight{reserve: map[string]int{}, release: map[string]int{}}
	cur := Order{}
	if o, ok := m.orders[id]; ok {
		cur = o.Clone()
	}
	next := cur.Clone()
	if eff, err := op.apply(&m.Config, &next); err == nil {
		for sku, d := range reservationDelta(cur, next) {
			if d > 0 {
				f.reserve[sku] += d
			} else {
				f.release[sku] -= d
			}
		}
		for sku, d := range eff.OnHand {
			if d > 0 {
				f.release[sku] += d
			}
		}
		f.coupon = eff.Coupon
	}
	m.fly(f)
	return m.nextID
}

// BeginStock records a stock adjustment in flight (see Begin).
func (m *Model) BeginStock(sku string, delta int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	f := flight{reserve: map[string]int{}, release: map[string]int{}}
	if delta > 0 {
		f.release[sku] = delta
	} else {
		f.reserve[sku] = -delta
	}
	m.fly(f)
	return m.nextID
}

// fly records f as flight m.nextID and what it may see from now on. Caller holds mu.
func (m *Model) fly(f flight) {
	f.low, f.high, f.uses = map[string]int{}, map[string]int{}, maps.Clone(m.uses)
	for sku := range m.onHand {
		f.low[sku], f.high[sku] = m.onHand[sku]-m.reserved[sku], m.onHand[sku]-m.reserved[sku]
	}
	m.flights[m.nextID] = f
	m.observe()
}

// observe widens what each flight may see by the stock as it is now. Caller holds mu.
func (m *Model) observe() {
	for id, f := range m.flights {
		reserve, release, _ := m.slack(id)
		for sku := range m.onHand {
			avail := m.onHand[sku] - m.reserved[sku]
			f.low[sku] = min(f.low[sku], avail-reserve[sku])
			f.high[sku] = max(f.high[sku], avail+release[sku])
		}
	}
}

// End forgets a flight: its answer has been accounted for.
func (m *Model) End(token int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.flights, token)
}

func reservationDelta(before, after Order) map[string]int {
	d := after.Reservations()
	for sku, n := range before.Reservations() {
		d[sku] -= n
	}
	return d
}

// slack is how far the server's stock and coupon uses may be from the model's: what
// other flights may have taken or given back, and what unpaid orders past their TTL may
// have given back by expiring. Caller holds mu.
func (m *Model) slack(except int) (reserve, release map[string]int, coupons map[string]int) {
	reserve, release, coupons = map[string]int{}, map[string]int{}, map[string]int{}
	for id, f := range m.flights {
		if id == except {
			continue
		}
		for sku, n := range f.reserve {
			reserve[sku] += n
		}
		for sku, n := range f.release {
			release[sku] += n
		}
		if f.coupon != "" {
			coupons[f.coupon]++
		}
	}
	now := m.Now()
	for _, o := range m.orders {
		if (o.Status == Created || o.Status == Pending) && now.Sub(o.CreatedAt) > m.TTL-2*time.Second {
			for sku, n := range o.Reservations() {
				release[sku] += n
			}
		}
	}
	return reserve, release, coupons
}

// verdict is what stock and coupon uses allow of a success that changes cur into next
// with eff: ok false when it surely cannot happen, maybe the codes it may be refused with
// instead. Caller holds mu.
func (m *Model) verdict(token int, cur, next Order, eff Effects) (ok bool, maybe []string) {
	m.observe()
	low, high, usesLow, usesHigh := m.bounds(token)
	ok = true
	for sku, d := range reservationDelta(cur, next) {
		if d <= 0 {
			continue
		}
		switch {
		case high[sku] < d:
			ok, maybe = false, []string{"out_of_stock"}
		case low[sku] < d && !slices.Contains(maybe, "out_of_stock"):
			maybe = append(maybe, "out_of_stock")
		}
	}
	if eff.Coupon != "" {
		if limit := m.Config.Coupons[eff.Coupon].Limit; limit > 0 {
			switch {
			case usesLow[eff.Coupon] >= limit:
				ok, maybe = false, append(maybe, "coupon_invalid")
			case usesHigh[eff.Coupon] >= limit:
				maybe = append(maybe, "coupon_invalid")
			}
		}
	}
	return ok, maybe
}

// bounds are the stock available to flight token, lowest and highest, and the coupons'
// uses, fewest and most, the server may have had while it flew (without a flight: now).
// Caller holds mu.
func (m *Model) bounds(token int) (low, high, usesLow, usesHigh map[string]int) {
	reserve, release, coupons := m.slack(token)
	usesHigh = maps.Clone(m.uses)
	for code, n := range coupons {
		usesHigh[code] += n
	}
	if f, ok := m.flights[token]; ok {
		return f.low, f.high, f.uses, usesHigh
	}
	low, high = map[string]int{}, map[string]int{}
	for sku := range m.onHand {
		low[sku] = m.onHand[sku] - m.reserved[sku] - reserve[sku]
		high[sku] = m.onHand[sku] - m.reserved[sku] + release[sku]
	}
	return low, high, m.uses, usesHigh
}

// Outcome is what the model allows of an operation.
type Outcome struct {
	Next    *Order   // the order after a success; nil: the operation must be refused
	Effects Effects  // what a success does beyond the order
	Codes   []string // error codes it may be refused with
}

// Step says what op on order id (empty: a new order) may come to, from the model's state.
func (m *Model) Step(id string, op Op, token int) Outcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := Order{}
	if o, ok := m.orders[id]; ok {
		cur = *o
	}
	return m.step(cur, op, token)
}

func (m *Model) step(cur Order, op Op, token int) Outcome {
	next := cur.Clone()
	eff, err := op.apply(&m.Config, &next)
	if err != nil {
		r := err.(*Refusal)
		if !r.afterStock {
			return Outcome{Codes: r.Codes}
		}
		switch ok, maybe := m.verdict(token, cur, next, Effects{}); {
		case !ok:
			return Outcome{Codes: maybe}
		default:
			return Outcome{Codes: append(slices.Clone(r.Codes), maybe...)}
		}
	}
	ok, maybe := m.verdict(token, cur, next, eff)
	out := Outcome{Effects: eff, Codes: maybe}
	if ok {
		if next.Version > 0 {
			next.Version += bump(op, cur, next)
		}
		out.Next = &next
	}
	return out
}

// changed reports whether b differs from a in anything the server keeps: a transaction
// that changes an order makes its next version (API.md §7); one that changes nothing
// leaves it.
func changed(a, b Order) bool {
	a.Version, b.Version = 0, 0
	a.StripeEvents, b.StripeEvents = nil, nil
	return !reflect.DeepEqual(a, b)
}

// bump is how many versions a step makes: one per transaction that changes the order. A
// refund's card parts settle each in a transaction of its own.
func bump(op Op, before, after Order) int64 {
	if !changed(before, after) {
		return 0
	}
	if st, ok := op.(Settle); ok {
		n := int64(0)
		for _, r := range before.Refunds {
			if r.ID == st.Refund {
				for _, p := range r.Parts {
					if p.Status == RefundPending {
						n++
					}
				}
			}
		}
		return max(n, 1)
	}
	return 1
}

// Observation is what the driver saw of one operation on an order: its answer's code
// ("" for a success) and, when the answer carried the order, the order right after it.
type Observation struct {
	Op     Op
	Code   string
	Answer *View // the order the answer carried; nil when it carried none
	Token  int   // the operation's flight (Begin)
	// IfMatch is the version the request said it was made for (If-Match); 0: none.
	IfMatch int64
}

// Codes of observations that name no error code.
const (
	Lost    = "(no answer)" // an answer that never came: it may have happened or not
	Refused = "(refused)"   // refused, with a code the driver does not read (a form)
)

// Explanation is how the model accounts for what the driver saw: the operations and the
// system steps around them, in the order found, and the order after them.
type Explanation struct {
	Steps    []string
	Happened []bool // per observation: the operation succeeded
	Order    Order
	effects  Effects
	coupons  []string
	tried    []bool // per observation: placed in the explanation
}

// maxSystemSteps bounds how many system steps one explanation may take.
const maxSystemSteps = 8

// Explain finds how the operations observed (sent together: in any order) and the
// order seen last came about from the model's order id: each operation as its answer
// says, and before, between or after them any system steps the order seen shows
// (refunds settled, an expiry, card payments settled by the cancellation job). An
// answer that carried the order must match the order right after its operation. It
// returns an error naming what differs when nothing explains it; the model is
// unchanged until Commit.
func (m *Model) Explain(id string, obs []Observation, seen View) (Explanation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := Order{}
	if o, ok := m.orders[id]; ok {
		cur = o.Clone()
	}
	var best []string
	var found *Explanation
	note := func(d []string) {
		if best == nil || len(d) < len(best) {
			best = d
		}
	}
	var search func(o Order, e Explanation, done int, steps int)
	search = func(o Order, e Explanation, done int, steps int) {
		if found != nil {
			return
		}
		if done == len(obs) {
			o.Bind(seen)
			d := Diff(o.View(), seen)
			if len(d) == 0 {
				e.Order = o
				found = &e
				return
			}
			note(d)
		}
		for i, ob := range obs {
			if e.tried[i] {
				continue
			}
			m.tryOp(o, ob, func(next Order, eff Effects, did bool, label string) {
				if did && ob.Answer != nil {
					next.Bind(*ob.Answer)
					if d := Diff(next.View(), *ob.Answer); len(d) > 0 {
						note(append([]string{"the answer to " + ob.Op.Name() + ":"}, d...))
						return
					}
				}
				next.Bind(seen) // what later operations refer to has its id
				f := e.clone()
				f.Steps = append(f.Steps, label)
				f.Happened[i], f.tried[i] = did, true
				if did {
					f.effects.OnHand = addStock(f.effects.OnHand, eff.OnHand)
					if eff.Coupon != "" {
						f.coupons = append(f.coupons, eff.Coupon)
					}
				}
				search(next, f, done+1, steps)
			})
		}
		if steps >= maxSystemSteps {
			return
		}
		for _, st := range evidence(o, seen) {
			next := o.Clone()
			if _, err := st.apply(&m.Config, &next); err != nil || !changed(o, next) {
				continue
			}
			if next.Version > 0 {
				next.Version += bump(st, o, next)
			}
			f := e.clone()
			f.Steps = append(f.Steps, "system: "+st.Name())
			search(next, f, done, steps+1)
		}
	}
	search(cur, Explanation{Happened: make([]bool, len(obs)), tried: make([]bool, len(obs))}, 0, 0)
	switch {
	case found == nil && best == nil:
		return Explanation{}, fmt.Errorf("no order of the operations fits their answers")
	case found == nil:
		return Explanation{}, fmt.Errorf("nothing explains the order observed; closest differences:\n  %s", strings.Join(best, "\n  "))
	}
	if found.Order.Version == 0 { // a new order: the model counts from the server's first
		found.Order.Version = seen.Version
	}
	return *found, nil
}

func (e Explanation) clone() Explanation {
	e.Steps = slices.Clone(e.Steps)
	e.Happened, e.tried = slices.Clone(e.Happened), slices.Clone(e.tried)
	e.coupons = slices.Clone(e.coupons)
	e.effects.OnHand = maps.Clone(e.effects.OnHand)
	return e
}

func addStock(a, b map[string]int) map[string]int {
	if len(b) == 0 {
		return a
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]int{}
	}
	for k, v := range b {
		out[k] += v
	}
	return out
}

// tryOp applies an observed operation to o as its answer says, calling then for each
// way it may have gone.
func (m *Model) tryOp(o Order, ob Observation, then func(Order, Effects, bool, string)) {
	name := ob.Op.Name()
	if ob.IfMatch > 0 && o.Version > 0 && o.Version != ob.IfMatch {
		// API.md §7: made for another version (If-Match, or the version a form was drawn
		// from), nothing is written.
		if ob.Code == "precondition_failed" || ob.Code == Refused || ob.Code == Lost {
			then(o, Effects{}, false, name+" → stale: precondition_failed")
		}
		return
	}
	out := m.step(o, ob.Op, ob.Token)
	switch ob.Code {
	case "":
		if out.Next != nil {
			then(*out.Next, out.Effects, true, name)
		}
	case Lost:
		if out.Next != nil {
			then(*out.Next, out.Effects, true, name+" (answer lost: happened)")
		}
		then(o, Effects{}, false, name+" (answer lost: did not happen)")
	case Refused:
		if len(out.Codes) > 0 {
			then(o, Effects{}, false, name+" → refused")
		}
	default:
		if slices.Contains(out.Codes, ob.Code) {
			then(o, Effects{}, false, name+" → "+ob.Code)
		}
	}
}

// Commit makes an explanation the model's state: the order, its stock and coupon use.
func (m *Model) Commit(id string, e Explanation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	before := Order{}
	if o, ok := m.orders[id]; ok {
		before = *o
	}
	o := e.Order
	if id == "" {
		id = o.ID
	}
	for sku, d := range reservationDelta(before, o) {
		m.reserved[sku] += d
	}
	for sku, d := range e.effects.OnHand {
		m.onHand[sku] += d
	}
	for _, c := range e.coupons {
		m.uses[c]++
	}
	m.orders[id] = &o
	m.observe()
}

// AdjustStock judges a stock adjustment of delta on sku: ok false when it surely must be
// refused (inventory_below_reserved: on hand never below reserved), maybe when it may be.
func (m *Model) AdjustStock(sku string, delta, token int) (ok, maybe bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observe()
	low, high, _, _ := m.bounds(token)
	switch {
	case high[sku]+delta < 0:
		return false, true
	case low[sku]+delta < 0:
		return true, true
	}
	return true, false
}

// CommitStock applies an adjustment the server made.
func (m *Model) CommitStock(sku string, delta int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onHand[sku] += delta
	m.observe()
}

// Oversold lists the SKUs whose reservations exceed what is on hand by more than what
// is in flight may explain.
func (m *Model) Oversold() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, release, _ := m.slack(0)
	var out []string
	for sku, r := range m.reserved {
		if r > m.onHand[sku]+release[sku] {
			out = append(out, fmt.Sprintf("%s: %d reserved of %d on hand", sku, r, m.onHand[sku]))
		}
	}
	slices.Sort(out)
	return out
}
