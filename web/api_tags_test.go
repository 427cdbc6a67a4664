package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func (e *apiEnv) setTags(o orderJSON, tags ...string) orderJSON {
	e.t.Helper()
	var out orderJSON
	if tags == nil {
		tags = []string{}
	}
	e.must(http.StatusOK, "PUT", "/api/v1/orders/"+o.ID+"/tags", map[string]any{"tags": tags}).JSON(e.t, &out)
	return out
}

func (e *apiEnv) listNumbers(query string) ([]string, orderListJSON) {
	e.t.Helper()
	var l orderListJSON
	e.must(http.StatusOK, "GET", "/api/v1/orders?"+query, nil).JSON(e.t, &l)
	var out []string
	for _, o := range l.Orders {
		out = append(out, o.OrderNumber)
	}
	return out, l
}

func historyOf(o orderJSON, kind string) []historyJSON {
	var out []historyJSON
	for _, h := range o.History {
		if h.Kind == kind {
			out = append(out, h)
		}
	}
	return out
}

func TestTagsAreNormalizedAndRecordedInHistory(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
	if o.Tags == nil || len(o.Tags) != 0 || o.Hold != nil {
		t.Fatalf("a new order: tags %v, hold %v; want [] and null", o.Tags, o.Hold)
	}
	if r := e.must(http.StatusOK, "GET", "/api/v1/orders/"+o.ID, nil); !strings.Contains(string(r.Body), `"tags":[]`) ||
		!strings.Contains(string(r.Body), `"hold":null`) {
		t.Errorf("tags must be an array and hold null in JSON: %.300s", r.Body)
	}

	got := e.setTags(o, "VIP", "  gift   wrap ", "vip", "rush")
	if !slices.Equal(got.Tags, []string{"gift wrap", "rush", "vip"}) {
		t.Errorf("tags = %q, want lower case, trimmed, deduplicated, sorted", got.Tags)
	}
	got = e.setTags(o, "vip", "b2b")
	if !slices.Equal(got.Tags, []string{"b2b", "vip"}) {
		t.Errorf("tags = %q", got.Tags)
	}
	h := historyOf(got, "tags")
	if len(h) != 2 || h[0].Note != "added gift wrap, rush, vip" || h[1].Note != "added b2b; removed gift wrap, rush" || h[1].By != "test" {
		t.Errorf("tags history = %+v", h)
	}
	// The same tags again change nothing and record nothing.
	if again := e.setTags(o, "VIP", "b2b"); len(historyOf(again, "tags")) != 2 {
		t.Errorf("setting the same tags recorded history: %+v", historyOf(again, "tags"))
	}
	if cleared := e.setTags(o); len(cleared.Tags) != 0 {
		t.Errorf("an empty list must remove every tag: %q", cleared.Tags)
	}
}

func TestTagsValidation(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
	e.setTags(o, "keep")
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"TooMany", map[string]any{"tags": many}, "tags"},
		{"TooLong", map[string]any{"tags": []string{"ok", strings.Repeat("a", 41)}}, "tags[1]"},
		{"Empty", map[string]any{"tags": []string{" "}}, "tags[0]"},
		{"Markup", map[string]any{"tags": []string{"<script>alert(1)</script>"}}, "tags[0]"},
		{"Comma", map[string]any{"tags": []string{"a,b"}}, "tags[0]"},
		{"ControlCharacter", map[string]any{"tags": []string{"a\x00b"}}, "tags[0]"},
		{"NotASCII", map[string]any{"tags": []string{"ok", "ok", "café"}}, "tags[2]"},
		{"SQL", map[string]any{"tags": []string{"x'; DROP TABLE orders; --"}}, "tags[0]"},
		{"Missing", map[string]any{}, "tags"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", "/api/v1/orders/"+o.ID+"/tags", tc.body)
			var b errorBody
			r.JSON(t, &b)
			if r.Status != http.StatusUnprocessableEntity || b.Error.Fields[tc.field] == "" {
				t.Errorf("status %d, body %s; want 422 naming %s", r.Status, r.Body, tc.field)
			}
		})
	}
	if r := e.do("PUT", "/api/v1/orders/"+o.ID+"/tags", map[string]any{"tags": "vip"}); r.Status != http.StatusBadRequest {
		t.Errorf("tags as a string: %d %s", r.Status, r.Body)
	}
	if r := e.do("PUT", "/api/v1/orders/ORD-NOPE/tags", map[string]any{"tags": []string{"vip"}}); r.Status != http.StatusNotFound {
		t.Errorf("unknown order: %d", r.Status)
	}
	if got := e.reloadOrder(o.ID); !slices.Equal(got.Tags, []string{"keep"}) || len(historyOf(got, "tags")) != 1 {
		t.Errorf("refused requests changed the order: %q", got.Tags)
	}
}

