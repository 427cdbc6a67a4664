package torture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oms/oms/internal/model"
)

// Config is one run.
type Config struct {
	Duration time.Duration
	Seed     int64
	Workers  int
	Faults   bool // kill the server, restart PostgreSQL, drop requests
}

// Report is what a run did and found.
type Report struct {
	Seed     int64
	Duration time.Duration
	Ops      map[string]int // operations answered, by kind
	Refused  int            // of them refused (as the model allowed)
	Lost     int            // answers lost (dropped, killed, 5xx) and resolved
	Faults   map[string]int
	Orders   int
	Failures []string
	Notes    []string // what is worth knowing and not a failure
}

func (r Report) total() int {
	n := 0
	for _, v := range r.Ops {
		n += v
	}
	return n
}

// String is the report as the run prints it.
func (r Report) String() string {
	var b strings.Builder
	outcome := "CLEAN"
	if len(r.Failures) > 0 {
		outcome = fmt.Sprintf("FAILED (%d)", len(r.Failures))
	}
	fmt.Fprintf(&b, "torture: seed %d, %s, %d operations on %d orders (%d refused as the model allowed, %d answers lost and resolved); faults %v: %s\n",
		r.Seed, r.Duration.Round(time.Second), r.total(), r.Orders, r.Refused, r.Lost, r.Faults, outcome)
	kinds := make([]string, 0, len(r.Ops))
	for k := range r.Ops {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-22s %d\n", k, r.Ops[k])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "FAILURE: %s\n", f)
	}
	return b.String()
}

// orderCtl is the driver's handle on one order: operations on it take its lock, so that
// the model sees them one at a time (races are sent together under it on purpose).
type orderCtl struct {
	mu      sync.Mutex
	id      string
	number  string
	email   string
	country string
	abandon bool     // never paid: left to expire
	late    []late   // card events the gateway sent and the OMS has not had yet
	gone    late     // the last of them delivered
	log     []string // what was done to it, last first out
}

// late is a Stripe event delivered later (or again).
type late struct {
	op      model.Card
	payload []byte
}

func (o *orderCtl) note(s string) {
	o.log = append(o.log, time.Now().Format("15:04:05.000")+" "+s)
	if len(o.log) > 40 {
		o.log = o.log[len(o.log)-40:]
	}
}

// driver runs workers against the server and checks every answer against the model.
type driver struct {
	cfg   Config
	e     *env
	m     *model.Model
	ctx   context.Context
	halt  context.CancelFunc
	start time.Time

	mu     sync.Mutex
	orders map[string]*orderCtl
	live   []*orderCtl
	ops    map[string]int
	fails  []string
	notes  []string
	faults map[string]int

	internal      []string // answers 500 outside an outage: failures, reported with their order
	refused, lost atomic.Int64
	seq           atomic.Int64
	// quiet is held (read) by a bulk cancellation until its job is done, and (write) by a
	// kill of the server: a job killed mid-way is only rescued much later, and would then
	// change orders the model no longer expects to change.
	quiet sync.RWMutex
}

type worker struct {
	n     int
	rng   *rand.Rand
	staff *staff
}

// Run runs the torture for cfg.Duration and returns its report; t is used for the
// processes' lifetimes only (failures are in the report).
func Run(t testing.TB, cfg Config) Report {
	e := setUp(t, cfg, cfg.Workers)
	cfgModel, stock := shopConfig()
	d := &driver{cfg: cfg, e: e, m: model.New(cfgModel, stock, ttl), orders: map[string]*orderCtl{},
		ops: map[string]int{}, faults: map[string]int{}, start: time.Now()}
	d.ctx, d.halt = context.WithCancel(context.Background())
	defer d.halt()

	var wg sync.WaitGroup
	for i := range cfg.Workers {
		w := &worker{n: i, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i))), staff: e.staff[i]}
		wg.Go(func() { d.work(w) })
	}
	wg.Go(d.settleRefunds)
	d.faultsUntil(d.start.Add(cfg.Duration)) // in this goroutine: a restart may fail the test
	d.halt()
	wg.Wait()
	d.finish()
	return d.report()
}

