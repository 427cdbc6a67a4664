package torture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oms/oms/internal/model"
)

// race sends operations on one order at the same time: the same request twice with
// one Idempotency-Key (a client retrying), one form submitted twice with its one-time
// token (a double click), or two different operations (two people at work on it). The
// model must explain the answers in some order.
func (d *driver) race(w *worker, o *orderCtl) {
	mo, ok := d.m.Order(o.id)
	if !ok {
		return
	}
	cs := d.choices(w, o, mo)
	first := pickChoice(w, cs)
	if first == nil {
		return
	}
	switch w.rng.IntN(4) {
	case 3: // two people fill in the same form, drawn from one state
		d.sameForm(w, o, mo)
	case 0: // the same request sent twice at once
		c := first()
		if c.resend == nil { // no key, no token: two requests, each made (and drawn) on its own
			d.run(o, c, first())
			return
		}
		d.run(o, twice(d, o, c))
	default: // two operations at once
		second := pickChoice(w, cs)
		d.run(o, first(), second())
	}
}

// sameForm is two people at work on one order in the back office: each draws the same
// form (remove a unit, refund, pay, ship) before either submits it. The first to submit
// acts; the other's form was drawn from a version that is gone: it is drawn again with
// what changed (API.md §7), and does nothing.
func (d *driver) sameForm(w *worker, o *orderCtl, mo model.Order) {
	var newCall func() call
	switch {
	case (mo.Status == model.Paid || mo.Status == model.Processing) && !mo.Held && !mo.Owed().IsPositive():
		var items []model.LineQty
		for _, l := range mo.Lines {
			if l.Qty > l.Fulfilled {
				items = append(items, model.LineQty{Line: l.ID, Qty: 1})
				break
			}
		}
		if items == nil {
			return
		}
		newCall = func() call {
			f := url.Values{"carrier": {"UPS"}}
			for _, l := range mo.Lines {
				f.Set("qty_"+l.ID, "0")
			}
			f.Set("qty_"+items[0].Line, "1")
			return d.formCall(w, "fulfill", model.Fulfill{Items: items}, "/orders/"+o.number+"/fulfill", "/orders/"+o.number+"/fulfill", f, false)
		}
	case slices.Contains([]string{model.Created, model.Pending, model.Paid, model.Processing}, mo.Status) && len(mo.Lines) > 0 && w.rng.IntN(2) == 0:
		l := mo.Lines[w.rng.IntN(len(mo.Lines))]
		op := model.Edit{Remove: []model.LineQty{{Line: l.ID, Qty: 1}}}
		newCall = func() call {
			return d.formCall(w, "edit", op, "/orders/"+o.number+"/edit", "/orders/"+o.number+"/edit/lines",
				url.Values{"reason": {"one unit less"}, "remove_" + l.ID: {"1"}}, true)
		}
	case mo.Refundable().IsPositive():
		amount := partOf(w, mo.Refundable())
		newCall = func() call {
			return d.formCall(w, "refund", model.GiveBack{Amount: amount}, "/orders/"+o.number+"/refund", "/orders/"+o.number+"/refund",
				url.Values{"amount": {money(amount)}, "reason": {"goodwill"}}, true)
		}
	default:
		return
	}
	a := newCall()
	// The other person is another staff session (the admin's, idle after the setup).
	other := *w
	other.staff = d.e.staff[len(d.e.staff)-1]
	w = &other
	b := newCall()
	var drawn sync.WaitGroup
	drawn.Add(2)
	for _, c := range []call{a, b} {
		var once sync.Once // a form drawn again (its answer lost) does not wait again
		c.hooks.drawn = func() { once.Do(func() { drawn.Done(); drawn.Wait() }) }
	}
	a.kind, b.kind = a.kind+" (two people)", b.kind+" (two people)"
	d.run(o, a, b)
}

