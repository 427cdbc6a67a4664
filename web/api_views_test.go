package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// tokenAuth makes a token limited to scopes and returns its Authorization header value.
func (e *apiEnv) tokenAuth(name string, scopes ...domain.Scope) string {
	e.t.Helper()
	_, secret, err := e.svc.CreateToken(context.Background(), name, scopes...)
	if err != nil {
		e.t.Fatal(err)
	}
	return "Bearer " + secret
}

// Saved views through the API: a token's own and those shared with everyone; a query the
// list would refuse is refused; only the owner changes or deletes a view.
func TestViewsAPI(t *testing.T) {
	e := newAPIEnv(t)
	ann := e.tokenAuth("ann", domain.ScopeOrdersRead)
	bob := e.tokenAuth("bob", domain.ScopeOrdersRead)

	var v viewJSON
	e.must(http.StatusCreated, "POST", "/api/v1/views", map[string]any{"name": " Late  VIP ", "query": "?tag=VIP&sla=late&sort=ship_by&status=paid,processing",
		"shared_with": "everyone"}, "Authorization", ann).JSON(t, &v)
	if v.Name != "Late VIP" || v.Query != "sla=late&sort=ship_by&status=paid%2Cprocessing&tag=VIP" || v.SharedWith != "everyone" ||
		v.Owner.Type != "token" || v.Owner.Name != "ann" || !v.Mine {
		t.Fatalf("created %+v", v)
	}
	var private viewJSON
	e.must(http.StatusCreated, "POST", "/api/v1/views", map[string]any{"name": "Mine", "query": ""}, "Authorization", ann).JSON(t, &private)
	if private.SharedWith != "me" {
		t.Errorf("default sharing %q", private.SharedWith)
	}
	for _, bad := range []map[string]any{
		{"name": "x", "query": "colour=red"},
		{"name": "x", "query": "status=lost"},
		{"name": "x", "query": "created_from=yesterday"},
		{"name": "x", "query": "sla=soon"},
		{"name": "x", "query": "cursor=abc"},
		{"name": "", "query": "status=paid"},
		{"name": "x", "query": "", "shared_with": "team"},
	} {
		r := e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/views", bad, "Authorization", ann)
		if !strings.Contains(string(r.Body), `"fields"`) {
			t.Errorf("%v: %s", bad, r.Body)
		}
	}

	var list struct{ Views []viewJSON }
	e.must(http.StatusOK, "GET", "/api/v1/views", nil, "Authorization", bob).JSON(t, &list)
	if len(list.Views) != 1 || list.Views[0].ID != v.ID || list.Views[0].Mine {
		t.Fatalf("bob sees %+v, want only the shared view, not his", list.Views)
	}
	e.mustCode(http.StatusNotFound, "not_found", "GET", "/api/v1/views/"+private.ID, nil, "Authorization", bob)
	e.mustCode(http.StatusForbidden, "forbidden", "PUT", "/api/v1/views/"+v.ID, map[string]any{"name": "Mine now"}, "Authorization", bob)
	e.mustCode(http.StatusForbidden, "forbidden", "DELETE", "/api/v1/views/"+v.ID, nil, "Authorization", bob)

	e.must(http.StatusOK, "PUT", "/api/v1/views/"+v.ID, map[string]any{"shared_with": "me"}, "Authorization", ann).JSON(t, &v)
	if v.Name != "Late VIP" || v.SharedWith != "me" || !strings.Contains(v.Query, "tag=VIP") {
		t.Errorf("after a partial update: %+v", v)
	}
	e.must(http.StatusOK, "GET", "/api/v1/views", nil, "Authorization", bob).JSON(t, &list)
	if len(list.Views) != 0 {
		t.Errorf("bob still sees %d views", len(list.Views))
	}
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "PUT", "/api/v1/views/"+v.ID, map[string]any{"query": "held=maybe"}, "Authorization", ann)
	e.must(http.StatusNoContent, "DELETE", "/api/v1/views/"+v.ID, nil, "Authorization", ann)
	e.mustCode(http.StatusNotFound, "not_found", "GET", "/api/v1/views/"+v.ID, nil, "Authorization", ann)
	e.mustCode(http.StatusForbidden, "forbidden", "GET", "/api/v1/views", nil, "Authorization", e.tokenAuth("writer", domain.ScopeOrdersWrite))
}

