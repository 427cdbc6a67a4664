package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// markPaid pays an order's total by hand, which brings it to paid.
func (e *apiEnv) markPaid(o orderJSON) {
	e.t.Helper()
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/payments",
		map[string]any{"amount": o.Total, "gateway": "manual", "reference": "bank transfer 42"})
}

// paidOrder creates an order for the given SKU quantities and pays it.
func (e *apiEnv) paidOrder(email string, skuQty ...any) orderJSON {
	e.t.Helper()
	o := e.createOrder(orderBody(email, skuQty...))
	e.markPaid(o)
	return o
}

func (e *apiEnv) reloadOrder(id string) orderJSON {
	e.t.Helper()
	var o orderJSON
	e.must(http.StatusOK, "GET", "/api/v1/orders/"+id, nil).JSON(e.t, &o)
	return o
}

// reservations sums an order's reservation quantities by status.
func (e *apiEnv) reservations(orderID string) map[string]int {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(),
		`SELECT status, sum(quantity)::int FROM inventory_reservations WHERE order_id = $1 GROUP BY status`, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			e.t.Fatal(err)
		}
		out[st] = n
	}
	return out
}

func statuses(o orderJSON) []string {
	var out []string
	for _, h := range o.History {
		if h.Kind == "status" {
			out = append(out, h.Status)
		}
	}
	return out
}

func TestPartialThenFullFulfillment(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	e.product("MUG", "8.50", 5)
	o := e.paidOrder("ann@example.com", "TEE-M", 3, "MUG", 1)
	tee, mug := o.Items[0], o.Items[1]

	var f fulfillmentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.OrderNumber+"/fulfillments", map[string]any{
		"items":   []map[string]any{{"order_item_id": tee.ID, "quantity": 2}},
		"carrier": "ups", "tracking_number": "1Z999AA10123456784",
	}).JSON(t, &f)
	if f.Carrier != "UPS" || f.TrackingURL != "https://www.ups.com/track?tracknum=1Z999AA10123456784" || f.Status != "shipped" ||
		len(f.Items) != 1 || f.Items[0].Quantity != 2 || f.ShippedAt == nil {
		t.Errorf("fulfillment = %+v", f)
	}
	got := e.reloadOrder(o.ID)
	if got.Status != "processing" || got.FulfillmentStatus != "partially_fulfilled" || got.ShippedAt != nil {
		t.Errorf("after partial: %s/%s shipped_at %v", got.Status, got.FulfillmentStatus, got.ShippedAt)
	}
	if got.Items[0].FulfilledQuantity != 2 || got.Items[1].FulfilledQuantity != 0 {
		t.Errorf("fulfilled quantities %d, %d", got.Items[0].FulfilledQuantity, got.Items[1].FulfilledQuantity)
	}
	if inv := e.inventory("TEE-M"); inv.OnHand != 8 || inv.Reserved != 1 {
		t.Errorf("TEE-M after partial = %+v, want on_hand 8 reserved 1", inv)
	}
	if inv := e.inventory("MUG"); inv.OnHand != 5 || inv.Reserved != 1 {
		t.Errorf("MUG after partial = %+v, want untouched 5/1", inv)
	}
	if r := e.reservations(o.ID); r["committed"] != 2 || r["reserved"] != 2 {
		t.Errorf("reservations after partial = %v, want 2 committed, 2 reserved", r)
	}
	var note string
	for _, h := range got.History {
		if h.Kind == "fulfillment" {
			note = h.Note
		}
	}
	if note != "2 items shipped via UPS 1Z999AA10123456784" {
		t.Errorf("history note = %q", note)
	}

	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{
		"items":   []map[string]any{{"order_item_id": strings.ToUpper(tee.ID), "quantity": 1}, {"order_item_id": mug.ID, "quantity": 1}},
		"carrier": "FedEx", "tracking_number": "123456789012",
	})
	got = e.reloadOrder(o.ID)
	if got.Status != "shipped" || got.FulfillmentStatus != "fulfilled" || got.ShippedAt == nil {
		t.Errorf("after full: %s/%s shipped_at %v", got.Status, got.FulfillmentStatus, got.ShippedAt)
	}
	if want := []string{"created", "pending", "paid", "processing", "shipped"}; strings.Join(statuses(got), ",") != strings.Join(want, ",") {
		t.Errorf("status history = %v, want %v", statuses(got), want)
	}
	if len(got.Fulfillments) != 2 {
		t.Errorf("fulfillments = %d, want 2", len(got.Fulfillments))
	}
	if inv := e.inventory("TEE-M"); inv.OnHand != 7 || inv.Reserved != 0 {
		t.Errorf("TEE-M after full = %+v, want 7/0", inv)
	}
	if inv := e.inventory("MUG"); inv.OnHand != 4 || inv.Reserved != 0 {
		t.Errorf("MUG after full = %+v, want 4/0", inv)
	}
	if r := e.reservations(o.ID); r["committed"] != 4 || r["reserved"] != 0 {
		t.Errorf("reservations after full = %v, want all 4 committed", r)
	}

	t.Run("nothing left", func(t *testing.T) {
		r := e.do("POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{})
		if r.Status != http.StatusConflict || r.ErrorCode() != "invalid_transition" {
			t.Errorf("fulfilling a shipped order: %d %s", r.Status, r.Body)
		}
	})
}

