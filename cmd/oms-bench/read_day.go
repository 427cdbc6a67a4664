package main

// The read benchmark's cases of issue 28 (running the day): the list's deadline filters,
// a shared saved view, and the activity log at -history history rows. dayCases prepares
// what they read through the API, as a shop would: a deadline rule (the open orders'
// deadlines recomputed by the job), two saved views, and the history topped up with
// synthetic rows (comments by staff, tokens and the system, spread over the orders' lives)
// until it holds -history rows.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// send makes an API call with a JSON body and decodes the answer into out (if not nil).
func (c *readClient) send(ctx context.Context, method, path string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: status %d: %.300s", method, path, resp.StatusCode, answer)
	}
	if out != nil {
		return json.Unmarshal(answer, out)
	}
	return nil
}

// dayBudget is issue 28's: each of its pages and lists under 20 ms.
const dayBudget = 20 * time.Millisecond

func dayCases(ctx context.Context, conn *pgx.Conn, c *readClient, ro readOptions, email string) ([]readCase, error) {
	if err := topUpHistory(ctx, conn, ro.history); err != nil {
		return nil, err
	}
	if err := deadlineRule(ctx, c); err != nil {
		return nil, err
	}
	views := map[string]string{"Late to ship": "sla=late&sort=ship_by", "VIP waiting": "status=paid,processing&tag=vip"}
	var have struct{ Views []struct{ Name string } }
	if err := c.send(ctx, http.MethodGet, "/api/v1/views", nil, &have); err != nil {
		return nil, err
	}
	for _, v := range have.Views {
		delete(views, v.Name) // saved by an earlier run
	}
	for name, query := range views {
		if err := c.send(ctx, http.MethodPost, "/api/v1/views", map[string]string{"name": name, "query": query, "shared_with": "everyone"}, nil); err != nil {
			return nil, err
		}
	}
	var orderID string
	if err := conn.QueryRow(ctx, `SELECT order_id::text FROM order_history ORDER BY created_at DESC LIMIT 1 OFFSET 1000`).Scan(&orderID); err != nil {
		return nil, fmt.Errorf("sample order of the history: %w", err)
	}
	const cols = `id, order_number, status, payment_status, fulfillment_status, currency, total, customer_email, customer_name,
		shipping_address, created_at, paid_at, tags, hold_reason, ship_by`
	late := "ship_by IS NOT NULL AND ship_by < now()"
	countLate := "SELECT count(*) FROM (SELECT 1 FROM orders WHERE " + late + " LIMIT 10001) m"
	history := func(where string) string {
		return `SELECT h.*, o.order_number FROM (SELECT * FROM order_history h WHERE ` + where +
			` ORDER BY created_at DESC, id DESC LIMIT 51) h JOIN orders o ON o.id = h.order_id`
	}
	log := "SELECT * FROM activity ORDER BY created_at DESC, id DESC LIMIT 51"
	actor := `(CASE h.actor_type WHEN 'staff' THEN coalesce(h.actor_email, h.actor) WHEN 'token' THEN h.actor ELSE h.actor_type END)`
	q := url.QueryEscape
	return []readCase{
		{name: "API list sla=late", budget: dayBudget, path: "/api/v1/orders?sla=late",
			sql: []string{countLate, "SELECT " + cols + " FROM orders WHERE " + late + " ORDER BY created_at DESC, id DESC LIMIT 51"}},
		{name: "API list sla=at_risk&sort=ship_by", budget: dayBudget, path: "/api/v1/orders?sla=at_risk&sort=ship_by",
			sql: []string{"SELECT " + cols + " FROM orders WHERE ship_by >= now() AND ship_by < now() + interval '4 hours' ORDER BY ship_by, id LIMIT 51"}},
		{name: "page /orders?sla=late&sort=ship_by (shared view)", budget: dayBudget, path: "/orders?sla=late&sort=ship_by",
			sql: []string{countLate, "SELECT " + cols + " FROM orders WHERE " + late + " ORDER BY ship_by, id LIMIT 51"}},
		{name: "page /orders, shared view status=paid,processing&tag=vip", budget: dayBudget, path: "/orders?status=paid%2Cprocessing&tag=vip",
			sql: []string{`SELECT o.id FROM order_tags t JOIN orders o ON o.id = t.order_id WHERE t.tag = 'vip'
				AND o.status IN ('paid', 'processing') ORDER BY t.created_at DESC, t.order_id DESC LIMIT 51`}},
		{name: "API views", budget: dayBudget, path: "/api/v1/views", sql: []string{"SELECT * FROM saved_views WHERE shared_with = 'everyone'"}},
		{name: "API activity, newest", budget: dayBudget, path: "/api/v1/activity", sql: []string{history("true"), log}},
		{name: "API activity kind=order, 20 pages deep (per page)", budget: dayBudget, path: "/api/v1/activity?kind=order", perPage: 20,
			sql: []string{history("(created_at, id) < (now() - interval '1 day', 9223372036854775807)")}},
		{name: "API activity actor=system", budget: dayBudget, path: "/api/v1/activity?actor=system",
			sql: []string{history(actor + " = 'system'"), "SELECT * FROM activity WHERE actor = 'system' ORDER BY created_at DESC, id DESC LIMIT 51"}},
		{name: "API activity actor=<the bench admin>", budget: dayBudget, path: "/api/v1/activity?actor=" + q(email),
			sql: []string{history(actor + " = '" + email + "'"), "SELECT * FROM activity WHERE actor = '" + email + "' ORDER BY created_at DESC, id DESC LIMIT 51"}},
		{name: "API activity order_id=", budget: dayBudget, path: "/api/v1/activity?order_id=" + orderID,
			sql: []string{history("order_id = '" + orderID + "'")}},
		{name: "API activity, a 30-day range a year ago", budget: dayBudget, path: "/api/v1/activity?from=" + time.Now().AddDate(-1, 0, -30).Format("2006-01-02") +
			"&to=" + time.Now().AddDate(-1, 0, 0).Format("2006-01-02"),
			sql: []string{history("created_at >= now() - interval '395 days' AND created_at < now() - interval '365 days'")}},
		{name: "page /activity", budget: dayBudget, path: "/activity", sql: []string{history("true"), log}},
		{name: "page /activity?kind=settings", budget: dayBudget, path: "/activity?kind=settings",
			sql: []string{"SELECT * FROM activity WHERE kind = 'settings' ORDER BY created_at DESC, id DESC LIMIT 51"}},
	}, nil
}

