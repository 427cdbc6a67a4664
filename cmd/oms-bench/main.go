// Command oms-bench measures order creation through the JSON API (`oms serve`) and
// beside it the raw-SQL reference (pgbench running the same transaction straight
// against PostgreSQL) on the same server, and prints both rates and their ratio.
//
// It works on databases of its own (oms_bench, oms_rawbench), created afresh and dropped
// at the end, and sends traffic to loopback only. `make bench` runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	apiDB   = "oms_bench"
	rawDB   = "oms_rawbench"
	numSKUs = 10000
	hotSKU  = "SKU-00001"
)

type options struct {
	adminURL string
	oms      string
	rawDir   string
	pgbench  string
	duration time.Duration
	warmup   time.Duration
	clients  int
	modes    []string
	skipRaw  bool
	keep     bool
	logFile  string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "oms-bench: "+err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	root := repoRoot()
	var o options
	var mode string
	var hot bool
	flag.StringVar(&o.adminURL, "admin-url", os.Getenv("DATABASE_URL"),
		"connection string of the PostgreSQL server, as a user that may create databases (default $DATABASE_URL)")
	flag.StringVar(&o.oms, "oms", filepath.Join(root, "bin", "oms"), "the oms binary")
	flag.StringVar(&o.rawDir, "raw-dir", filepath.Join(root, "..", "shared", "bench"),
		"directory of the raw-SQL reference (schema.sql, create_order.sql, create_order_hot.sql)")
	flag.StringVar(&o.pgbench, "pgbench", "", "the pgbench binary (default: PATH, then /usr/lib/postgresql/*/bin)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per mode, for the API and for pgbench each")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "API warm-up before each measurement (not counted)")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients")
	flag.StringVar(&mode, "mode", "both", "normal, hot (every order includes "+hotSKU+") or both")
	flag.BoolVar(&hot, "hot", false, "shorthand for -mode hot")
	flag.BoolVar(&o.skipRaw, "skip-raw", false, "skip the pgbench reference")
	flag.BoolVar(&o.keep, "keep", false, "keep the benchmark databases afterwards")
	flag.StringVar(&o.logFile, "server-log", filepath.Join(root, ".data", "bench-serve.log"), "where the server's output goes")
	var read bool
	var ro readOptions
	flag.BoolVar(&read, "read", false, "the read benchmark instead: every page and list at -orders orders (make bench-read)")
	flag.StringVar(&ro.db, "db", "oms_bench_read", "-read: the database of the shop (kept between runs)")
	flag.IntVar(&ro.orders, "orders", 1_000_000, "-read: how many orders the shop has (loaded once, kept in -db)")
	flag.IntVar(&ro.requests, "requests", 100, "-read: requests per case")
	flag.BoolVar(&ro.export, "export", true, "-read: export every order at the end")
	only := flag.String("cases", "", "-read: only the cases whose name matches this regular expression")
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fmt.Errorf("-cases: %w", err)
		}
		ro.only = re
	}
	if read {
		if o.adminURL == "" {
			return errors.New("no database server: pass -admin-url or set DATABASE_URL (make bench-read does)")
		}
		if ro.orders < 1 || ro.requests < 1 {
			return errors.New("-orders and -requests must be positive")
		}
		return benchRead(ctx, o, ro)
	}

	if hot {
		mode = "hot"
	}
	switch mode {
	case "both":
		o.modes = []string{"normal", "hot"}
	case "normal", "hot":
		o.modes = []string{mode}
	default:
		return fmt.Errorf("-mode must be normal, hot or both, not %q", mode)
	}
	if o.adminURL == "" {
		return errors.New("no database server: pass -admin-url or set DATABASE_URL (make bench does)")
	}
	if o.clients < 1 || o.duration <= 0 {
		return errors.New("-clients and -duration must be positive")
	}
	if _, err := os.Stat(o.oms); err != nil {
		return fmt.Errorf("oms binary: %w (run make build)", err)
	}
	if !o.skipRaw {
		for _, f := range []string{"schema.sql", "create_order.sql", "create_order_hot.sql"} {
			if _, err := os.Stat(filepath.Join(o.rawDir, f)); err != nil {
				return fmt.Errorf("raw-SQL reference: %w (set -raw-dir, or -skip-raw)", err)
			}
		}
		if o.pgbench == "" {
			o.pgbench = findPGTool("pgbench")
		}
		if o.pgbench == "" {
			return errors.New("pgbench not found: install the PostgreSQL client tools (apt-get install -y postgresql), or pass -skip-raw")
		}
	}
	return bench(ctx, o)
}