func TestFulfillmentWithItemsOmittedShipsEverythingLeft(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	e.product("MUG", "8.50", 5)
	o := e.paidOrder("ann@example.com", "TEE-M", 3, "MUG", 2)
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{
		"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 1}}})

	var f fulfillmentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "Acme Couriers", "tracking_number": "AC-1"}).JSON(t, &f)
	if len(f.Items) != 2 || f.Items[0].Quantity != 2 || f.Items[1].Quantity != 2 {
		t.Errorf("items = %+v, want the 2 tees and 2 mugs left", f.Items)
	}
	if f.TrackingURL != "" || f.Carrier != "Acme Couriers" {
		t.Errorf("unknown carrier: %q link %q, want no link", f.Carrier, f.TrackingURL)
	}
	if got := e.reloadOrder(o.ID); got.Status != "shipped" || got.FulfillmentStatus != "fulfilled" {
		t.Errorf("order %s/%s", got.Status, got.FulfillmentStatus)
	}
	if inv := e.inventory("MUG"); inv.OnHand != 3 || inv.Reserved != 0 {
		t.Errorf("MUG = %+v", inv)
	}
}

func TestFulfillmentRefusals(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.paidOrder("ann@example.com", "TEE-M", 2)
	path := "/api/v1/orders/" + o.ID + "/fulfillments"

	t.Run("ErrQuantityExceedsFulfillable", func(t *testing.T) {
		r := e.do("POST", path, map[string]any{"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 3}}})
		var b errorBody
		r.JSON(t, &b)
		if r.Status != http.StatusUnprocessableEntity || b.Error.Code != "quantity_exceeds_fulfillable" || b.Error.Fields["items[0].quantity"] == "" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("unknown line", func(t *testing.T) {
		r := e.do("POST", path, map[string]any{"items": []map[string]any{{"order_item_id": "00000000-0000-0000-0000-000000000000", "quantity": 1}}})
		var b errorBody
		r.JSON(t, &b)
		if r.Status != http.StatusUnprocessableEntity || b.Error.Fields["items[0].order_item_id"] == "" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("validation", func(t *testing.T) {
		for name, body := range map[string]map[string]any{
			"zero quantity":     {"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 0}}},
			"empty items":       {"items": []any{}},
			"bad tracking":      {"carrier": "UPS", "tracking_number": "1Z<script>"},
			"long carrier":      {"carrier": strings.Repeat("c", 65)},
			"tracking, carrier": {"tracking_number": "123"},
		} {
			if r := e.do("POST", path, body); r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "validation_failed" {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if r := e.do("POST", path, `{"items": [{"order_item_id": "x", "quantity": 1, "price": "1"}]}`); r.Status != http.StatusBadRequest {
			t.Errorf("unknown field: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/orders/ORD-000000-999999/fulfillments", map[string]any{}); r.Status != http.StatusNotFound {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrInvalidTransition for an unpaid order", func(t *testing.T) {
		unpaid := e.createOrder(orderBody("bob@example.com", "TEE-M", 1))
		r := e.do("POST", "/api/v1/orders/"+unpaid.ID+"/fulfillments", map[string]any{})
		if r.Status != http.StatusConflict || r.ErrorCode() != "invalid_transition" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		if got := e.reloadOrder(unpaid.ID); got.FulfillmentStatus != "unfulfilled" || got.Items[0].FulfilledQuantity != 0 {
			t.Errorf("unpaid order changed: %+v", got)
		}
	})
	// Nothing of the refused requests stuck.
	if inv := e.inventory("TEE-M"); inv.OnHand != 10 || inv.Reserved != 3 {
		t.Errorf("inventory = %+v, want 10 on hand, 3 reserved", inv)
	}
	if n := e.count("fulfillments"); n != 0 {
		t.Errorf("%d fulfillments, want 0", n)
	}
}

func TestConcurrentFullFulfillmentsShipOnce(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.paidOrder("ann@example.com", "TEE-M", 3)
	const n = 10
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.do("POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "UPS", "tracking_number": "1Z1"}).Status
		}()
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict, http.StatusUnprocessableEntity:
		default:
			t.Errorf("unexpected status %d", c)
		}
	}
	if created != 1 {
		t.Errorf("%d fulfillments created, want exactly 1 (codes %v)", created, codes)
	}
	if inv := e.inventory("TEE-M"); inv.OnHand != 7 || inv.Reserved != 0 {
		t.Errorf("inventory = %+v, want 7/0", inv)
	}
	if n := e.count("fulfillments"); n != 1 {
		t.Errorf("%d fulfillments in the database", n)
	}
	var drift int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM inventory i WHERE reserved <>
		(SELECT coalesce(sum(quantity), 0) FROM inventory_reservations WHERE sku = i.sku AND status = 'reserved')`).Scan(&drift); err != nil {
		t.Fatal(err)
	}
	if drift != 0 {
		t.Errorf("%d SKUs whose reserved differs from their open reservations", drift)
	}
}

func TestCarrierEventsDeliverTheOrder(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.paidOrder("ann@example.com", "TEE-M", 2)
	var f1, f2 fulfillmentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{
		"items": []map[string]any{{"order_item_id": o.Items[0].ID, "quantity": 1}}, "carrier": "DHL", "tracking_number": "JD1"}).JSON(t, &f1)
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "USPS", "tracking_number": "9400"}).JSON(t, &f2)

	at := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	var ev trackingEventResultJSON
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f1.ID+"/events", map[string]any{
		"status": "in_transit", "description": "Departed facility", "at": at.Format(time.RFC3339)}).JSON(t, &ev)
	if ev.Status != "in_transit" || !ev.At.Equal(at) || ev.FulfillmentID != f1.ID || ev.FulfillmentStatus != "in_transit" || ev.ID == "" {
		t.Errorf("event = %+v", ev)
	}
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f1.ID+"/events", map[string]any{"status": "delivered", "description": "Left at front door"})
	if got := e.reloadOrder(o.ID); got.Status != "shipped" || got.DeliveredAt != nil {
		t.Errorf("one of two shipments delivered: order %s, delivered_at %v", got.Status, got.DeliveredAt)
	}
	// A late event from before the delivery does not move the shipment backwards.
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f1.ID+"/events", map[string]any{
		"status": "out_for_delivery", "at": at.Add(time.Hour).Format(time.RFC3339)})

	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f2.ID+"/events", map[string]any{"status": "delivered"}).JSON(t, &ev)
	if ev.OrderStatus != "delivered" {
		t.Errorf("event answer order_status = %s", ev.OrderStatus)
	}
	got := e.reloadOrder(o.ID)
	if got.Status != "delivered" || got.DeliveredAt == nil {
		t.Errorf("all shipments delivered: order %s, delivered_at %v", got.Status, got.DeliveredAt)
	}
	for _, f := range got.Fulfillments {
		if f.Status != "delivered" || f.DeliveredAt == nil {
			t.Errorf("fulfillment %s: %s delivered_at %v", f.ID, f.Status, f.DeliveredAt)
		}
	}
	if len(got.Fulfillments[0].Events) != 3 {
		t.Errorf("first shipment events = %+v", got.Fulfillments[0].Events)
	}
	if want := "created,pending,paid,processing,shipped,delivered"; strings.Join(statuses(got), ",") != want {
		t.Errorf("status history = %v", statuses(got))
	}

	t.Run("staff tracking view", func(t *testing.T) {
		var tr orderTrackingJSON
		e.must(http.StatusOK, "GET", "/api/v1/orders/"+o.OrderNumber+"/tracking", nil).JSON(t, &tr)
		if tr.OrderNumber != o.OrderNumber || tr.Status != "delivered" || len(tr.Fulfillments) != 2 || len(tr.History) < 6 {
			t.Errorf("tracking = %+v", tr)
		}
		if tr.Fulfillments[1].TrackingURL == "" || len(tr.Fulfillments[1].Events) != 1 {
			t.Errorf("second shipment = %+v", tr.Fulfillments[1])
		}
		if r := e.do("GET", "/api/v1/orders/ORD-000000-999999/tracking", nil); r.Status != http.StatusNotFound {
			t.Errorf("unknown order: %d", r.Status)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		path := "/api/v1/fulfillments/" + f1.ID + "/events"
		for name, body := range map[string]map[string]any{
			"unknown status": {"status": "lost"},
			"no status":      {"description": "x"},
			"future":         {"status": "delivered", "at": time.Now().Add(24 * time.Hour).Format(time.RFC3339)},
			"not a time":     {"status": "delivered", "at": "yesterday"},
		} {
			if r := e.do("POST", path, body); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		for _, id := range []string{"00000000-0000-0000-0000-000000000000", "nope"} {
			if r := e.do("POST", "/api/v1/fulfillments/"+id+"/events", map[string]any{"status": "delivered"}); r.Status != http.StatusNotFound {
				t.Errorf("fulfillment %s: %d %s", id, r.Status, r.Body)
			}
		}
	})
}
