package main

import (
	"github.com/oms/oms/internal/testenv"

	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Two `oms serve` processes of the real binary on one database are one system: a
// session made on one works on the other, a change made through one shows live on a page
// served by the other, every job runs once whichever process picks it up, and a process
// killed in the middle of a burst of orders loses none that it acknowledged.
func TestTwoProcessesOneSystem(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the oms binary and runs two `oms serve` processes on a database of their own (about a minute)")
	}
	ctx := context.Background()
	bin := testenv.Build(t)
	dbURL := emptyDatabase(t)
	env := testenv.Env("DATABASE_URL="+dbURL, "OMS_RESERVATION_TTL=2s", "OMS_LOG_LEVEL=warn")

	// Each process migrates as it is deployed: both at once, on an empty database.
	var wg sync.WaitGroup
	migrated := make([]string, 2)
	for i := range migrated {
		wg.Go(func() {
			cmd := exec.Command(bin, "migrate")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			migrated[i] = strings.TrimSpace(string(out))
			if err != nil {
				migrated[i] += " (" + err.Error() + ")"
			}
		})
	}
	wg.Wait()
	for i, out := range migrated {
		if out != "migrations applied" {
			t.Fatalf("oms migrate #%d, run beside another: %s", i+1, out)
		}
	}
	const password = "a-long-staff-password"
	testenv.Run(t, bin, env, password+"\n", "user", "add", "--email", "ann@example.com", "--name", "Ann Admin", "--role", "admin")
	lines := strings.Split(strings.TrimSpace(testenv.Run(t, bin, env, "", "token", "add", "--name", "storefront")), "\n")
	api := newAPIClient(t, lines[len(lines)-1])

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	a := testenv.Start(t, bin, "A", env)
	b := testenv.Start(t, bin, "B", env)
	skus := []string{"TEE", "MUG", "CAP", "LIVE"}
	const onHand = 100_000
	for i, sku := range skus {
		p := []*testenv.Proc{a, b}[i%2] // the catalog too, through both
		api.must(http.StatusCreated, "PUT", p.URL+"/api/v1/products/"+sku,
			map[string]any{"name": "Product " + sku, "price": "12.50", "currency": "USD", "active": true}, nil)
		api.must(http.StatusOK, "PUT", []*testenv.Proc{b, a}[i%2].URL+"/api/v1/inventory/"+sku, map[string]any{"on_hand": onHand}, nil)
	}

	br := testenv.NewBrowser(t)
	t.Run("a session made on A works on B", func(t *testing.T) {
		br.Use(t)
		br.Login(a.URL, "ann@example.com", password)
		st, h, body := br.Get(b.URL + "/orders")
		if st != http.StatusOK || !strings.Contains(body, "Ann Admin") {
			t.Fatalf("GET /orders on B with A's session: %d (Location %q)", st, h.Get("Location"))
		}
		// Logging out on B ends the session everywhere; logging in on B works on A.
		old := br.Cookie()
		if st, _, _ := br.Post(b.URL+"/logout", url.Values{}); st != http.StatusSeeOther {
			t.Fatalf("POST /logout on B: %d", st)
		}
		req, _ := http.NewRequest("GET", a.URL+"/orders", nil)
		req.AddCookie(old)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Fatalf("A with the session logged out on B: %d %q, want a redirect to /login", resp.StatusCode, loc)
		}
		br.Login(b.URL, "ann@example.com", password)
		if st, _, body := br.Get(a.URL + "/"); st != http.StatusOK || !strings.Contains(body, "Ann Admin") {
			t.Fatalf("GET / on A with B's session: %d", st)
		}
	})

	t.Run("a change through A shows live on B", func(t *testing.T) {
		br.Use(t)
		// A paid order, which the 2 s reservation expiry leaves alone (if it wins the
		// race against the payment on a loaded machine, take another).
		var o apiOrder
		for attempt := 1; ; attempt++ {
			api.must(http.StatusCreated, "POST", a.URL+"/api/v1/orders", newOrderBody("live@example.com", "LIVE", 1), &o)
			st, err := api.call("POST", a.URL+"/api/v1/orders/"+o.ID+"/payments",
				map[string]any{"amount": o.Total, "gateway": "manual", "reference": "cash", "notify_customer": false}, nil)
			if st == http.StatusCreated {
				break
			}
			if attempt == 5 {
				t.Fatalf("payment: %v", err)
			}
		}
		events := openEvents(t, br, b.URL, o.Number)
		api.must(http.StatusOK, "POST", a.URL+"/api/v1/orders/"+o.ID+"/transitions",
			map[string]any{"status": "processing", "note": "picked up through A"}, nil)
		events.expect(t, "changed", 30*time.Second)

		// A form on A, with the CSRF token of the session as B's pages showed it.
		br.Get(b.URL + "/orders/" + o.Number)
		const comment = "Customer called: gift wrap, please (written on A)"
		if st, _, body := br.Post(a.URL+"/orders/"+o.Number+"/comments", url.Values{"comment": {comment}}); st != http.StatusSeeOther {
			t.Fatalf("comment on A: %d\n%.1000s", st, body)
		}
		events.expect(t, "changed", 30*time.Second)
		_, _, page := br.Get(b.URL + "/orders/" + o.Number)
		if !strings.Contains(page, "gift wrap, please") || !strings.Contains(page, "picked up through A") {
			t.Errorf("B's order page lacks the changes made on A")
		}
		events.cancel()
	})

	t.Run("each job runs once across both", func(t *testing.T) {
		br.Use(t)
		// More unpaid orders than a page export streams at once (2,000), so that the
		// export below is a background job too.
		const n = 2050
		ids := make([]string, n)
		var next atomic.Int64
		var failed atomic.Int64
		start := time.Now()
		for range 8 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					var o apiOrder
					p := []*testenv.Proc{a, b}[i%2]
					if _, err := api.call("POST", p.URL+"/api/v1/orders", newOrderBody(fmt.Sprintf("expire%d@example.com", i), skus[i%3], 1+i%2), &o); err != nil {
						if failed.Add(1) <= 5 {
							t.Errorf("order %d through %s: %v", i, p.Name, err)
						}
						continue
					}
					ids[i] = o.ID
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d of %d orders not created", failed.Load(), n)
		}
		t.Logf("%d orders created through A and B in %s", n, time.Since(start).Round(time.Millisecond))

		// The expiry job, in whichever process River hands it to, cancels each once.
		waitFor(t, 3*time.Minute, "every unpaid order cancelled", func() (bool, string) {
			var open int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'cancelled'", ids).Scan(&open); err != nil {
				t.Fatal(err)
			}
			return open == 0, fmt.Sprintf("%d still open", open)
		})
		rows, err := pool.Query(ctx, `
			SELECT o.order_number, count(h.id) FILTER (WHERE h.kind = 'status' AND h.status = 'cancelled')
			FROM orders o LEFT JOIN order_history h ON h.order_id = o.id
			WHERE o.id = ANY($1::uuid[]) GROUP BY o.order_number
			HAVING count(h.id) FILTER (WHERE h.kind = 'status' AND h.status = 'cancelled') <> 1`, ids)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var number string
			var cancellations int
			if err := rows.Scan(&number, &cancellations); err != nil {
				t.Fatal(err)
			}
			t.Errorf("%s has %d cancellations in its history, want 1", number, cancellations)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		for _, sku := range skus[:3] {
			var have, reserved int
			if err := pool.QueryRow(ctx, "SELECT on_hand, reserved FROM inventory WHERE sku = $1", sku).Scan(&have, &reserved); err != nil {
				t.Fatal(err)
			}
			if have != onHand || reserved != 0 {
				t.Errorf("%s: on_hand %d, reserved %d after every order expired; want %d, 0", sku, have, reserved, onHand)
			}
		}
		var held int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM inventory_reservations WHERE order_id = ANY($1::uuid[]) AND status = 'reserved'", ids).Scan(&held); err != nil || held != 0 {
			t.Errorf("%d reservations of expired orders still held (%v)", held, err)
		}
		logJobSpread(t, pool, "expire_reservations")

		// An export started on B is written by one process and downloaded from A.
		br.Get(b.URL + "/orders?status=cancelled")
		st, h, body := br.Post(b.URL+"/orders/export", url.Values{"format": {"csv"}, "view": {"status=cancelled"}})
		loc := h.Get("Location")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/orders/exports/") {
			t.Fatalf("export on B: %d %q, want a redirect to its progress page\n%.1000s", st, loc, body)
		}
		exportID := strings.TrimPrefix(loc, "/orders/exports/")
		waitFor(t, 3*time.Minute, "the export done", func() (bool, string) {
			var status string
			if err := pool.QueryRow(ctx, "SELECT status FROM exports WHERE id = $1", exportID).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if status == "failed" {
				t.Fatal("the export failed")
			}
			return status == "done", status
		})
		if st, _, page := br.Get(a.URL + loc); st != http.StatusOK || !strings.Contains(page, exportID) {
			t.Errorf("export progress page on A: %d", st)
		}
		st, _, file := br.Get(a.URL + loc + "/file")
		if st != http.StatusOK {
			t.Fatalf("export download from A: %d", st)
		}
		records, err := csv.NewReader(strings.NewReader(file)).ReadAll()
		if err != nil {
			t.Fatalf("the export is not CSV: %v", err)
		}
		var cancelled int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM orders WHERE status = 'cancelled'").Scan(&cancelled); err != nil {
			t.Fatal(err)
		}
		if len(records) != cancelled+1 {
			t.Errorf("export: %d rows, want a header and %d orders", len(records), cancelled)
		}
		var exports, jobs, attempts int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM exports),
			(SELECT count(*) FROM river_job WHERE kind = 'export_orders'),
			(SELECT coalesce(sum(attempt), 0) FROM river_job WHERE kind = 'export_orders')`).Scan(&exports, &jobs, &attempts); err != nil {
			t.Fatal(err)
		}
		if exports != 1 || jobs != 1 || attempts != 1 {
			t.Errorf("%d export rows, %d export jobs, %d attempts; want 1, 1, 1", exports, jobs, attempts)
		}
	})

	t.Run("SIGKILL of A mid-burst loses nothing", func(t *testing.T) {
		var (
			mu         sync.Mutex
			acked      []string
			unanswered int
			refused    = map[int]int{}
			killed     atomic.Bool
			stop       = make(chan struct{})
		)
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var o apiOrder
					st, err := api.call("POST", a.URL+"/api/v1/orders", newOrderBody(fmt.Sprintf("burst%d-%d@example.com", w, i), skus[i%3], 1), &o)
					mu.Lock()
					switch {
					case st == http.StatusCreated && err == nil:
						acked = append(acked, o.ID)
					case st == 0:
						unanswered++
					default:
						refused[st]++
					}
					mu.Unlock()
					if st == 0 && killed.Load() {
						return
					}
				}
			})
		}
		// Kill A well into the burst and, when it comes to that within 20 s, while A
		// works the reservation expiry (likely, with a 2 s TTL): the job it leaves
		// "running" must not keep B from expiring orders after it. A's River client is
		// the first one (client ids are their start times, and A started first).
		var clients []string
		if err := pool.QueryRow(ctx, "SELECT coalesce(array_agg(DISTINCT attempted_by[1] ORDER BY attempted_by[1]), '{}') FROM river_job WHERE attempted_by IS NOT NULL").Scan(&clients); err != nil {
			t.Fatal(err)
		}
		clientA := "" // unknown unless both processes have worked jobs
		if len(clients) == 2 {
			clientA = clients[0]
		}
		deadline := time.Now().Add(60 * time.Second)
		var busySince time.Time
		midExpiry := false
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 150 && busySince.IsZero() {
				busySince = time.Now()
			}
			if !busySince.IsZero() && clientA == "" {
				break
			}
			if !busySince.IsZero() {
				if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM river_job WHERE kind = 'expire_reservations'
					AND state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1)`, clientA).Scan(&midExpiry); err != nil {
					t.Fatal(err)
				}
				if midExpiry || time.Since(busySince) > 20*time.Second {
					break
				}
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		killed.Store(true)
		a.Kill()
		t.Logf("A killed while it worked the expiry: %v", midExpiry)
		close(stop)
		wg.Wait()
		t.Logf("A killed after %d orders acknowledged; %d requests unanswered, %v refused", len(acked), unanswered, refused)
		if len(acked) == 0 {
			t.Fatal("no order acknowledged before the kill")
		}
		for st := range refused {
			t.Errorf("A answered %d before it died", st)
		}

		// Every acknowledged order is there, through B.
		var missing atomic.Int64
		var next atomic.Int64
		for range 4 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(acked) {
						return
					}
					var o apiOrder
					if _, err := api.call("GET", b.URL+"/api/v1/orders/"+acked[i], nil, &o); err != nil || o.ID != acked[i] {
						if missing.Add(1) <= 5 {
							t.Errorf("acknowledged order %s through B: %v", acked[i], err)
						}
					}
				}
			})
		}
		wg.Wait()
		if missing.Load() > 0 {
			t.Fatalf("%d of %d acknowledged orders missing after A was killed", missing.Load(), len(acked))
		}

		// Whatever A was doing when it died left nothing half-done.
		if out := testenv.Run(t, bin, env, "", "check"); !strings.HasPrefix(out, "OK: ") {
			t.Errorf("oms check after the kill: %s", out)
		}
		// B goes on by itself, serving and working jobs.
		if _, err := api.call("GET", b.URL+"/readyz", nil, nil); err != nil {
			t.Errorf("B after A died: %v", err)
		}
		waitFor(t, 90*time.Second, "the burst's orders expired by B", func() (bool, string) {
			var open int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'cancelled'", acked).Scan(&open); err != nil {
				t.Fatal(err)
			}
			var running []string
			rows, _ := pool.Query(ctx, "SELECT kind || ' ' || coalesce(attempted_by::text, '') || ' since ' || attempted_at::text FROM river_job WHERE state = 'running'")
			for rows.Next() {
				var s string
				_ = rows.Scan(&s)
				running = append(running, s)
			}
			rows.Close()
			return open == 0, fmt.Sprintf("%d open; running jobs %v", open, running)
		})
	})
}

// waitFor polls cond every 200 ms until it holds, failing after wait with what it said last.
func waitFor(t *testing.T, wait time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %s: %s", what, wait, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logJobSpread logs which processes (River clients) worked the jobs of kind, and fails
// on any job tried more than once.
func logJobSpread(t *testing.T, pool *pgxpool.Pool, kind string) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT coalesce(attempted_by[array_length(attempted_by, 1)], '-'), count(*), max(attempt)
		FROM river_job WHERE kind = $1 GROUP BY 1 ORDER BY 1`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var spread []string
	for rows.Next() {
		var client string
		var jobs, attempts int
		if err := rows.Scan(&client, &jobs, &attempts); err != nil {
			t.Fatal(err)
		}
		if attempts > 1 {
			t.Errorf("a %s job was attempted %d times", kind, attempts)
		}
		spread = append(spread, fmt.Sprintf("%s: %d", client, jobs))
	}
	t.Logf("%s jobs by River client: %s", kind, strings.Join(spread, ", "))
}
