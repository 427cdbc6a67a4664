package torture

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oms/oms/internal/model"
)

// finish ends a run: what the gateway still owes is delivered, background work is let
// settle, and then everything is compared: every order field by field, stock per SKU,
// `oms check`, and the outbox against what the webhook receiver and the SMTP sink got.
func (d *driver) finish() {
	d.mu.Lock()
	failed := len(d.fails) > 0
	d.mu.Unlock()
	if failed {
		return
	}
	d.ctx, d.halt = context.WithCancel(context.Background())
	defer d.halt()
	d.deliverAllLate()
	d.settle(60 * time.Second)
	d.compareOrders()
	d.compareStock()
	if out, ok := d.e.check(); !ok {
		d.failf("oms check: %s", out)
	}
	d.compareOutbox()
}

func (d *driver) failf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fails = append(d.fails, fmt.Sprintf(format, args...))
}

// deliverAllLate delivers every card event the gateway still holds back.
func (d *driver) deliverAllLate() {
	d.mu.Lock()
	orders := slices.Collect(func(yield func(*orderCtl) bool) {
		for _, o := range d.orders {
			if !yield(o) {
				return
			}
		}
	})
	d.mu.Unlock()
	for _, o := range orders {
		o.mu.Lock()
		for len(o.late) > 0 {
			ev := o.late[0]
			o.late = o.late[1:]
			if !d.run(o, d.deliver(&worker{rng: nil}, ev)) {
				o.mu.Unlock()
				return
			}
		}
		o.mu.Unlock()
	}
}

// settle waits (up to max) until no refund is pending and no job that moves money is
// waiting, telling the OMS how pending refunds ended meanwhile. Messages are not waited
// for (the outbox check holds whatever was sent); jobs left running by a killed process
// are only rescued by River much later: they are noted, not waited for.
func (d *driver) settle(max time.Duration) {
	deadline := time.Now().Add(max)
	for {
		d.tellRefunds(0)
		var pending, waiting int
		err := d.e.pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM refund_allocations WHERE status = 'pending'),
			(SELECT count(*) FROM river_job WHERE kind IN ('send_refund', 'cancel_payment_intent', 'bulk_cancel')
			   AND state IN ('available', 'retryable', 'scheduled', 'pending'))`).Scan(&pending, &waiting)
		if err == nil && pending == 0 && waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			d.note("after %s, %d refund parts still pending and %d jobs waiting: %s", max, pending, waiting, d.waitingJobs())
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if u := d.unsent(); u != "" {
		d.note("messages not sent at the end (they wait for earlier ones of their order, asking again less and less often, up to a minute apart): %s", u)
	}
	rows, err := d.e.pool.Query(context.Background(), `SELECT kind, count(*) FROM river_job
		WHERE state = 'running' AND attempted_at < now() - interval '30 seconds' GROUP BY kind ORDER BY kind`)
	if err == nil {
		for rows.Next() {
			var kind string
			var n int
			if rows.Scan(&kind, &n) == nil {
				d.note("%d %s job(s) left running by a process killed mid-way: River rescues them only after RescueStuckJobsAfter (20 min); until then their refunds stay pending and later messages of their orders wait", n, kind)
			}
		}
		rows.Close()
	}
}

// waitingJobs says which jobs wait, and why the last attempt of each kind failed.
func (d *driver) waitingJobs() string {
	rows, err := d.e.pool.Query(context.Background(), `SELECT kind, state, count(*), max(errors::text) FROM river_job
		WHERE state IN ('available', 'retryable', 'scheduled', 'pending') GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, state string
		var n int
		var errs *string
		if rows.Scan(&kind, &state, &n, &errs) == nil {
			e := ""
			if errs != nil {
				e = " " + (*errs)[max(0, len(*errs)-300):]
			}
			out = append(out, fmt.Sprintf("%d %s %s%s", n, kind, state, e))
		}
	}
	return strings.Join(out, "; ")
}

// unsent says which messages are not sent yet, and why.
func (d *driver) unsent() string {
	rows, err := d.e.pool.Query(context.Background(), `SELECT channel, kind, state, count(*), max(last_error) FROM messages
		WHERE state <> 'sent' GROUP BY channel, kind, state ORDER BY 1, 2, 3`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var channel, kind, state, last string
		var n int
		if rows.Scan(&channel, &kind, &state, &n, &last) == nil {
			out = append(out, fmt.Sprintf("%d %s %s %s (%.200s)", n, channel, kind, state, last))
		}
	}
	return strings.Join(out, "; ")
}

