package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oms/oms/internal/dburl"
)

type result struct {
	mode       string
	api        []stats // one per target, in the order of the targets
	rawTPS     float64
	rawErr     error
	rawSkipped bool
}

// target is a database with its oms serve: the usual one, analyzed after seeding, and
// (unless -cold=false) one as a new user meets it, never analyzed.
type target struct {
	label string // "analyzed" or "not analyzed"
	cold  bool
	db    string
	url   string
	env   []string
	token string
	srv   *server
	base  string
}

func bench(ctx context.Context, o options) (err error) {
	fmt.Printf("oms-bench: %d clients, %s per mode, modes %s, server %s\n",
		o.clients, o.duration, strings.Join(o.modes, "+"), redact(o.adminURL))

	targets := []*target{{label: "analyzed", db: apiDB}}
	if o.cold {
		targets = append(targets, &target{label: "not analyzed", cold: true, db: apiDB + "_cold"})
	}
	for _, t := range targets {
		if !o.keep {
			defer dropDB(o.adminURL, t.db)
		}
		if err := startTarget(ctx, o, t); err != nil {
			return err
		}
		defer t.srv.stop()
	}

	var results []result
	for _, mode := range o.modes {
		r := result{mode: mode, rawSkipped: o.skipRaw}
		for _, t := range targets {
			step(fmt.Sprintf("API (%s), %s mode: %d clients for %s (after %s warm-up)", t.label, mode, o.clients, o.duration, o.warmup))
			st, err := loadAPI(ctx, t.base, t.token, mode == "hot", o)
			if err != nil {
				return err
			}
			r.api = append(r.api, st)
		}
		if !o.skipRaw {
			step(fmt.Sprintf("raw SQL (pgbench), %s mode: %d clients for %s", mode, o.clients, o.duration))
			r.rawTPS, r.rawErr = rawBench(ctx, o, mode == "hot")
		}
		results = append(results, r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	for _, t := range targets {
		t.srv.stop()
	}
	if !o.keep && !o.skipRaw {
		dropDB(o.adminURL, rawDB)
	}

	report(results, targets)

	failed := false
	for _, t := range targets {
		step(fmt.Sprintf("checking stock (%s): reserved = sum of open reservations, for every SKU", t.db))
		bad, err := verifyReservations(ctx, t.url)
		if err != nil {
			return err
		}
		if len(bad) == 0 {
			fmt.Println("reservations: OK")
		} else {
			failed = true
			fmt.Printf("reservations: %d SKU(s) MISMATCH\n", len(bad))
			for _, m := range bad {
				fmt.Println("  " + m)
			}
		}
		if ok, ran := runCheck(ctx, o, t.env); ran && !ok {
			failed = true
		}
	}
	if failed {
		return errors.New("invariant violations found (see above)")
	}
	return nil
}

// startTarget makes t's database afresh (migrated and seeded; analyzed unless t is
// the cold one, whose tables autovacuum leaves alone) and starts oms serve on it.
func startTarget(ctx context.Context, o options, t *target) error {
	var err error
	if t.url, err = dburl.WithDatabase(o.adminURL, t.db); err != nil {
		return err
	}
	if err := recreateDB(ctx, o.adminURL, t.db); err != nil {
		return err
	}
	t.env = append(os.Environ(), "DATABASE_URL="+t.url)
	step("migrating " + t.db)
	if out, err := command(ctx, t.env, o.oms, "migrate").CombinedOutput(); err != nil {
		return fmt.Errorf("oms migrate: %w\n%s", err, out)
	}
	step(fmt.Sprintf("seeding %d products into %s (%s)", numSKUs, t.db, t.label))
	if err := seed(ctx, t.url, !t.cold); err != nil {
		return err
	}
	out, err := command(ctx, t.env, o.oms, "token", "add", "--name", "bench").Output()
	if err != nil {
		return fmt.Errorf("oms token add: %w", describeExit(err))
	}
	if t.token = lastLine(string(out)); t.token == "" {
		return errors.New("oms token add printed no token")
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	if t.srv, err = startServer(ctx, o, t.cold, t.env, addr); err != nil {
		return err
	}
	t.base = "http://" + addr
	return nil
}

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
		r.Items = append(r.Items, orderItem{SKU: fmt.Sprintf("%s%05d", skuPrefix, s), Quantity: 1 + rng.IntN(5)})
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

func rawBench(ctx context.Context, o options, hot bool) (float64, error) {
	if err := recreateDB(ctx, o.adminURL, rawDB); err != nil {
		return 0, err
	}
	rawURL, err := dburl.WithDatabase(o.adminURL, rawDB)
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

func report(results []result, targets []*target) {
	fmt.Println()
	fmt.Printf("%-7s %-13s %12s %9s %9s %9s %9s %12s %9s\n",
		"mode", "statistics", "API ord/s", "p50", "p95", "p99", "errors", "raw SQL tps", "API/raw")
	for _, r := range results {
		for i, api := range r.api {
			nerr := 0
			for _, v := range api.errors {
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
					ratio = fmt.Sprintf("%.2fx", api.rate()/r.rawTPS)
				}
			}
			fmt.Printf("%-7s %-13s %12.1f %9s %9s %9s %9d %12s %9s\n", r.mode, targets[i].label, api.rate(),
				ms(percentile(api.latencies, 50), 1), ms(percentile(api.latencies, 95), 1), ms(percentile(api.latencies, 99), 1),
				nerr, raw, ratio)
		}
	}
	for _, r := range results {
		for i, api := range r.api {
			if len(api.errors) > 0 {
				fmt.Printf("\nerrors, %s mode, %s (HTTP status and error code):\n", r.mode, targets[i].label)
				for _, k := range slices.Sorted(maps.Keys(api.errors)) {
					fmt.Printf("  %-40s %d\n", k, api.errors[k])
				}
			}
		}
		if r.rawErr != nil {
			fmt.Printf("\nraw SQL reference, %s mode, failed: %v\n", r.mode, r.rawErr)
		}
	}
	fmt.Println()
}
