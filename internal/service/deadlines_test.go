package service_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/mail"
	"github.com/oms/oms/internal/mail/mailtest"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// roundTheClock is a shop open all the time in UTC: a deadline is the payment plus the
// rule's hours exactly.
func roundTheClock(shipWithin string) domain.DeadlineInput {
	hours := map[string][2]string{}
	for _, d := range domain.Weekdays {
		hours[domain.WeekdayKey(d)] = [2]string{"00:00", "24:00"}
	}
	return domain.DeadlineInput{TimeZone: "UTC", Hours: hours, ShipWithin: shipWithin, AtRisk: "4"}
}

func (e *opsEnv) deadlines(in domain.DeadlineInput) service.DeadlineSettings {
	e.t.Helper()
	s, err := e.svc.SaveDeadlineSettings(e.ctx, in)
	if err != nil {
		e.t.Fatalf("save deadlines: %v", err)
	}
	return s
}

// lateEndpoint subscribes a webhook endpoint to order.late (nothing delivers in these
// tests: the messages stay in the outbox, where they are counted).
func (e *opsEnv) lateEndpoint() {
	e.t.Helper()
	if _, _, err := e.svc.CreateWebhookEndpoint(e.ctx, "https://8.8.8.8/hooks", []string{string(domain.EventOrderLate)}); err != nil {
		e.t.Fatal(err)
	}
}