type result struct {
	mode       string
	api        stats
	rawTPS     float64
	rawErr     error
	rawSkipped bool
}

func bench(ctx context.Context, o options) (err error) {
	fmt.Printf("oms-bench: %d clients, %s per mode, modes %s, server %s\n",
		o.clients, o.duration, strings.Join(o.modes, "+"), redact(o.adminURL))

	apiURL, err := withDatabase(o.adminURL, apiDB)
	if err != nil {
		return err
	}
	if err := recreateDB(ctx, o.adminURL, apiDB); err != nil {
		return err
	}
	if !o.keep {
		defer func() { dropDB(o.adminURL, apiDB) }()
	}
	env := append(os.Environ(), "DATABASE_URL="+apiURL)

	step("migrating " + apiDB)
	if out, err := command(ctx, env, o.oms, "migrate").CombinedOutput(); err != nil {
		return fmt.Errorf("oms migrate: %w\n%s", err, out)
	}
	step(fmt.Sprintf("seeding %d products", numSKUs))
	if err := seed(ctx, apiURL); err != nil {
		return err
	}
	out, err := command(ctx, env, o.oms, "token", "add", "--name", "bench").Output()
	if err != nil {
		return fmt.Errorf("oms token add: %w", describeExit(err))
	}
	token := lastLine(string(out))
	if token == "" {
		return errors.New("oms token add printed no token")
	}

	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, o, env, addr)
	if err != nil {
		return err
	}
	defer srv.stop()
	base := "http://" + addr

	var results []result
	for _, mode := range o.modes {
		step(fmt.Sprintf("API, %s mode: %d clients for %s (after %s warm-up)", mode, o.clients, o.duration, o.warmup))
		st, err := loadAPI(ctx, base, token, mode == "hot", o)
		if err != nil {
			return err
		}
		r := result{mode: mode, api: st, rawSkipped: o.skipRaw}
		if !o.skipRaw {
			step(fmt.Sprintf("raw SQL (pgbench), %s mode: %d clients for %s", mode, o.clients, o.duration))
			r.rawTPS, r.rawErr = rawBench(ctx, o, mode == "hot")
		}
		results = append(results, r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	srv.stop()
	if !o.keep && !o.skipRaw {
		dropDB(o.adminURL, rawDB)
	}

	report(results)

	step("checking stock: reserved = sum of open reservations, for every SKU")
	bad, err := verifyReservations(ctx, apiURL)
	if err != nil {
		return err
	}
	failed := false
	if len(bad) == 0 {
		fmt.Println("reservations: OK")
	} else {
		failed = true
		fmt.Printf("reservations: %d SKU(s) MISMATCH\n", len(bad))
		for _, m := range bad {
			fmt.Println("  " + m)
		}
	}
	if ok, ran := runCheck(ctx, o, env); ran && !ok {
		failed = true
	}
	if failed {
		return errors.New("invariant violations found (see above)")
	}
	return nil
}

func step(s string) { fmt.Println("--> " + s) }

// --- database set-up ---

func recreateDB(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// dropDB runs on the way out, also after an interrupt: it has a context of its own.
func dropDB(admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oms-bench: drop %s: %v\n", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "oms-bench: drop %s: %v\n", name, err)
	}
}

// seed loads the catalog straight with SQL: through the API it would take minutes.
func seed(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", apiDB, err)
	}
	defer conn.Close(context.Background())
	stmts := []string{
		fmt.Sprintf(`INSERT INTO products (sku, name, price, currency, active)
			SELECT 'SKU-' || lpad(g::text, 5, '0'), 'Bench product ' || g, 10.00, 'USD', true
			FROM generate_series(1, %d) g`, numSKUs),
		// effectively unlimited stock, as in the raw reference
		`INSERT INTO inventory (sku, on_hand, reserved) SELECT sku, 1000000000, 0 FROM products`,
		`VACUUM ANALYZE products`,
		`VACUUM ANALYZE inventory`,
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

// --- the API server ---

type server struct {
	cmd  *exec.Cmd
	done chan error
	once sync.Once
}

func startServer(ctx context.Context, o options, env []string, addr string) (*server, error) {
	if err := os.MkdirAll(filepath.Dir(o.logFile), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(o.logFile)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	// Not tied to ctx: on an interrupt it gets SIGTERM from stop, like in production.
	cmd := exec.Command(o.oms, "serve")
	// Jobs are off unless env turns them on (the last value of a variable wins).
	cmd.Env = append(append([]string{"OMS_JOBS=off"}, env...), "OMS_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	step(fmt.Sprintf("starting oms serve on %s (log: %s)", addr, o.logFile))
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start oms serve: %w", err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logf.Close() }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("oms serve exited: %v (see %s)", err, o.logFile)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("oms serve not ready on %s within 30s (see %s)", addr, o.logFile)
		}
	}
}

func (s *server) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// --- the API load ---

type stats struct {
	orders    int
	elapsed   time.Duration
	latencies []time.Duration // successful requests
	errors    map[string]int  // "409 out_of_stock", "transport: ..."
}

func (s stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.orders) / s.elapsed.Seconds()
}

func loadAPI(ctx context.Context, base, token string, hot bool, o options) (stats, error) {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.clients * 2,
		MaxIdleConnsPerHost: o.clients * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	start := time.Now()
	measureFrom := start.Add(o.warmup)
	end := measureFrom.Add(o.duration)
	type clientStats struct {
		ok        int
		latencies []time.Duration
		errors    map[string]int
	}
	per := make([]clientStats, o.clients)
	var wg sync.WaitGroup
	for i := range o.clients {
		wg.Go(func() {
			cs := &per[i]
			cs.errors = map[string]int{}
			rng := rand.New(rand.NewPCG(uint64(i)+1, uint64(start.UnixNano())))
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				body := orderBody(rng, hot, i, n)
				status, code, err := postOrder(ctx, client, base, token, body)
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(end) {
					continue // warm-up, or finished after the end
				}
				switch {
				case err != nil:
					cs.errors["transport: "+shortErr(err)]++
				case status == http.StatusCreated:
					cs.ok++
					cs.latencies = append(cs.latencies, t1.Sub(t0))
				default:
					cs.errors[strconv.Itoa(status)+" "+code]++
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return stats{}, err
	}
	st := stats{elapsed: o.duration, errors: map[string]int{}}
	for _, cs := range per {
		st.orders += cs.ok
		st.latencies = append(st.latencies, cs.latencies...)
		for k, v := range cs.errors {
			st.errors[k] += v
		}
	}
	slices.Sort(st.latencies)
	return st, nil
}

type address struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Address1   string `json:"address1"`
	Address2   string `json:"address2"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Phone      string `json:"phone"`
}

type orderItem struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

type orderRequest struct {
	Customer struct {
		Email string `json:"email"`
		Phone string `json:"phone"`
		Name  string `json:"name"`
	} `json:"customer"`
	ShippingAddress address     `json:"shipping_address"`
	Items           []orderItem `json:"items"`
	Source          string      `json:"source"`
}

func orderBody(rng *rand.Rand, hot bool, client, n int) []byte {
	var skus []int
	if hot {
		skus = append(skus, 1)
	}
	for len(skus) < 3 {
		s := 1 + rng.IntN(numSKUs)
		if !slices.Contains(skus, s) {
			skus = append(skus, s)
		}
	}
	var r orderRequest
	c := rng.IntN(50000) + 1
	r.Customer.Email = fmt.Sprintf("cust%d@example.com", c)
	r.Customer.Name = fmt.Sprintf("Customer %d", c)
	r.Customer.Phone = "+15550100"
	r.ShippingAddress = address{FirstName: "Bench", LastName: fmt.Sprintf("Client%d", client),
		Address1: fmt.Sprintf("%d Main St", n%9999+1), City: "Springfield", Region: "IL",
		PostalCode: "62701", Country: "US"}
	for _, s := range skus {
		r.Items = append(r.Items, orderItem{SKU: fmt.Sprintf("SKU-%05d", s), Quantity: 1 + rng.IntN(5)})
	}
	r.Source = "bench"
	b, _ := json.Marshal(r) // plain strings and ints: cannot fail
	return b
}

func postOrder(ctx context.Context, client *http.Client, base, token string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/orders", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		// drain so that the connection is reused
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, "", err
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
		return resp.StatusCode, "(no error code)", nil
	}
	return resp.StatusCode, e.Error.Code, nil
}

func shortErr(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// --- the raw-SQL reference ---

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

func rawBench(ctx context.Context, o options, hot bool) (float64, error) {
	if err := recreateDB(ctx, o.adminURL, rawDB); err != nil {
		return 0, err
	}
	rawURL, err := withDatabase(o.adminURL, rawDB)
	if err != nil {
		return 0, err
	}
	psql := findPGTool("psql")
	if psql == "" {
		return 0, errors.New("psql not found")
	}
	if out, err := command(ctx, nil, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-d", rawURL, "-f", filepath.Join(o.rawDir, "schema.sql")).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("load %s/schema.sql: %w\n%s", o.rawDir, err, out)
	}
	script := "create_order.sql"
	if hot {
		script = "create_order_hot.sql"
	}
	secs := int(o.duration.Round(time.Second).Seconds())
	secs = max(secs, 1)
	out, err := command(ctx, nil, o.pgbench, "-n", "-f", filepath.Join(o.rawDir, script),
		"-c", strconv.Itoa(o.clients), "-j", "2", "-T", strconv.Itoa(secs), "-M", "prepared", rawURL).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := tpsRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// --- report and checks ---

func report(results []result) {
	fmt.Println()
	fmt.Printf("%-7s %12s %9s %9s %9s %9s %12s %9s\n",
		"mode", "API ord/s", "p50", "p95", "p99", "errors", "raw SQL tps", "API/raw")
	for _, r := range results {
		nerr := 0
		for _, v := range r.api.errors {
			nerr += v
		}
		raw, ratio := "skipped", "-"
		switch {
		case r.rawSkipped:
		case r.rawErr != nil:
			raw = "failed"
		default:
			raw = fmt.Sprintf("%.0f", r.rawTPS)
			if r.rawTPS > 0 {
				ratio = fmt.Sprintf("%.1f%%", 100*r.api.rate()/r.rawTPS)
			}
		}
		fmt.Printf("%-7s %12.1f %9s %9s %9s %9d %12s %9s\n", r.mode, r.api.rate(),
			ms(pct(r.api.latencies, 50)), ms(pct(r.api.latencies, 95)), ms(pct(r.api.latencies, 99)),
			nerr, raw, ratio)
	}
	for _, r := range results {
		if len(r.api.errors) > 0 {
			fmt.Printf("\nerrors, %s mode (HTTP status and error code):\n", r.mode)
			keys := make([]string, 0, len(r.api.errors))
			for k := range r.api.errors {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Printf("  %-40s %d\n", k, r.api.errors[k])
			}
		}
		if r.rawErr != nil {
			fmt.Printf("\nraw SQL reference, %s mode, failed: %v\n", r.mode, r.rawErr)
		}
	}
	fmt.Println()
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p+99)/100 - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func verifyReservations(ctx context.Context, dbURL string) ([]string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", apiDB, err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `
		SELECT i.sku, i.reserved, coalesce(r.open, 0)
		FROM inventory i
		LEFT JOIN (SELECT sku, sum(quantity) AS open FROM inventory_reservations
		           WHERE status = 'reserved' GROUP BY sku) r ON r.sku = i.sku
		WHERE i.reserved <> coalesce(r.open, 0)
		ORDER BY i.sku`)
	if err != nil {
		return nil, fmt.Errorf("verify reservations: %w", err)
	}
	var bad []string
	for rows.Next() {
		var sku string
		var reserved, open int64
		if err := rows.Scan(&sku, &reserved, &open); err != nil {
			return nil, err
		}
		bad = append(bad, fmt.Sprintf("%s: reserved %d, open reservations %d", sku, reserved, open))
	}
	return bad, rows.Err()
}

// runCheck runs `oms check` when the binary has that command; ran is false otherwise.
func runCheck(ctx context.Context, o options, env []string) (ok, ran bool) {
	out, err := command(ctx, env, o.oms, "check").CombinedOutput()
	if err != nil && strings.Contains(string(out), "unknown command") {
		return false, false
	}
	step("oms check")
	fmt.Print(indent(string(out)))
	if err != nil {
		fmt.Printf("oms check: FAILED (%v)\n", err)
		return false, true
	}
	fmt.Println("oms check: OK")
	return true, true
}

// --- helpers ---

func command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	return cmd
}

func describeExit(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}

// repoRoot is the directory holding go.mod, from the working directory up; or ".".
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// findPGTool finds a PostgreSQL program on PATH or in the distribution's directories.
func findPGTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	dirs = append(dirs, "/opt/homebrew/bin", "/usr/local/bin")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// withDatabase swaps the database name in a URL or key=value connection string.
func withDatabase(connString, db string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse database url: %w", err)
		}
		u.Path = "/" + db
		return u.String(), nil
	}
	var kept []string
	for _, f := range strings.Fields(connString) {
		if !strings.HasPrefix(f, "dbname=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(append(kept, "dbname="+db), " "), nil
}

func redact(connString string) string {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return "(unparsable connection string)"
	}
	return fmt.Sprintf("%s@%s:%d", cfg.User, cfg.Host, cfg.Port)
}
