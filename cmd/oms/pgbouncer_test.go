package main

import (
	"github.com/oms/oms/internal/testenv"

	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The OMS behind PgBouncer in transaction mode, as docs/scaling.md says to run it:
// DATABASE_URL through the pooler with pgx's default_query_exec_mode=cache_describe (no
// named prepared statements, which a transaction pooler cannot follow), and
// OMS_DIRECT_DATABASE_URL straight to PostgreSQL for what needs a session of its own
// (migrations' advisory lock, the live updates' LISTEN, the job queue). Two processes
// serve the API, pages and live updates through it, and run jobs, some of them enqueued
// through it.
func TestBehindPgBouncerTransactionMode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the oms binary and runs PgBouncer and two `oms serve` processes")
	}
	bouncer := findPgBouncer()
	if bouncer == "" {
		t.Skip("no pgbouncer binary (apt-get install -y pgbouncer; .ci/run installs it)")
	}
	ctx := context.Background()
	bin := testenv.Build(t)
	direct := emptyDatabase(t)
	bounced, adminBounced := startPgBouncer(t, bouncer, direct)
	pooled := withParam(t, bounced, "default_query_exec_mode", "cache_describe")
	env := testenv.Env("DATABASE_URL="+pooled, "OMS_DIRECT_DATABASE_URL="+direct, "OMS_RESERVATION_TTL=3s", "OMS_LOG_LEVEL=warn")

	if out := testenv.Run(t, bin, env, "", "migrate"); !strings.Contains(out, "migrations applied") {
		t.Fatalf("oms migrate: %s", out)
	}
	const password = "a-long-staff-password"
	testenv.Run(t, bin, env, password+"\n", "user", "add", "--email", "ann@example.com", "--name", "Ann Admin", "--role", "admin")
	lines := strings.Split(strings.TrimSpace(testenv.Run(t, bin, env, "", "token", "add", "--name", "storefront")), "\n")
	api := newAPIClient(t, lines[len(lines)-1])
	a := testenv.Start(t, bin, "A", env)
	b := testenv.Start(t, bin, "B", env)

	// Catalog and stock.
	for _, sku := range []string{"TEE", "MUG"} {
		api.must(http.StatusCreated, "PUT", a.URL+"/api/v1/products/"+sku,
			map[string]any{"name": "Product " + sku, "price": "12.50", "currency": "USD", "active": true}, nil)
		api.must(http.StatusOK, "PUT", b.URL+"/api/v1/inventory/"+sku, map[string]any{"on_hand": 1000}, nil)
	}

	// Orders at once, through both (the coalesced order writer, its batches and their
	// plan_cache_mode), and one replayed by its idempotency key.
	var wg sync.WaitGroup
	orders := make([]apiOrder, 40)
	for i := range orders {
		wg.Go(func() {
			p := []*testenv.Proc{a, b}[i%2]
			if st, err := api.call("POST", p.URL+"/api/v1/orders", newOrderBody(fmt.Sprintf("c%d@example.com", i), []string{"TEE", "MUG"}[i%2], 1+i%3), &orders[i]); st != http.StatusCreated {
				t.Errorf("order %d through %s: %d %v", i, p.Name, st, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var first, again apiOrder
	body := newOrderBody("idem@example.com", "TEE", 1)
	req := func(p *testenv.Proc, out *apiOrder) {
		r, _ := http.NewRequest("POST", p.URL+"/api/v1/orders", strings.NewReader(mustJSON(t, body)))
		r.Header.Set("Authorization", "Bearer "+api.token)
		r.Header.Set("Idempotency-Key", "pgbouncer-1")
		resp, err := api.http.Do(r)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("idempotent order through %s: %v %v", p.Name, resp, err)
		}
		defer resp.Body.Close()
		decodeJSON(t, resp, out)
	}
	req(a, &first)
	req(b, &again)
	if first.ID == "" || again.ID != first.ID {
		t.Errorf("the same idempotency key through A then B: %q then %q", first.ID, again.ID)
	}

	// One order through its whole life: payment, fulfillment, delivery.
	o := orders[0]
	api.must(http.StatusCreated, "POST", b.URL+"/api/v1/orders/"+o.ID+"/payments",
		map[string]any{"amount": o.Total, "gateway": "manual", "reference": "cash", "notify_customer": false}, nil)
	var f struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", a.URL+"/api/v1/orders/"+o.ID+"/fulfillments",
		map[string]any{"carrier": "UPS", "tracking_number": "1Z999", "notify_customer": false}, &f)
	api.must(http.StatusCreated, "POST", b.URL+"/api/v1/fulfillments/"+f.ID+"/events",
		map[string]any{"status": "delivered", "description": "left at the door"}, nil)
	var got apiOrder
	api.must(http.StatusOK, "GET", a.URL+"/api/v1/orders/"+o.Number, nil, &got)
	if got.Status != "delivered" {
		t.Errorf("order %s after payment, fulfillment and delivery: %s", o.Number, got.Status)
	}
	var list struct {
		Orders []apiOrder `json:"orders"`
		Total  int        `json:"total"`
	}
	api.must(http.StatusOK, "GET", b.URL+"/api/v1/orders?q=c1%40example.com&limit=5", nil, &list)
	if len(list.Orders) != 1 {
		t.Errorf("search by email: %d orders", len(list.Orders))
	}

	// Pages: login through A, the dashboard, the list, the order page through B.
	br := testenv.NewBrowser(t)
	br.Login(a.URL, "ann@example.com", password)
	for _, path := range []string{"/", "/orders?status=created", "/orders/" + o.Number} {
		if st, _, page := br.Get(b.URL + path); st != http.StatusOK || !strings.Contains(page, "Ann Admin") {
			t.Errorf("GET %s through B: %d", path, st)
		}
	}

	// Live updates: the LISTEN on its direct connection hears a change made through A.
	live := orders[1]
	api.must(http.StatusCreated, "POST", a.URL+"/api/v1/orders/"+live.ID+"/payments",
		map[string]any{"amount": live.Total, "gateway": "manual", "reference": "cash", "notify_customer": false}, nil)
	events := openEvents(t, br, b.URL, live.Number)
	api.must(http.StatusOK, "POST", a.URL+"/api/v1/orders/"+live.ID+"/transitions", map[string]any{"status": "processing"}, nil)
	events.expect(t, "changed", 30*time.Second)
	br.Get(a.URL + "/orders/" + live.Number)
	if st, _, _ := br.Post(a.URL+"/orders/"+live.Number+"/comments", url.Values{"comment": {"through PgBouncer"}}); st != http.StatusSeeOther {
		t.Fatalf("comment: %d", st)
	}
	events.expect(t, "changed", 30*time.Second)
	events.cancel()

	// A job enqueued through the pooler, in the transaction that asks for it (River's
	// insert), worked from the direct connection: a bulk cancellation from the list.
	form := url.Values{"reason": {"duplicates"}, "confirmed": {"1"}}
	for _, o := range orders[2:5] {
		form.Add("ids", o.ID)
	}
	br.Get(b.URL + "/orders")
	st, h, page := br.Post(b.URL+"/orders/bulk/cancel", form)
	bulk, ok := strings.CutPrefix(h.Get("Location"), "/orders/bulk/")
	if st != http.StatusSeeOther || !ok {
		t.Fatalf("bulk cancel: %d %q\n%.1000s", st, h.Get("Location"), page)
	}
	bulk, _, _ = strings.Cut(bulk, "?")
	db, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	waitFor(t, 2*time.Minute, "the bulk cancellation done", func() (bool, string) {
		var done int
		var finished bool
		if err := db.QueryRow(ctx, "SELECT done, finished_at IS NOT NULL FROM bulk_cancellations WHERE id = $1", bulk).Scan(&done, &finished); err != nil {
			t.Fatal(err)
		}
		return finished && done == 3, fmt.Sprintf("%d of 3 done", done)
	})

	// Jobs: the unpaid orders expire (the queue on the direct connection, the work
	// through the pooler).
	waitFor(t, 2*time.Minute, "the unpaid orders expired", func() (bool, string) {
		var o apiOrder
		api.must(http.StatusOK, "GET", b.URL+"/api/v1/orders/"+orders[len(orders)-1].ID, nil, &o)
		return o.Status == "cancelled", o.Status
	})

	if out := testenv.Run(t, bin, env, "", "check"); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("oms check through PgBouncer: %s", out)
	}

	// And all of that went through PgBouncer: its own count of transactions (its
	// statistics are brought up to date every stats_period, 1 s here).
	conn, err := pgx.Connect(ctx, adminBounced)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	dbName := strings.TrimPrefix(mustParseURL(t, direct).Path, "/")
	var xacts int64
	waitFor(t, 30*time.Second, "PgBouncer counting the OMS's transactions", func() (bool, string) {
		rows, err := conn.Query(ctx, "SHOW STATS", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			row := map[string]string{} // the simple protocol's values are text
			for i, fd := range rows.FieldDescriptions() {
				row[fd.Name] = string(rows.RawValues()[i])
			}
			if row["database"] == dbName {
				fmt.Sscan(row["total_xact_count"], &xacts)
			}
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		return xacts >= 100, fmt.Sprintf("%d transactions", xacts)
	})
	t.Logf("PgBouncer pooled %d transactions of the OMS", xacts)
}

// findPgBouncer is the pgbouncer binary's path, or "" (Debian puts it in /usr/sbin).
func findPgBouncer() string {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer"
	}
	return ""
}

// startPgBouncer runs PgBouncer in transaction mode on a free loopback port in front of
// the server of dbURL (a postgres:// URL), stopped at the end of the test. It returns
// dbURL through it, and the URL of its admin console.
func startPgBouncer(t *testing.T, bin, dbURL string) (bounced, admin string) {
	t.Helper()
	pc, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Run as root, PgBouncer refuses to start unless told which user to become; that
	// user must read the files.
	var asUser []string
	if os.Geteuid() == 0 {
		for _, name := range []string{"postgres", "nobody"} {
			if _, err := user.Lookup(name); err == nil {
				asUser = []string{"-u", name}
				break
			}
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	server := fmt.Sprintf("host=%s port=%d", pc.Host, pc.Port)
	if pc.Password != "" {
		server += fmt.Sprintf(" user=%s password=%s", pc.User, pc.Password)
	}
	addr := testenv.FreeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	ini := fmt.Sprintf(`[databases]
* = %s

[pgbouncer]
listen_addr = %s
listen_port = %s
unix_socket_dir =
auth_type = trust
auth_file = %s
admin_users = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
log_connections = 0
log_disconnections = 0
stats_period = 1
`, server, host, port, filepath.Join(dir, "users.txt"), pc.User)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "users.txt": fmt.Sprintf("%q \"\"\n", pc.User)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "pgbouncer.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(asUser, filepath.Join(dir, "pgbouncer.ini"))...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // SIGINT: PgBouncer's "safe shutdown"
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("pgbouncer log:\n%s", b)
		}
	})
	u := mustParseURL(t, dbURL)
	u.Host = addr
	bounced = u.String()
	u.Path = "/pgbouncer"
	admin = u.String()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("pgbouncer ended at start:\n%s", b)
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return bounced, admin
		}
		if time.Now().After(deadline) {
			t.Fatal("pgbouncer does not listen after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withParam sets a query parameter of a URL.
func withParam(t *testing.T, s, key, value string) string {
	t.Helper()
	u := mustParseURL(t, s)
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
