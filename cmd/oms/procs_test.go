package main

// Helpers for the tests that run the real binary (internal/testenv builds it, starts
// `oms serve` processes and keeps a staff member's session): an empty database, an
// integration's API client and a staff page's live event stream.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/dburl"
	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/internal/testenv"
)

// emptyDatabase creates a database with nothing in it (not even the schema: `oms
// migrate` is part of what the tests run) on the test server, dropped at the end.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	admin := testdb.AdminURL()
	if admin == "" {
		t.Fatal("no database server: set OMS_TEST_DATABASE_URL (see README, Testing)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "oms_t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := dburl.WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// apiClient calls /api/v1 with a bearer token.
type apiClient struct {
	t     *testing.T
	token string
	http  *http.Client
}

func newAPIClient(t *testing.T, token string) *apiClient {
	return &apiClient{t: t, token: token, http: &http.Client{Timeout: 60 * time.Second}}
}

// call sends body (JSON) and decodes the answer into out (unless nil); it returns the
// status, or 0 with the error when no answer came.
func (c *apiClient) call(method, url string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w: %.300s", method, url, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %.300s", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// must is call that fails the test unless the answer has status want.
func (c *apiClient) must(want int, method, url string, body, out any) {
	c.t.Helper()
	if st, err := c.call(method, url, body, out); st != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, url, st, want, err)
	}
}

// apiOrder is what the tests read of an order.
type apiOrder struct {
	ID      string `json:"id"`
	Number  string `json:"order_number"`
	Status  string `json:"status"`
	Total   string `json:"total"`
	History []struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	} `json:"history"`
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decodeJSON(t *testing.T, resp *http.Response, out any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("decode %s: %v", resp.Request.URL, err)
	}
}

// newOrderBody is an order of quantity of sku for email.
func newOrderBody(email, sku string, quantity int) map[string]any {
	return map[string]any{
		"customer": map[string]any{"email": email, "name": "Ann Lee"},
		"shipping_address": map[string]any{"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St",
			"city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
		"items": []map[string]any{{"sku": sku, "quantity": quantity}},
	}
}

// eventStream is an open GET /orders/{number}/events.
type eventStream struct {
	events chan string // "ready", "changed", ...
	cancel context.CancelFunc
}

// openEvents opens an order's live event stream at base, in b's session, and waits
// for its "ready".
func openEvents(t *testing.T, b *testenv.Browser, base, number string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/orders/"+number+"/events", nil)
	req.AddCookie(b.Cookie())
	resp, err := (&http.Client{}).Do(req) // no timeout: the stream stays open
	if err != nil {
		cancel()
		t.Fatalf("open event stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		t.Fatalf("event stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &eventStream{events: make(chan string, 16), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				s.events <- ev
			}
		}
	}()
	t.Cleanup(cancel)
	s.expect(t, "ready", 30*time.Second)
	return s
}

// expect waits up to wait for the next event and fails unless it is want.
func (s *eventStream) expect(t *testing.T, want string, wait time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatalf("event stream ended while waiting for %q", want)
		}
		if ev != want {
			t.Fatalf("event %q, want %q", ev, want)
		}
	case <-time.After(wait):
		t.Fatalf("no %q event within %s", want, wait)
	}
}