// lateMessages counts the order.late webhooks queued for each order.
func (e *opsEnv) lateMessages() map[string]int {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT order_id::text, count(*) FROM messages WHERE kind = 'order.late' GROUP BY 1`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			e.t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

func (e *opsEnv) get(id string) domain.Order {
	e.t.Helper()
	o, err := e.svc.GetOrder(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// A paid order's deadline is set in the payment's transaction and is there while the
// order waits to ship, held or not; shipping or cancelling it clears it.
func TestShipByFollowsTheOrder(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 100)
	e.deadlines(roundTheClock("16"))
	unpaid := e.order("a@example.com", "TEE-M", 1)
	if unpaid.ShipBy != nil {
		t.Fatalf("an unpaid order has a deadline: %v", unpaid.ShipBy)
	}
	paid := e.pay(e.order("b@example.com", "TEE-M", 2))
	if paid.ShipBy == nil || !paid.ShipBy.Equal(paid.PaidAt.Add(16*time.Hour)) {
		t.Fatalf("paid at %v, ship by %v: want 16 hours later", paid.PaidAt, paid.ShipBy)
	}
	if _, err := e.svc.Hold(e.ctx, opsStaff, paid.ID, "check the address"); err != nil {
		t.Fatal(err)
	}
	if o := e.get(paid.ID); o.ShipBy == nil || !o.ShipBy.Equal(*paid.ShipBy) {
		t.Errorf("held: ship by %v", o.ShipBy)
	}
	if _, err := e.svc.Release(e.ctx, opsStaff, paid.ID); err != nil {
		t.Fatal(err)
	}
	_, part, err := e.svc.Fulfill(e.ctx, opsStaff, paid.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z1",
		Items: []domain.LineQuantity{{OrderItemID: paid.Items[0].ID, Quantity: 1}}})
	if err != nil || part.Status != domain.StatusProcessing || part.ShipBy == nil {
		t.Fatalf("partly shipped: %v, %s, ship by %v", err, part.Status, part.ShipBy)
	}
	_, shipped, err := e.svc.Fulfill(e.ctx, opsStaff, paid.ID, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z2"})
	if err != nil || shipped.Status != domain.StatusShipped || shipped.ShipBy != nil {
		t.Fatalf("shipped: %v, %s, ship by %v", err, shipped.Status, shipped.ShipBy)
	}
	cancelled := e.pay(e.order("c@example.com", "TEE-M", 1))
	if _, _, err := e.svc.Cancel(e.ctx, opsStaff, cancelled.ID, "changed mind", false); err != nil {
		t.Fatal(err)
	}
	if n := e.intQuery(`SELECT count(*) FROM orders WHERE ship_by IS NOT NULL`); n != 0 {
		t.Errorf("%d orders keep a deadline, want none (shipped and cancelled clear it)", n)
	}
	e.mustBeClean()
}

// Changing the rules recomputes every open order; orders already late when a rule is
// first set get order.late, once, whatever the rules do afterwards; no rule, no deadline.
func TestRuleChangesRecomputeAndLatenessIsPublishedOnce(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 100)
	e.lateEndpoint()
	old1 := e.pay(e.order("old1@example.com", "TEE-M", 1))
	old2 := e.pay(e.order("old2@example.com", "TEE-M", 1))
	fresh := e.pay(e.order("fresh@example.com", "TEE-M", 1))
	if old1.ShipBy != nil {
		t.Fatal("a deadline without a rule")
	}
	e.exec(`UPDATE orders SET paid_at = paid_at - interval '3 days' WHERE id IN ($1, $2)`, old1.ID, old2.ID)

	s := e.deadlines(roundTheClock("16"))
	if s.Recompute == nil || s.Recompute.State != "done" || s.Recompute.Done != 3 {
		t.Fatalf("recomputation: %+v", s.Recompute)
	}
	for _, o := range []domain.Order{old1, old2, fresh} {
		got := e.get(o.ID)
		if got.ShipBy == nil || !got.ShipBy.Equal(got.PaidAt.Add(16*time.Hour)) {
			t.Errorf("%s: paid at %v, ship by %v", o.Number, got.PaidAt, got.ShipBy)
		}
	}
	late, err := e.svc.ListOrders(e.ctx, domain.OrderFilter{SLA: domain.SLALate}, service.RowsOnly)
	if err != nil || late.Total != 2 || len(late.Orders) != 2 {
		t.Fatalf("sla=late: %d orders (total %d), %v", len(late.Orders), late.Total, err)
	}
	if n, err := e.svc.MarkLateOrders(e.ctx, 1); err != nil || n != 2 {
		t.Fatalf("marked %d late, %v; want 2", n, err)
	}
	if n, err := e.svc.MarkLateOrders(e.ctx, 10); err != nil || n != 0 {
		t.Fatalf("marked %d again, %v", n, err)
	}
	// Late no more, then late again: still once.
	e.deadlines(roundTheClock("100"))
	if late, _ := e.svc.ListOrders(e.ctx, domain.OrderFilter{SLA: domain.SLALate}, service.RowsOnly); late.Total != 0 {
		t.Errorf("with 100 hours, %d late", late.Total)
	}
	e.deadlines(roundTheClock("16"))
	if n, err := e.svc.MarkLateOrders(e.ctx, 10); err != nil || n != 0 {
		t.Fatalf("marked %d again after the rules changed back, %v", n, err)
	}
	msgs := e.lateMessages()
	if len(msgs) != 2 || msgs[old1.ID] != 1 || msgs[old2.ID] != 1 {
		t.Errorf("order.late messages: %v, want one for each old order", msgs)
	}
	if o := e.get(old1.ID); o.History[len(o.History)-1].Kind != "deadline" || !strings.HasPrefix(o.History[len(o.History)-1].Note, "due ") {
		t.Errorf("history: %+v", o.History[len(o.History)-1])
	}
	// At risk: not late, due within the at-risk hours.
	e.deadlines(roundTheClock("3"))
	if n := e.intQuery(`SELECT count(*) FROM orders WHERE ship_by IS NOT NULL`); n != 3 {
		t.Fatalf("%d deadlines", n)
	}
	risk, err := e.svc.ListOrders(e.ctx, domain.OrderFilter{SLA: domain.SLAAtRisk}, service.RowsOnly)
	if err != nil || risk.Total != 1 || risk.Orders[0].ID != fresh.ID {
		t.Errorf("sla=at_risk: %d (%v)", risk.Total, err)
	}
	// No rule: no deadlines.
	e.deadlines(domain.DeadlineInput{TimeZone: "UTC", Hours: roundTheClock("").Hours, AtRisk: "4"})
	if n := e.intQuery(`SELECT count(*) FROM orders WHERE ship_by IS NOT NULL`); n != 0 {
		t.Errorf("%d deadlines without a rule", n)
	}
	if n, err := e.svc.MarkLateOrders(e.ctx, 10); err != nil || n != 0 {
		t.Errorf("marked %d without a rule, %v", n, err)
	}
	e.mustBeClean()
}

// order.late goes out exactly once per order that is late, while payments, changes of
// the rules that make old orders late and not late again, and several publishers run at
// the same time; every open order ends with the deadline of the last rules.
func TestOrderLateExactlyOnceUnderConcurrentPaymentsAndRuleChanges(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 1000)
	e.lateEndpoint()
	const n = 30
	var old, fresh []domain.Order
	for i := range n {
		old = append(old, e.pay(e.order(fmt.Sprintf("old%d@example.com", i), "TEE-M", 1)))
		fresh = append(fresh, e.order(fmt.Sprintf("new%d@example.com", i), "TEE-M", 1))
	}
	// Paid ten days ago: late with a rule of 16 or 200 hours, on time with 300.
	e.exec(`UPDATE orders SET paid_at = paid_at - interval '10 days' WHERE status = 'paid'`)
	e.deadlines(roundTheClock("16"))

	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(1)
	go func() { // payments
		defer wg.Done()
		for _, o := range fresh {
			if _, _, err := e.svc.RecordPayment(e.ctx, opsStaff, o.ID, service.NewPayment{Amount: o.Total}); err != nil {
				errs <- fmt.Errorf("pay %s: %w", o.Number, err)
			}
		}
	}()
	wg.Add(1)
	go func() { // rule changes
		defer wg.Done()
		for i := range 12 {
			hours := []string{"300", "200", "300", "16"}[i%4]
			if _, err := e.svc.SaveDeadlineSettings(e.ctx, roundTheClock(hours)); err != nil {
				errs <- fmt.Errorf("rules %s: %w", hours, err)
			}
		}
	}()
	var publishers sync.WaitGroup
	for range 3 {
		publishers.Add(1)
		go func() {
			defer publishers.Done()
			for ctx.Err() == nil {
				if _, err := e.svc.MarkLateOrders(e.ctx, 7); err != nil {
					errs <- fmt.Errorf("mark late: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	publishers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := e.svc.MarkLateOrders(e.ctx, 100); err != nil {
		t.Fatal(err)
	}

	msgs := e.lateMessages()
	for _, o := range old {
		if msgs[o.ID] != 1 {
			t.Errorf("%s (paid ten days ago): %d order.late, want 1", o.Number, msgs[o.ID])
		}
	}
	for _, o := range fresh {
		if msgs[o.ID] != 0 {
			t.Errorf("%s (paid now): %d order.late, want none", o.Number, msgs[o.ID])
		}
	}
	if k := e.intQuery(`SELECT count(*) FROM order_history WHERE kind = 'deadline'`); k != n {
		t.Errorf("%d deadline history rows, want %d", k, n)
	}
	// Every open order has the deadline of the last rules (16 hours).
	if k := e.intQuery(`SELECT count(*) FROM orders WHERE status = 'paid' AND ship_by = paid_at + interval '16 hours'
		AND ship_by_rules = (SELECT version FROM deadline_settings)`); k != 2*n {
		t.Errorf("%d of %d open orders have the last rules' deadline", k, 2*n)
	}
	e.mustBeClean()
}

// The staff who asked for it get one email a day listing the late orders, through the
// outbox and SMTP like every email; nobody gets one when nothing is late.
func TestLateDigestOnceADay(t *testing.T) {
	srv := mailtest.Start(t)
	sender, err := mail.New(mail.Config{URL: srv.URL(), From: "Shop <shop@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	pool := testdb.New(t)
	svc := service.New(pool, service.Config{Mailer: sender, ShopName: "Test Shop", PublicURL: "https://oms.example.com"})
	e := &opsEnv{t: t, ctx: context.Background(), pool: pool, svc: svc}
	e.stock("TEE-M", "20.00", 100)
	lead, err := svc.CreateStaffUser(e.ctx, "lead@example.com", "Lee Lead", domain.RoleWarehouse, "a-long-enough-password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateStaffUser(e.ctx, "other@example.com", "Otto", domain.RoleSupport, "a-long-enough-password"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetLateDigest(e.ctx, lead.ID, true); err != nil {
		t.Fatal(err)
	}
	e.deadlines(roundTheClock("16"))
	e.pay(e.order("fine@example.com", "TEE-M", 1))
	if n, err := svc.QueueLateDigests(e.ctx); err != nil || n != 0 {
		t.Fatalf("nothing late: %d digests, %v", n, err)
	}
	late := e.pay(e.order("late@example.com", "TEE-M", 1))
	e.exec(`UPDATE orders SET ship_by = now() - interval '2 hours' WHERE id = $1`, late.ID)
	if n, err := svc.QueueLateDigests(e.ctx); err != nil || n != 1 {
		t.Fatalf("%d digests, %v; want one, to the lead", n, err)
	}
	if n, err := svc.QueueLateDigests(e.ctx); err != nil || n != 0 {
		t.Fatalf("a second digest the same day: %d, %v", n, err)
	}
	var id int64
	if err := pool.QueryRow(e.ctx, `SELECT id FROM messages WHERE kind = 'late_digest'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeliverMessage(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, 1, 10*time.Second)[0]
	if len(got.To) != 1 || got.To[0] != "lead@example.com" || !strings.Contains(got.Subject, "1 late order") ||
		!strings.Contains(got.Text, late.Number) || !strings.Contains(got.HTML, "https://oms.example.com/orders/"+late.Number) {
		t.Errorf("digest to %v, %q:\n%s", got.To, got.Subject, got.Text)
	}
	if n := e.intQuery(`SELECT count(*) FROM messages WHERE kind = 'late_digest' AND state = 'sent'`); n != 1 {
		t.Errorf("%d digests sent", n)
	}
}