func TestListFiltersByTagAndHold(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 100)
	var all []orderJSON
	for i := range 6 {
		all = append(all, e.createOrder(orderBody(fmt.Sprintf("c%d@example.com", i), "TEE-M", 1)))
	}
	for _, i := range []int{0, 2, 3, 5} {
		e.setTags(all[i], "vip")
	}
	e.setTags(all[1], "gift")
	e.setTags(all[3], "vip", "gift")
	e.markPaid(all[5])
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+all[2].ID+"/hold", map[string]any{"reason": "address check"})

	nums := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, all[i].OrderNumber)
		}
		return out
	}
	got, l := e.listNumbers("tag=VIP")
	if want := nums(5, 3, 2, 0); !slices.Equal(got, want) || l.Total != 4 || !l.TotalExact {
		t.Errorf("tag=VIP: %v (total %d), want %v newest first", got, l.Total, want)
	}
	if got, _ := e.listNumbers("tag=vip&sort=created_at"); !slices.Equal(got, nums(0, 2, 3, 5)) {
		t.Errorf("oldest first: %v", got)
	}
	// Pages of a tag follow one another without repeats or gaps.
	var paged []string
	q := "tag=vip&limit=1"
	for range 10 {
		got, l := e.listNumbers(q)
		paged = append(paged, got...)
		if l.NextCursor == nil {
			break
		}
		q = "tag=vip&limit=1&cursor=" + *l.NextCursor
	}
	if !slices.Equal(paged, nums(5, 3, 2, 0)) {
		t.Errorf("paged: %v", paged)
	}
	if got, l := e.listNumbers("tag=vip&status=paid"); !slices.Equal(got, nums(5)) || l.Total != 1 {
		t.Errorf("tag and status: %v", got)
	}
	if got, _ := e.listNumbers("tag=vip&q=ann"); !slices.Equal(got, nums(5, 3, 2, 0)) {
		t.Errorf("tag and name search: %v", got)
	}
	if got, _ := e.listNumbers("tag=gift&q=" + all[3].OrderNumber); !slices.Equal(got, nums(3)) {
		t.Errorf("tag and order number: %v", got)
	}
	if got, _ := e.listNumbers("tag=vip&sort=-total"); len(got) != 4 {
		t.Errorf("tag sorted by total: %v", got)
	}
	if got, l := e.listNumbers("tag=none"); len(got) != 0 || l.Total != 0 {
		t.Errorf("unknown tag: %v", got)
	}
	if got, l := e.listNumbers("held=true"); !slices.Equal(got, nums(2)) || l.Total != 1 {
		t.Errorf("held=true: %v", got)
	}
	if got, _ := e.listNumbers("held=false&tag=vip"); !slices.Equal(got, nums(5, 3, 0)) {
		t.Errorf("held=false&tag=vip: %v", got)
	}
	for _, bad := range []string{"tag=" + strings.Repeat("x", 41), "tag=%3Cb%3E", "held=maybe"} {
		if r := e.do("GET", "/api/v1/orders?"+bad, nil); r.Status/100 != 4 {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
}

func TestHoldStopsFulfillmentUntilReleased(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	o := e.paidOrder("ann@example.com", "TEE-M", 2)

	var held orderJSON
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.OrderNumber+"/hold", map[string]any{"reason": "Fraud check: billing name differs"}).JSON(t, &held)
	if held.Hold == nil || held.Hold.Reason != "Fraud check: billing name differs" || held.Hold.By != "test" {
		t.Fatalf("hold = %+v", held.Hold)
	}
	ship := map[string]any{"carrier": "ups", "tracking_number": "1Z999AA10123456784"}
	r := e.do("POST", "/api/v1/orders/"+o.ID+"/fulfillments", ship)
	if r.Status != http.StatusConflict || r.ErrorCode() != "on_hold" || !strings.Contains(string(r.Body), "Fraud check") {
		t.Fatalf("fulfilling a held order: %d %s; want 409 on_hold with the reason", r.Status, r.Body)
	}
	if inv := e.inventory("TEE-M"); inv.OnHand != 10 || inv.Reserved != 2 {
		t.Errorf("refused shipment moved stock: %+v", inv)
	}
	if r := e.do("POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "again"}); r.Status != http.StatusConflict || r.ErrorCode() != "invalid_transition" {
		t.Errorf("holding a held order: %d %s", r.Status, r.Body)
	}

	var released orderJSON
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+o.ID+"/release", nil).JSON(t, &released)
	if released.Hold != nil {
		t.Errorf("released order still held: %+v", released.Hold)
	}
	if r := e.do("POST", "/api/v1/orders/"+o.ID+"/release", nil); r.Status != http.StatusConflict || r.ErrorCode() != "invalid_transition" {
		t.Errorf("releasing an order not on hold: %d %s", r.Status, r.Body)
	}
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", ship)

	got := e.reloadOrder(o.ID)
	h := historyOf(got, "hold")
	if len(h) != 2 || h[0].Status != "on_hold" || h[0].Note != "Fraud check: billing name differs" || h[0].By != "test" ||
		h[1].Status != "released" || !strings.Contains(h[1].Note, "Fraud check") {
		t.Errorf("hold history = %+v", h)
	}
	if got.Status != "shipped" {
		t.Errorf("status %s after release and fulfillment", got.Status)
	}
	// Shipped: it can no longer be held.
	if r := e.do("POST", "/api/v1/orders/"+o.ID+"/hold", map[string]any{"reason": "too late"}); r.Status != http.StatusConflict {
		t.Errorf("holding a shipped order: %d %s", r.Status, r.Body)
	}
}