// Deadline settings through the API: any token reads them, settings:write changes them;
// a paid order then has ship_by, and the list filters on it.
func TestDeadlinesAPI(t *testing.T) {
	e := newAPIEnv(t)
	e.product("TEE-M", "20.00", 50)
	reader := e.tokenAuth("reader", domain.ScopeOrdersRead)
	var d deadlinesJSON
	e.must(http.StatusOK, "GET", "/api/v1/settings/deadlines", nil, "Authorization", reader).JSON(t, &d)
	if d.TimeZone != "UTC" || d.ShipWithinHours != nil || d.Hours["mon"] == nil || d.Hours["sun"] != nil || d.Recompute != nil {
		t.Fatalf("defaults: %+v", d)
	}
	before := e.paidOrder("early@example.com", "TEE-M", 1)
	if before.ShipBy != nil {
		t.Fatal("ship_by without a rule")
	}
	e.mustCode(http.StatusForbidden, "forbidden", "PUT", "/api/v1/settings/deadlines", map[string]any{"ship_within_hours": 16}, "Authorization", reader)

	always := map[string]any{}
	for _, day := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		always[day] = []string{"00:00", "24:00"}
	}
	e.must(http.StatusOK, "PUT", "/api/v1/settings/deadlines", map[string]any{"time_zone": "Europe/Berlin", "hours": always,
		"holidays": []string{"2026-12-25"}, "ship_within_hours": 16.5}).JSON(t, &d)
	if d.TimeZone != "Europe/Berlin" || d.ShipWithinHours == nil || d.ShipWithinHours.String() != "16.5" || d.AtRiskHours.String() != "4" ||
		len(d.Holidays) != 1 || d.Recompute == nil || d.Recompute.State != "done" || d.Recompute.Total != 1 {
		t.Fatalf("after PUT: %+v %+v", d, d.Recompute)
	}
	// The order paid before the rule got its deadline from the recomputation.
	o := e.reloadOrder(before.ID)
	if o.ShipBy == nil || !time.Time(*o.ShipBy).Equal(time.Time(*o.PaidAt).Add(16*time.Hour+30*time.Minute)) {
		t.Errorf("recomputed ship_by %v (paid %v)", o.ShipBy, o.PaidAt)
	}
	after := e.paidOrder("late@example.com", "TEE-M", 1)
	after = e.reloadOrder(after.ID)
	if after.ShipBy == nil {
		t.Fatal("no ship_by after payment")
	}
	e.exec(`UPDATE orders SET ship_by = now() - interval '1 minute' WHERE id = $1`, after.ID)
	numbers, _ := e.listNumbers("sla=late")
	if len(numbers) != 1 || numbers[0] != after.OrderNumber {
		t.Errorf("sla=late: %v", numbers)
	}
	numbers, _ = e.listNumbers("sla=at_risk&sort=ship_by")
	if len(numbers) != 0 {
		t.Errorf("sla=at_risk: %v (16.5 hours is beyond the 4 at-risk hours)", numbers)
	}
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "GET", "/api/v1/orders?sla=soon", nil)

	// Partial: only what is sent changes; null switches deadlines off.
	e.must(http.StatusOK, "PUT", "/api/v1/settings/deadlines", map[string]any{"at_risk_hours": 20}).JSON(t, &d)
	if d.TimeZone != "Europe/Berlin" || d.AtRiskHours.String() != "20" || d.ShipWithinHours == nil {
		t.Errorf("partial PUT: %+v", d)
	}
	if numbers, _ = e.listNumbers("sla=at_risk"); len(numbers) != 1 || numbers[0] != before.OrderNumber {
		t.Errorf("sla=at_risk with 20 hours: %v", numbers)
	}
	e.must(http.StatusOK, "PUT", "/api/v1/settings/deadlines", `{"ship_within_hours": null}`).JSON(t, &d)
	if d.ShipWithinHours != nil || e.reloadOrder(after.ID).ShipBy != nil {
		t.Errorf("switched off: %+v, order ship_by %v", d.ShipWithinHours, e.reloadOrder(after.ID).ShipBy)
	}
	for field, body := range map[string]string{
		"time_zone":         `{"time_zone": "Mars/Olympus"}`,
		"hours.mon":         `{"hours": {"mon": ["17:00", "09:00"]}}`,
		"hours.tue":         `{"hours": {"mon": ["09:00", "17:00"], "tue": ["09:00"]}}`,
		"ship_within_hours": `{"ship_within_hours": -2}`,
		"holidays[0]":       `{"holidays": ["next friday"]}`,
	} {
		r := e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "PUT", "/api/v1/settings/deadlines", body)
		if !strings.Contains(string(r.Body), `"`+field+`"`) {
			t.Errorf("%s: %s", body, r.Body)
		}
	}
	e.mustCode(http.StatusBadRequest, "bad_request", "PUT", "/api/v1/settings/deadlines", `{"ship_within_hours": "16"}`)
	e.mustCode(http.StatusBadRequest, "bad_request", "PUT", "/api/v1/settings/deadlines", `{"weekends": true}`)
	// Numbers go through the one parser: an exponent is malformed (400), too many digits 422.
	for body, code := range map[string]int{`{"ship_within_hours": 1e1}`: http.StatusBadRequest, `{"at_risk_hours": 1.255}`: http.StatusUnprocessableEntity} {
		if r := e.do("PUT", "/api/v1/settings/deadlines", body); r.Status != code {
			t.Errorf("%s: %d %s, want %d", body, r.Status, r.Body, code)
		}
	}

	// A shipping rate's own hours are listed (read-only) and replace the rule for its orders.
	if _, err := e.svc.SaveShippingRate(context.Background(), uuid.Nil, domain.ShippingRateInput{Country: "*", Currency: "USD", Amount: "0", ShipWithin: "2"}); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusOK, "PUT", "/api/v1/settings/deadlines", map[string]any{"ship_within_hours": 16}).JSON(t, &d)
	if len(d.ShippingRates) != 1 || d.ShippingRates[0].Country != "*" || d.ShippingRates[0].ShipWithinHours.String() != "2" {
		t.Errorf("shipping_rates: %+v", d.ShippingRates)
	}
	if o := e.reloadOrder(before.ID); o.ShipBy == nil || !time.Time(*o.ShipBy).Equal(time.Time(*o.PaidAt).Add(2*time.Hour)) {
		t.Errorf("at a rate of 2 hours: ship_by %v (paid %v)", o.ShipBy, o.PaidAt)
	}
}