// topUpHistory adds synthetic history rows until the history holds want rows: comments,
// a third each by a staff user, a token and the system, each within its order's first
// weeks.
func topUpHistory(ctx context.Context, conn *pgx.Conn, want int) error {
	var have, orders int
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM order_history), (SELECT count(*) FROM orders)").Scan(&have, &orders); err != nil {
		return err
	}
	if have >= want || orders == 0 {
		return nil
	}
	step(fmt.Sprintf("adding %d history rows, to %d (kept for the next run)", want-have, want))
	start := time.Now()
	per := (want-have)/orders + 1
	_, err := conn.Exec(ctx, `INSERT INTO order_history (order_id, kind, status, note, actor, actor_type, actor_email, created_at)
		SELECT id, 'comment', '', 'bench note ' || g, (ARRAY['Bench', 'storefront', 'system'])[1 + k % 3],
		       (ARRAY['staff', 'token', 'system'])[1 + k % 3], CASE WHEN k % 3 = 0 THEN 'bench@example.com' END,
		       least(created_at + g * interval '7 hours', now())
		FROM (SELECT o.id, o.created_at, g, (hashtext(o.id::text) & 1023) + g AS k
		      FROM orders o CROSS JOIN generate_series(1, $1) g LIMIT $2) s`, per, want-have)
	if err != nil {
		return fmt.Errorf("top up the history: %w", err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE order_history"); err != nil {
		return err
	}
	step(fmt.Sprintf("history topped up in %s", time.Since(start).Round(time.Second)))
	return nil
}

// deadlineRule sets a shipping deadline rule (16 business hours, weekdays 9 to 17 in
// Berlin) unless the shop has one, and waits for the open orders' deadlines.
func deadlineRule(ctx context.Context, c *readClient) error {
	var d struct {
		ShipWithinHours *json.Number `json:"ship_within_hours"`
		Recompute       *struct {
			State       string
			Done, Total int
		}
	}
	if err := c.send(ctx, http.MethodGet, "/api/v1/settings/deadlines", nil, &d); err != nil {
		return err
	}
	if d.ShipWithinHours == nil {
		step("setting a shipping deadline rule (16 business hours): the job recomputes the open orders")
		if err := c.send(ctx, http.MethodPut, "/api/v1/settings/deadlines", map[string]any{"time_zone": "Europe/Berlin",
			"ship_within_hours": 16}, &d); err != nil {
			return err
		}
	}
	start := time.Now()
	for d.Recompute != nil && (d.Recompute.State == "queued" || d.Recompute.State == "running") {
		time.Sleep(time.Second)
		if err := c.send(ctx, http.MethodGet, "/api/v1/settings/deadlines", nil, &d); err != nil {
			return err
		}
	}
	if d.Recompute != nil {
		step(fmt.Sprintf("deadlines of %d open orders: %s (waited %s)", d.Recompute.Total, d.Recompute.State, time.Since(start).Round(time.Second)))
	}
	return nil
}