// A shipping rate may have deadline hours of its own: orders shipped at it (the rate of
// their destination and currency, else the "*" one) ship within those instead of the
// shop's rule, at payment and when a change of the rates recomputes the open orders; the
// shop's rule still says whether there are deadlines at all.
func TestShippingRateDeadlineHours(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 100)
	e.deadlines(roundTheClock("16"))
	before := e.pay(e.order("a@example.com", "TEE-M", 1)) // paid under the shop's rule
	rate := func(id uuid.UUID, country, within string) uuid.UUID {
		t.Helper()
		r, err := e.svc.SaveShippingRate(e.ctx, id, domain.ShippingRateInput{Country: country, Currency: "USD", Amount: "5", ShipWithin: within})
		if err != nil {
			t.Fatalf("save rate %s %q: %v", country, within, err)
		}
		return r.ID
	}
	within := func(o domain.Order, want time.Duration, what string) {
		t.Helper()
		got := e.get(o.ID)
		switch {
		case want == 0 && got.ShipBy != nil:
			t.Errorf("%s: ship by %v, want none", what, got.ShipBy)
		case want != 0 && (got.ShipBy == nil || !got.ShipBy.Equal(got.PaidAt.Add(want))):
			t.Errorf("%s: paid %v, ship by %v, want %v later", what, got.PaidAt, got.ShipBy, want)
		}
	}
	us := rate(uuid.Nil, "US", "4")
	within(before, 4*time.Hour, "paid before the rate had hours (recomputed)")
	after := e.pay(e.order("b@example.com", "TEE-M", 1))
	within(after, 4*time.Hour, "paid at the rate")
	if _, err := e.svc.SaveShippingRate(e.ctx, uuid.Nil, domain.ShippingRateInput{Country: "DE", Currency: "USD", Amount: "5", ShipWithin: "0"}); !fieldRefused(err, "ship_within_hours") {
		t.Errorf("0 hours: %v, want refused naming ship_within_hours", err)
	}

	rate(us, "US", "") // back to the shop's rule
	within(before, 16*time.Hour, "the rate's hours removed")
	rate(uuid.Nil, "*", "8.5") // every other destination
	if err := e.svc.DeleteShippingRate(e.ctx, us); err != nil {
		t.Fatal(err)
	}
	within(after, 8*time.Hour+30*time.Minute, "the US rate deleted: the * rate's hours")

	off := roundTheClock("")
	e.deadlines(off)
	within(after, 0, "no deadlines: a rate's hours make none")
	if s := e.deadlines(roundTheClock("16")); len(s.Rates) != 1 || s.Rates[0].Country != "*" || s.Rates[0].ShipWithin.Decimal.String() != "8.5" {
		t.Errorf("settings list the rates with hours: %+v", s.Rates)
	}
	within(after, 8*time.Hour+30*time.Minute, "deadlines on again")
	e.mustBeClean()
}