func (d *driver) report() Report {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Report{Seed: d.cfg.Seed, Duration: time.Since(d.start), Ops: d.ops, Refused: int(d.refused.Load()),
		Lost: int(d.lost.Load()), Faults: d.faults, Orders: len(d.orders), Failures: d.fails, Notes: d.notes}
}

func (d *driver) stopped() bool { return d.ctx.Err() != nil }

// fail records a failure and stops the run: what was done, what the model expected,
// what the server has, and the order's last operations.
func (d *driver) fail(o *orderCtl, what string, err error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v", what, err)
	if o != nil {
		fmt.Fprintf(&b, "\n  order %s (%s)", o.number, o.id)
		if mo, ok := d.m.Order(o.id); ok {
			fmt.Fprintf(&b, "\n  model's order: %s", dump(mo.View()))
		}
		if v, ans := d.get(o); ans.err == nil && !ans.lost {
			fmt.Fprintf(&b, "\n  server's order: %s", dump(v))
		}
		fmt.Fprintf(&b, "\n  its last operations:\n    %s", strings.Join(o.log, "\n    "))
	}
	fmt.Fprintf(&b, "\n  stock (model / server): %s", d.stockReport())
	fmt.Fprintf(&b, "\n  replay: make torture SEED=%d WORKERS=%d (the interleaving of workers differs run to run)", d.cfg.Seed, d.cfg.Workers)
	d.mu.Lock()
	d.fails = append(d.fails, b.String())
	d.mu.Unlock()
	d.halt()
}

func (d *driver) note(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.notes = append(d.notes, fmt.Sprintf(format, args...))
}

// stockReport is every SKU's on hand and reserved, the model's and the server's.
func (d *driver) stockReport() string {
	var parts []string
	for _, sku := range d.m.SKUs() {
		on, res := d.m.Stock(sku)
		var inv struct {
			OnHand   int `json:"on_hand"`
			Reserved int `json:"reserved"`
		}
		ans := d.e.api.call(context.Background(), "GET", "/api/v1/inventory/"+sku, nil)
		_ = json.Unmarshal(ans.body, &inv)
		parts = append(parts, fmt.Sprintf("%s %d/%d vs %d/%d", sku, on, res, inv.OnHand, inv.Reserved))
	}
	return strings.Join(parts, ", ")
}

func dump(v model.View) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (d *driver) count(kind string) {
	d.mu.Lock()
	d.ops[kind]++
	d.mu.Unlock()
}