// compareOrders reads every order the run made and explains it from the model (system
// steps may have happened since it was last looked at): it must be the model's, field
// by field.
func (d *driver) compareOrders() {
	d.mu.Lock()
	orders := make([]*orderCtl, 0, len(d.orders))
	for _, o := range d.orders {
		orders = append(orders, o)
	}
	d.mu.Unlock()
	bad := 0
	for _, o := range orders {
		o.mu.Lock()
		var err error
		for try := 0; try < 3; try++ {
			v, ans := d.get(o)
			if ans.err != nil {
				err = ans.err
				break
			}
			var exp model.Explanation
			if exp, err = d.m.Explain(o.id, nil, v); err == nil {
				d.m.Commit(o.id, exp)
				if len(exp.Steps) > 0 {
					o.note("at the end: " + strings.Join(exp.Steps, "; "))
				}
				d.countSystem(exp.Steps)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil && bad < 5 {
			d.fail(o, "at the end, order "+o.number, err)
		}
		if err != nil {
			bad++
		}
		o.mu.Unlock()
	}
	if bad > 5 {
		d.failf("at the end, %d orders differ from the model (the first 5 are above)", bad)
	}
}

// compareStock compares each SKU's stock with the model's.
func (d *driver) compareStock() {
	for _, sku := range d.m.SKUs() {
		ans := d.e.api.call(context.Background(), "GET", "/api/v1/inventory/"+sku, nil)
		var inv struct {
			OnHand   int `json:"on_hand"`
			Reserved int `json:"reserved"`
		}
		if ans.status != http.StatusOK || json.Unmarshal(ans.body, &inv) != nil {
			d.failf("inventory of %s: %v %.300s", sku, ans, ans.body)
			continue
		}
		onHand, reserved := d.m.Stock(sku)
		if inv.OnHand != onHand || inv.Reserved != reserved {
			d.failf("stock of %s: on hand %d reserved %d, the model says %d and %d", sku, inv.OnHand, inv.Reserved, onHand, reserved)
		}
	}
}

// compareOutbox checks that no message was lost or sent twice: every message the outbox
// says was sent reached its receiver (by its webhook-id or Message-ID), nothing arrived
// that the outbox does not have, each order's messages first arrived in the order they
// were committed, and no event was written twice (two ids for one change).
func (d *driver) compareOutbox() {
	type msg struct {
		id             int64
		order, channel string
		kind, publicID string
		ref, recipient string
		state          string
	}
	rows, err := d.e.pool.Query(context.Background(), `SELECT id, order_id::text, channel, kind, public_id,
		coalesce(ref_id::text, ''), recipient, state FROM messages ORDER BY id`)
	if err != nil {
		d.failf("read the outbox: %v", err)
		return
	}
	var msgs []msg
	for rows.Next() {
		var m msg
		if err := rows.Scan(&m.id, &m.order, &m.channel, &m.kind, &m.publicID, &m.ref, &m.recipient, &m.state); err != nil {
			d.failf("read the outbox: %v", err)
			rows.Close()
			return
		}
		msgs = append(msgs, m)
	}
	rows.Close()

	hooks, arrival, repeats, bad := d.e.hooks.snapshot()
	for _, b := range bad {
		d.failf("a webhook that did not verify: %s", b)
	}
	mails := map[string]int{} // Message-ID without brackets -> arrival
	var mailOrder []string
	for i, r := range d.e.mail.Messages() {
		id := strings.TrimSuffix(strings.Trim(r.MessageID, "<>"), "@oms") // service/deliver.go: <public_id@oms>
		if _, dup := mails[id]; !dup {
			mails[id] = i
			mailOrder = append(mailOrder, id)
		}
	}
	hookAt := map[string]int{}
	for i, id := range arrival {
		hookAt[id] = i
	}
	known := map[string]bool{}
	once := map[string]int64{}
	lastAt := map[string]int{} // order+channel -> arrival of its last message checked
	sent := 0
	for _, m := range msgs {
		known[m.publicID] = true
		at, got := hookAt[m.publicID], false
		if m.channel == "email" {
			at, got = mails[m.publicID]
		} else {
			_, got = hooks[m.publicID]
		}
		if m.state == "sent" {
			sent++
			if !got {
				d.failf("message %d (%s %s of order %s) is sent in the outbox, never received", m.id, m.channel, m.kind, m.order)
			}
		}
		if got {
			k := m.order + "/" + m.channel
			if prev, ok := lastAt[k]; ok && at < prev {
				d.failf("message %d (%s %s of order %s) arrived before an earlier one of its order", m.id, m.channel, m.kind, m.order)
			}
			lastAt[k] = at
		}
		// One change, one event: a shipment's creation, a return's or refund's each step,
		// an order's creation, payment in full (API.md §7: once per order) and
		// cancellation (a shipment's updates are one per carrier event).
		if m.channel == "webhook" && m.kind != "fulfillment.updated" && (m.ref != "" || m.kind == "order.created" ||
			m.kind == "order.paid" || m.kind == "order.cancelled") {
			k := m.order + "/" + m.kind + "/" + m.ref + "/" + m.recipient
			if first, dup := once[k]; dup {
				d.failf("messages %d and %d are one event (%s of order %s %s) written twice", first, m.id, m.kind, m.order, m.ref)
			}
			once[k] = m.id
		}
	}
	for id, h := range hooks {
		if !known[id] {
			d.failf("webhook %s (%s of order %s) arrived, the outbox has no such message", id, h.Type, h.OrderID)
		}
	}
	for _, id := range mailOrder {
		if !known[id] {
			d.failf("email %s arrived, the outbox has no such message", id)
		}
	}
	d.note("outbox: %d messages, %d sent; the webhook receiver got %d (%d repeats, dropped by id), the SMTP sink %d",
		len(msgs), sent, len(hooks), repeats, len(mails))
}