// twice is c sent twice: at once with its Idempotency-Key (API), or a form submitted
// again with its one-time token once the first answer came (a double click); one of
// them acts and the other answers the same. The answers must agree.
func twice(d *driver, o *orderCtl, c call) call {
	if c.resend == nil {
		return c
	}
	once := c
	once.kind = c.kind + " ×2"
	once.send = func(ctx context.Context) answer {
		var first, second answer
		if strings.HasSuffix(c.kind, "(form)") {
			if first = c.send(ctx); errors.Is(first.err, errNoForm) { // draws the form and submits it
				return first
			}
			second = c.resend(context.Background())
		} else {
			var wg sync.WaitGroup
			wg.Go(func() { first = c.send(ctx) })
			wg.Go(func() { second = c.resend(context.Background()) })
			wg.Wait()
		}
		switch {
		case first.lost || stillRunning(first):
			return second
		case second.lost || stillRunning(second):
		case first.status != second.status || first.code == "" && !sameAnswer(first, second):
			d.fail(o, c.op.Name()+" sent twice", fmt.Errorf("two answers to one request: %v %.300s / %v %.300s",
				first, first.body, second, second.body))
		}
		return first
	}
	return once
}

// sameAnswer compares two successes' bodies, less what may differ between an answer and
// its replay (nothing should).
func sameAnswer(a, b answer) bool {
	if a.status == http.StatusSeeOther {
		return a.header.Get("Location") == b.header.Get("Location")
	}
	return string(a.body) == string(b.body)
}

// bulkCancel cancels a few orders at once through the orders list's bulk action (a job
// that works through them), and checks each order's outcome.
func (d *driver) bulkCancel(w *worker) {
	d.quiet.RLock()
	defer d.quiet.RUnlock()
	live := d.liveOrders()
	var picked []*orderCtl
	for range 3 + w.rng.IntN(3) {
		if len(live) == 0 {
			break
		}
		o := live[w.rng.IntN(len(live))]
		if slices.Contains(picked, o) || !o.mu.TryLock() {
			continue
		}
		picked = append(picked, o)
	}
	defer func() {
		for _, o := range picked {
			o.mu.Unlock()
		}
	}()
	if len(picked) < 2 {
		return
	}
	refund := w.rng.IntN(2) == 0
	op := model.Cancel{Refund: refund}
	tokens := make([]int, len(picked))
	ids := url.Values{}
	for i, o := range picked {
		tokens[i] = d.m.Begin(o.id, op)
		ids.Add("ids", o.id)
	}
	defer func() {
		for _, t := range tokens {
			d.m.End(t)
		}
	}()
	fields := url.Values{"ids": ids["ids"], "reason": {"torture bulk"}}
	if refund {
		fields.Set("refund", "on")
	}
	c := d.formCall(w, "bulk cancel", op, "/orders", "/orders/bulk/status", fields, true, "/orders/bulk/cancel")
	ans, _ := d.send(c)
	if ans.lost || ans.status != http.StatusSeeOther {
		d.fail(picked[0], "bulk cancel", fmt.Errorf("answered %v %.500s", ans, ans.body))
		return
	}
	loc := ans.header.Get("Location")
	bulkID := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/orders/bulk/")
	results, err := d.bulkResults(bulkID)
	if err != nil {
		d.fail(picked[0], "bulk cancel "+bulkID, err)
		return
	}
	if _, a := w.staff.draw(context.Background(), loc, "/none"); a.status != http.StatusOK {
		d.fail(picked[0], "bulk cancel "+bulkID, fmt.Errorf("progress page: %v", a))
		return
	}
	for i, o := range picked {
		code, ok := results[o.id]
		if !ok {
			d.fail(o, "bulk cancel "+bulkID, fmt.Errorf("no outcome for order %s in %v", o.id, results))
			return
		}
		if code != "" {
			code = model.Refused
		}
		c := call{op: op, kind: "bulk cancel (form)"}
		if !d.check(o, []*sent{{c: c, ans: answer{code: code, status: http.StatusOK}, token: tokens[i]}}) {
			return
		}
	}
}

// bulkResults waits for a bulk cancellation's job to finish and returns each order's
// outcome: "" when cancelled, else why not.
func (d *driver) bulkResults(id string) (map[string]string, error) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var finished bool
		var raw []byte
		err := d.e.pool.QueryRow(context.Background(),
			`SELECT finished_at IS NOT NULL, results FROM bulk_cancellations WHERE id = $1`, id).Scan(&finished, &raw)
		if err == nil && finished {
			var rs []struct{ ID, Error string }
			if err := json.Unmarshal(raw, &rs); err != nil {
				return nil, err
			}
			out := map[string]string{}
			for _, r := range rs {
				out[r.ID] = r.Error
			}
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("not finished after 3 minutes (%v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