// get reads an order through the API, waiting for the server while it is down.
func (d *driver) get(o *orderCtl) (model.View, answer) {
	for i := 0; ; i++ {
		ans := d.e.api.call(context.Background(), "GET", "/api/v1/orders/"+o.id, nil)
		if !ans.lost || i == 20 {
			if ans.status != http.StatusOK {
				if ans.err == nil {
					ans.err = fmt.Errorf("GET order: %v %.300s", ans, ans.body)
				}
				return model.View{}, ans
			}
			v, _, err := readOrder(ans.body)
			ans.err = err
			return v, ans
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_ = d.e.up(ctx)
		cancel()
	}
}

// call is one operation sent: send sends it the first time, resend again when its answer
// was lost (nil: it cannot be sent again safely; the order is then read to see whether
// it happened); carries says whether a success's body is the order.
type call struct {
	op      model.Op
	kind    string
	send    func(ctx context.Context) answer
	resend  func(ctx context.Context) answer
	carries bool
	ifMatch int64 // the version it was sent for (If-Match), 0: none
	// formVersion is the order_version of the form a call submitted, once it did.
	formVersion *int64
	hooks       *formHooks // a form's
	// fallback is made instead when the page offers no such form (call.or).
	fallback *call
	// dropAfter, when set, is how soon the client drops the first attempt (only a call
	// that can be sent again is dropped: another request, sent at once, could not tell
	// whether the first is still at work).
	dropAfter time.Duration
	// after checks a success's answer against the model's order after it, and learns
	// from it what only the answer says (an intent's id).
	after func(a answer, o *model.Order) error
}

// sent is a call with its answer.
type sent struct {
	c     call
	ans   answer
	token int
	view  *model.View
}

// run sends calls on order o (together when several: a race) and checks what came back
// and the order afterwards against the model. o is locked by the caller.
func (d *driver) run(o *orderCtl, calls ...call) bool {
	out := make([]*sent, len(calls))
	for i, c := range calls {
		out[i] = &sent{c: c, token: d.m.Begin(o.id, c.op)}
	}
	defer func() {
		for _, s := range out {
			d.m.End(s.token)
		}
	}()
	var wg sync.WaitGroup
	for _, s := range out {
		wg.Go(func() { s.ans, s.c = d.send(s.c) })
	}
	wg.Wait()
	return d.check(o, out)
}

// send sends a call and, when its answer is lost, sends it again (or gives up, for the
// order to say) once the server answers again. It returns the call made: c, or its
// fallback when the page did not offer c's form.
func (d *driver) send(c call) (answer, call) {
	ctx, cancel := context.WithCancel(context.Background())
	if c.dropAfter > 0 && c.resend != nil {
		d.countFault("request dropped by its client")
		ctx, cancel = context.WithTimeout(context.Background(), c.dropAfter)
	}
	ans := c.send(ctx)
	cancel()
	if errors.Is(ans.err, errNoForm) && c.fallback != nil {
		return d.send(*c.fallback)
	}
	if ans.status == http.StatusInternalServerError && !d.e.outage() {
		// The server failed on its own: no fault explains it.
		d.mu.Lock()
		d.internal = append(d.internal, fmt.Sprintf("%s answered 500: %.300s", c.kind, ans.body))
		d.mu.Unlock()
	}
	return d.resolve(c, ans), c
}

func (d *driver) resolve(c call, ans answer) answer {
	if !ans.lost {
		return ans
	}
	d.lost.Add(1)
	if c.resend == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_ = d.e.up(ctx)
		return ans
	}
	// A client retries with its key until it gets an answer: the first attempt's, or
	// one made now. A key held by an attempt still at work (or by a process killed
	// mid-way, until the server takes the key over) answers "still running" meanwhile.
	deadline := time.Now().Add(4 * time.Minute)
	for lost := 0; lost < 8 && time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		_ = d.e.up(ctx)
		cancel()
		again := c.resend(context.Background())
		switch {
		case stillRunning(again):
			if d.stopped() {
				return ans // the run is over: the order says whether it happened
			}
			time.Sleep(5 * time.Second)
		case again.lost:
			lost++
			time.Sleep(time.Second)
		case again.code == "idempotency_key_answer_lost":
			return ans // it was done, its answer is gone: the order shows what it did
		default:
			return again
		}
	}
	return ans
}

// stillRunning is the answer to a key whose first request has not finished.
func stillRunning(a answer) bool {
	return a.code == "idempotency_key_in_use" || a.status == http.StatusConflict && strings.Contains(string(a.body), "still running")
}