// The activity log through the API: order history and changes outside orders, with who
// made them; filtered by actor, kind, order and date, paged by cursor, exported as CSV.
func TestActivityAPI(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	e.product("TEE-M", "20.00", 50) // stock: a change outside orders, by the token "test"
	o := e.paidOrder("ann@example.com", "TEE-M", 1)
	if _, err := e.svc.CreateStaffUser(ctx, "lead@example.com", "Lee", domain.RoleSupport, "a-long-enough-password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Login(ctx, service.LoginAttempt{Email: "lead@example.com", Password: "a-long-enough-password", Client: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Login(ctx, service.LoginAttempt{Email: "lead@example.com", Password: "not the password", Client: "192.0.2.7"}); err == nil {
		t.Fatal("a wrong password logged in")
	}
	e.must(http.StatusOK, "PUT", "/api/v1/settings/deadlines", map[string]any{"ship_within_hours": 24})
	auditor := e.tokenAuth("auditor", domain.ScopeActivityRead)
	e.mustCode(http.StatusForbidden, "forbidden", "GET", "/api/v1/activity", nil, "Authorization", e.tokenAuth("reader", domain.ScopeOrdersRead))

	list := func(query string) activityListJSON {
		t.Helper()
		var l activityListJSON
		e.must(http.StatusOK, "GET", "/api/v1/activity?"+query, nil, "Authorization", auditor).JSON(t, &l)
		return l
	}
	all := list("limit=200")
	kinds := map[string]int{}
	for i, en := range all.Entries {
		kinds[en.Kind]++
		if i > 0 && time.Time(en.At).After(time.Time(all.Entries[i-1].At)) {
			t.Errorf("not newest first at %d", i)
		}
	}
	for _, k := range []string{"order", "settings", "user", "token", "stock", "login", "login_failed"} {
		if kinds[k] == 0 {
			t.Errorf("no %s entry in %v", k, kinds)
		}
	}
	if all.NextCursor != nil {
		t.Errorf("one page holds everything, yet a next cursor")
	}
	fails := list("kind=login_failed")
	if len(fails.Entries) != 1 || fails.Entries[0].Actor != "lead@example.com" || fails.Entries[0].Details["reason"] != "wrong password" ||
		fails.Entries[0].Details["client"] != "192.0.2.7" {
		t.Errorf("failed logins: %+v", fails.Entries)
	}
	history := list("order_id=" + o.ID)
	if len(history.Entries) < 3 {
		t.Fatalf("order history: %+v", history.Entries)
	}
	for _, en := range history.Entries {
		if en.Kind != "order" || en.OrderID != o.ID || en.OrderNumber != o.OrderNumber || en.Details["kind"] == "" || en.Actor != "test" && en.Actor != "system" {
			t.Errorf("history entry %+v", en)
		}
	}
	if byToken := list("actor=test&kind=stock"); len(byToken.Entries) != 1 || byToken.Entries[0].ActorType != "token" {
		t.Errorf("stock by the token test: %+v", byToken.Entries)
	}
	if future := list("from=2999-01-01"); len(future.Entries) != 0 {
		t.Errorf("entries from the future: %d", len(future.Entries))
	}
	if today := list("to=" + time.Now().UTC().Format("2006-01-02") + "&from=" + time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")); len(today.Entries) != len(all.Entries) {
		t.Errorf("today: %d of %d", len(today.Entries), len(all.Entries))
	}
	// Pages of 2 go through every entry once, in order.
	var paged []string
	cursor := ""
	for range 100 {
		l := list("limit=2&cursor=" + url.QueryEscape(cursor))
		for _, en := range l.Entries {
			paged = append(paged, en.ID)
		}
		if l.NextCursor == nil {
			break
		}
		cursor = *l.NextCursor
	}
	if len(paged) != len(all.Entries) {
		t.Fatalf("paged %d entries, want %d", len(paged), len(all.Entries))
	}
	for i := range paged {
		if paged[i] != all.Entries[i].ID {
			t.Fatalf("page order differs at %d: %s vs %s", i, paged[i], all.Entries[i].ID)
		}
	}
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "GET", "/api/v1/activity?kind=orders", nil, "Authorization", auditor)
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "GET", "/api/v1/activity?cursor=nonsense", nil, "Authorization", auditor)
	e.mustCode(http.StatusBadRequest, "bad_request", "GET", "/api/v1/activity?from=yesterday", nil, "Authorization", auditor)

	r := e.must(http.StatusOK, "GET", "/api/v1/activity/export?kind=order", nil, "Authorization", auditor)
	if !regexp.MustCompile(`^attachment; filename=activity-\d{8}-\d{6}\.csv$`).MatchString(r.Header.Get("Content-Disposition")) {
		t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "at,actor,actor_type,kind,order_number,summary" || len(recs) != 1+kinds["order"] {
		t.Fatalf("export: %d rows, header %v", len(recs), recs[0])
	}
	for _, rec := range recs[1:] {
		if rec[3] != "order" || rec[4] != o.OrderNumber {
			t.Errorf("export row %v", rec)
		}
	}
}

type activityListJSON struct {
	Entries    []activityJSON
	NextCursor *string `json:"next_cursor"`
}