// fieldRefused tells whether err is a validation error naming field.
func fieldRefused(err error, field string) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Fields[field] != ""
}

// The late list pages by cursor in each sort, read from the deadlines' index: every late
// order once, in order, and none that is not late.
func TestLateListPagesInEverySort(t *testing.T) {
	e := newOpsEnv(t)
	e.stock("TEE-M", "20.00", 100)
	e.deadlines(roundTheClock("16"))
	var late []string
	for i := range 7 {
		o := e.pay(e.order(fmt.Sprintf("c%d@example.com", i), "TEE-M", 1+i%3))
		if i != 3 { // one not late
			e.exec(`UPDATE orders SET ship_by = now() - make_interval(hours => $2) WHERE id = $1`, o.ID, i+1)
			late = append(late, o.Number)
		}
	}
	e.pay(e.order("unpaid-then-paid@example.com", "TEE-M", 1)) // due in 16 hours
	for _, sort := range []string{domain.SortCreatedDesc, domain.SortCreatedAsc, domain.SortTotalAsc, domain.SortTotalDesc, domain.SortShipBy} {
		var got []string
		f := domain.OrderFilter{SLA: domain.SLALate, Sort: sort, Limit: 2}
		for page := 0; ; page++ {
			p, err := e.svc.ListOrders(e.ctx, f, service.RowsOnly)
			if err != nil || p.Total != int64(len(late)) {
				t.Fatalf("%s page %d: total %d, %v", sort, page, p.Total, err)
			}
			for _, o := range p.Orders {
				got = append(got, o.Number)
			}
			if p.NextCursor == "" || page > 10 {
				break
			}
			f.Cursor = p.NextCursor
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(late))) {
			t.Errorf("%s: %v, want the late %v once each", sort, got, late)
		}
		if sort == domain.SortCreatedDesc && !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Errorf("newest first: %v", got)
		}
		if sort == domain.SortShipBy && got[0] != late[len(late)-1] {
			t.Errorf("by deadline: %v, want the most overdue (%s) first", got, late[len(late)-1])
		}
	}
}