// check explains the answers and the order afterwards with the model, and commits.
func (d *driver) check(o *orderCtl, out []*sent) bool {
	obs := make([]model.Observation, len(out))
	for i, s := range out {
		obs[i] = model.Observation{Op: s.c.op, Code: s.ans.modelCode(), Token: s.token, IfMatch: s.c.ifMatch}
		if s.c.formVersion != nil {
			obs[i].IfMatch = *s.c.formVersion
		}
		if s.c.carries && !s.ans.lost && s.ans.status < 300 {
			v, _, err := readOrder(s.ans.body)
			if err != nil {
				d.fail(o, s.c.op.Name(), fmt.Errorf("answer: %v: %.300s", err, s.ans.body))
				return false
			}
			// API.md §7: every answer that carries one order says its version.
			if etag := s.ans.header.Get("ETag"); v.Version > 0 && etag != strconv.Quote(strconv.FormatInt(v.Version, 10)) {
				d.fail(o, s.c.op.Name(), fmt.Errorf("ETag %q, the order's version %d", etag, v.Version))
				return false
			}
			obs[i].Answer = &v
			s.view = &v
		}
	}
	var seen model.View
	var exp model.Explanation
	var err error
	for try := 0; ; try++ {
		if len(out) == 1 && out[0].view != nil && try == 0 {
			seen = *out[0].view
		} else {
			var ans answer
			if seen, ans = d.get(o); ans.err != nil {
				d.fail(o, "read order", ans.err)
				return false
			}
		}
		if exp, err = d.m.Explain(o.id, obs, seen); err == nil || try == 3 {
			break
		}
		// A system step may be half done (a refund's parts settle one by one): look again.
		time.Sleep(time.Duration(200*(try+1)) * time.Millisecond)
	}
	var names []string
	for _, s := range out {
		names = append(names, s.c.op.Name()+" → "+s.ans.String())
	}
	d.mu.Lock()
	internal := d.internal
	d.internal = nil
	d.mu.Unlock()
	if len(internal) > 0 {
		// A 500 is a bug: its cause is in the server's log.
		d.fail(o, strings.Join(names, " | "), errors.New(strings.Join(internal, "; ")+"\n"+serverLog(d.e, 30)))
		return false
	}
	if err != nil {
		o.note(strings.Join(names, " | ") + " (unexplained)")
		d.fail(o, strings.Join(names, " | "), err)
		return false
	}
	d.countSystem(exp.Steps)
	for i, s := range out {
		if s.ans.lost {
			d.count(s.c.kind + " (lost)")
		} else {
			d.count(s.c.kind)
		}
		if !exp.Happened[i] && !s.ans.lost {
			d.refused.Add(1)
		}
		if exp.Happened[i] && s.c.after != nil && !s.ans.lost && s.ans.status < 400 {
			if err := s.c.after(s.ans, &exp.Order); err != nil {
				d.fail(o, s.c.op.Name(), err)
				return false
			}
		}
	}
	if exp.Order.CreatedAt.IsZero() {
		if mo, ok := d.m.Order(o.id); ok {
			exp.Order.CreatedAt = mo.CreatedAt
		}
	}
	d.m.Commit(o.id, exp)
	o.note(strings.Join(names, " | ") + "  [" + strings.Join(exp.Steps, "; ") + "]")
	if over := d.m.Oversold(); len(over) > 0 {
		d.fail(o, "stock", fmt.Errorf("oversold: %s", strings.Join(over, ", ")))
		return false
	}
	return true
}

// countSystem counts the system steps an explanation found, by kind.
func (d *driver) countSystem(steps []string) {
	for _, st := range steps {
		switch {
		case strings.HasPrefix(st, "system: settle"):
			d.count("(system) refund settled")
		case strings.HasPrefix(st, "system: expire"):
			d.count("(system) unpaid order expired")
		case strings.HasPrefix(st, "system: card canceled"):
			d.count("(system) intent cancelled by the job")
		case strings.HasPrefix(st, "system: card succeeded"):
			d.count("(system) intent found paid by the job")
		}
	}
}

// work is one worker's loop: a random operation at a time until the run ends.
func (d *driver) work(w *worker) {
	for !d.stopped() {
		r := w.rng.IntN(1000)
		switch {
		case r < 160 || len(d.liveOrders()) < 2*d.cfg.Workers:
			d.create(w)
		case r < 180:
			d.adjustStock(w)
		case r < 190:
			d.bulkCancel(w)
		default:
			o := d.pick(w)
			if o == nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			if r < 240 {
				d.race(w, o)
			} else {
				d.act(w, o)
			}
			o.mu.Unlock()
		}
	}
}

func (d *driver) liveOrders() []*orderCtl {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.live
}

