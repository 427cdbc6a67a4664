package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// hookOf registers a receiver of the test for events and returns it.
func (e *notifyEnv) hookOf(t *testing.T, events ...string) *receiver {
	t.Helper()
	rc := &receiver{t: t}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	var ep struct{ Secret string }
	e.must(http.StatusCreated, "POST", "/api/v1/webhook_endpoints", map[string]any{"url": hook.URL, "events": events}).JSON(t, &ep)
	rc.mu.Lock()
	rc.secret = ep.Secret
	rc.mu.Unlock()
	return rc
}

// waitAllSent waits until every message about an order is sent.
func (e *notifyEnv) waitAllSent(t *testing.T, orderID string) {
	t.Helper()
	waitFor(t, "every message sent", func() bool {
		var left int
		e.scalar(&left, `SELECT count(*) FROM messages WHERE order_id = $1 AND state <> 'sent'`, orderID)
		return left == 0
	})
}

// webhookData is what the tests read of an event's data.
type webhookData struct {
	Data struct {
		Order   orderJSON `json:"order"`
		Changed []string  `json:"changed"`
	} `json:"data"`
}

// order.updated tells of edits, contact and address changes, tags, holds and releases,
// naming the fields each changed; what changes nothing sends nothing.
func TestOrderUpdatedWebhookNamesWhatChanged(t *testing.T) {
	e := newNotifyEnv(t, nil)
	rc := e.hookOf(t, "order.updated")
	e.product("MUG", "10.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "MUG", 1))
	path := "/api/v1/orders/" + o.ID
	e.must(http.StatusOK, "PATCH", path, map[string]any{"customer": map[string]any{"email": "ann@example.com", "name": "Ann Smith", "phone": "+15550100"}})
	e.must(http.StatusOK, "PATCH", path, map[string]any{"customer": map[string]any{"email": "ann@example.com", "name": "Ann Smith", "phone": "+15550100"}})
	e.must(http.StatusOK, "POST", path+"/edits", map[string]any{"add": []any{map[string]any{"sku": "MUG", "quantity": 1}}, "reason": "asked"})
	e.must(http.StatusOK, "PUT", path+"/tags", map[string]any{"tags": []string{"vip"}})
	e.must(http.StatusOK, "PUT", path+"/tags", map[string]any{"tags": []string{"vip"}})
	e.must(http.StatusOK, "POST", path+"/hold", map[string]any{"reason": "check"})
	e.must(http.StatusOK, "POST", path+"/release", map[string]any{})
	e.must(http.StatusOK, "POST", path+"/transitions", map[string]any{"status": "pending"}) // not an update
	e.startJobs()
	want := [][]string{{"customer"}, {"subtotal", "total", "items"}, {"tags"}, {"hold"}, {"hold"}}
	e.waitAllSent(t, o.ID)
	got := rc.events()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i, ev := range got {
		var b webhookData
		if err := json.Unmarshal(ev.Body, &b); err != nil {
			t.Fatal(err)
		}
		if ev.Type != "order.updated" || !slices.Equal(b.Data.Changed, want[i]) || b.Data.Order.ID != o.ID {
			t.Errorf("event %d: %s changed %v, want order.updated changed %v", i, ev.Type, b.Data.Changed, want[i])
		}
	}
}

// order.paid fires once per order, when it becomes paid: not again when an edit raises
// the total and the rest is paid, nor when an edit lowers a partly paid total back.
func TestOrderPaidFiresOncePerOrder(t *testing.T) {
	e := newNotifyEnv(t, nil)
	rc := e.hookOf(t, "order.paid")
	e.product("MUG", "10.00", 10)
	e.product("TEE-M", "20.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "MUG", 1))
	path := "/api/v1/orders/" + o.ID
	e.recordPayment(o.ID, "10.00") // paid: order.paid
	e.must(http.StatusOK, "POST", path+"/edits", map[string]any{"add": []any{map[string]any{"sku": "TEE-M", "quantity": 1}}, "reason": "more"})
	e.recordPayment(o.ID, "20.00") // the rest: paid in full again, but it was paid already
	o = e.fetchOrder(o.ID)
	e.must(http.StatusOK, "POST", path+"/edits", map[string]any{"add": []any{map[string]any{"sku": "MUG", "quantity": 1}}, "reason": "more"})
	var tee string
	for _, it := range e.fetchOrder(o.ID).Items {
		if it.SKU == "TEE-M" {
			tee = it.ID
		}
	}
	e.must(http.StatusOK, "POST", path+"/edits", map[string]any{"remove": []any{map[string]any{"order_item_id": tee, "quantity": 1}}, "reason": "less"})

	// An order made paid by an edit lowering its total: one event too.
	p := e.createOrder(orderBody("bob@example.com", "MUG", 1, "TEE-M", 1))
	e.recordPayment(p.ID, "10.00")
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+p.ID+"/edits", map[string]any{"remove": []any{map[string]any{"order_item_id": p.Items[1].ID, "quantity": 1}}, "reason": "less"})
	if p = e.fetchOrder(p.ID); p.Status != "paid" {
		t.Fatalf("order %s is %s after the edit, want paid", p.OrderNumber, p.Status)
	}

	e.startJobs()
	e.waitAllSent(t, o.ID)
	e.waitAllSent(t, p.ID)
	var ids []string
	for _, ev := range rc.events() {
		var b webhookData
		if err := json.Unmarshal(ev.Body, &b); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.Data.Order.OrderNumber)
	}
	slices.Sort(ids)
	if len(ids) != 2 || ids[0] != o.OrderNumber || ids[1] != p.OrderNumber {
		t.Fatalf("order.paid for %v, want once for %s and once for %s", ids, o.OrderNumber, p.OrderNumber)
	}
}

// An email's or a webhook's delivery is recorded in the order's history, and is not a
// change of the order: its version stays.
func TestDeliveriesDoNotChangeTheVersion(t *testing.T) {
	e := newNotifyEnv(t, nil)
	rc := e.hookOf(t, "order.paid", "order.created")
	e.product("MUG", "10.00", 10)
	o := e.paidOrder("ann@example.com", "MUG", 1)
	v := e.versionOf(o.ID)
	var notes int
	e.scalar(&notes, `SELECT count(*) FROM order_history WHERE order_id = $1 AND kind = 'notification'`, o.ID)
	e.startJobs()
	e.smtp.WaitFor(t, 1, 20*time.Second)
	waitFor(t, "both webhooks", func() bool { return len(rc.events()) == 2 })
	waitFor(t, "every message recorded as sent", func() bool {
		st := e.messageStates(o.ID)
		return st["email:sent"] == 1 && st["webhook:sent"] == 2
	})
	var after int
	e.scalar(&after, `SELECT count(*) FROM order_history WHERE order_id = $1 AND kind = 'notification'`, o.ID)
	if after <= notes {
		t.Fatalf("no delivery recorded in the history (%d rows, %d before)", after, notes)
	}
	if got := e.versionOf(o.ID); got != v {
		t.Fatalf("version %d after the deliveries, want %d", got, v)
	}
	if got := e.fetchOrder(o.ID).Version; got != v {
		t.Errorf("the API says version %d, want %d", got, v)
	}
}