func TestHoldRules(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 10)
	unpaid := e.createOrder(orderBody("ann@example.com", "TEE-M", 1))
	for _, body := range []any{map[string]any{}, map[string]any{"reason": "  "}, map[string]any{"reason": strings.Repeat("x", 501)},
		map[string]any{"reason": "a\x00b"}} {
		if r := e.do("POST", "/api/v1/orders/"+unpaid.ID+"/hold", body); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("hold %v: %d %s", body, r.Status, r.Body)
		}
	}
	// An unpaid order may be held (it can still ship once paid) and stays held when paid.
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+unpaid.ID+"/hold", map[string]any{"reason": "customer asked to wait"})
	e.markPaid(unpaid)
	if got := e.reloadOrder(unpaid.ID); got.Hold == nil || got.Status != "paid" {
		t.Errorf("after payment: %s, hold %+v", got.Status, got.Hold)
	}
	cancelled := e.createOrder(orderBody("bob@example.com", "TEE-M", 1))
	e.must(http.StatusOK, "POST", "/api/v1/orders/"+cancelled.ID+"/cancel", map[string]any{})
	if r := e.do("POST", "/api/v1/orders/"+cancelled.ID+"/hold", map[string]any{"reason": "x"}); r.Status != http.StatusConflict || r.ErrorCode() != "invalid_transition" {
		t.Errorf("holding a cancelled order: %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/orders/ORD-NOPE/hold", map[string]any{"reason": "x"}); r.Status != http.StatusNotFound {
		t.Errorf("unknown order: %d", r.Status)
	}
}