// pick locks a random live order (nil when all tried are busy). Orders that reached a
// final state are dropped from the live set after a while.
func (d *driver) pick(w *worker) *orderCtl {
	live := d.liveOrders()
	for range 8 {
		if len(live) == 0 {
			return nil
		}
		// Newer orders more often: they have more left to do.
		i := len(live) - 1 - int(float64(len(live))*w.rng.Float64()*w.rng.Float64())
		o := live[max(i, 0)]
		if !o.mu.TryLock() {
			continue
		}
		if mo, ok := d.m.Order(o.id); ok && finished(mo) && w.rng.IntN(4) == 0 {
			d.retire(o)
		}
		return o
	}
	return nil
}

// finished is an order nothing much is left to do with.
func finished(o model.Order) bool {
	switch o.Status {
	case model.Cancelled, model.Refunded:
		return o.RefundPending().IsZero()
	case model.Returned:
		return !slices.ContainsFunc(o.Returns, func(r model.Return) bool { return r.Status == model.ReturnApproved })
	}
	return false
}

func (d *driver) retire(o *orderCtl) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// A new slice: workers hold the old one (liveOrders) and read it without the lock.
	d.live = slices.DeleteFunc(slices.Clone(d.live), func(x *orderCtl) bool { return x == o })
}

// key is a fresh idempotency key.
func (d *driver) key(what string) string {
	return fmt.Sprintf("torture-%d-%s-%d", d.cfg.Seed, what, d.seq.Add(1))
}

// faultsUntil injects faults until the deadline: the server killed and PostgreSQL
// restarted at moments spread over the run (each at least once), requests dropped all
// along (see dropAfter).
func (d *driver) faultsUntil(deadline time.Time) {
	if !d.cfg.Faults {
		d.waitUntil(deadline)
		return
	}
	span := time.Until(deadline)
	n := max(1, int(span/(3*time.Minute)))
	var plan []time.Time
	for i := range 2 * n {
		at := d.start.Add(span * time.Duration(2*i+1) / time.Duration(4*n+1))
		plan = append(plan, at)
	}
	for i, at := range plan {
		if !d.waitUntil(at) {
			return
		}
		if i%2 == 0 {
			d.quiet.Lock()
			d.e.killServer(time.Duration(500+d.seq.Add(1)%1000) * time.Millisecond)
			d.quiet.Unlock()
			d.countFault("server killed (SIGKILL) and restarted")
		} else {
			d.e.restartPostgres(time.Second)
			d.countFault("PostgreSQL restarted")
		}
	}
	d.waitUntil(deadline)
}

func (d *driver) countFault(kind string) {
	d.mu.Lock()
	d.faults[kind]++
	d.mu.Unlock()
}

// waitUntil sleeps until t; false when the run stopped first.
func (d *driver) waitUntil(t time.Time) bool {
	select {
	case <-d.ctx.Done():
		return false
	case <-time.After(time.Until(t)):
		return true
	}
}

// dropAfter is, for a few requests, how soon after it is sent the client drops it (its
// answer is then lost and it is sent again); 0 for the others. It is drawn on the
// worker's goroutine, when the call is made.
func (d *driver) dropAfter(w *worker) time.Duration {
	if !d.cfg.Faults || w.rng == nil || w.rng.IntN(100) >= 3 {
		return 0
	}
	return time.Duration(1+w.rng.IntN(30)) * time.Millisecond
}

// settleRefunds tells the OMS, through signed refund.updated events, how the refunds the
// gateway left pending ended.
func (d *driver) settleRefunds() {
	for !d.stopped() {
		time.Sleep(time.Second)
		d.tellRefunds(3 * time.Second)
	}
}

func (d *driver) tellRefunds(after time.Duration) {
	for _, rf := range d.e.gateway.settling(after) {
		obj := map[string]any{"id": rf.id, "object": "refund", "status": rf.status}
		if rf.status == "failed" {
			obj["failure_reason"] = "expired_or_canceled_card"
		}
		_, payload := d.e.gateway.event("refund.updated", obj)
		for range 5 {
			ans := d.e.api.call(context.Background(), "POST", "/webhooks/stripe", json.RawMessage(payload), "Stripe-Signature", sign(payload))
			if !ans.lost {
				break
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_ = d.e.up(ctx)
			cancel()
		}
	}
}
