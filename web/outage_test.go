package web

import (
	"github.com/oms/oms/internal/testenv"

	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/migrations"
	"github.com/oms/oms/queries"
)

// PostgreSQL restarted under load, on a cluster of the test's own: /readyz says 503 while
// it is down, the server recovers by itself, no 500 outside the outage, no acknowledged
// order lost, and the audit of `oms check` is clean afterwards.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops a PostgreSQL cluster")
	}
	cluster := testenv.NewCluster(t)
	url := cluster.URL("oms_outage")

	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AfterConnect = queries.RegisterTypes
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	svc := service.New(pool, service.Config{})
	srv := newTestServer(t, New(Config{ShopName: "Outage"}, svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	e := &apiEnv{t: t, srv: srv, svc: svc, pool: pool}
	if _, e.token, err = svc.CreateToken(ctx, "load"); err != nil {
		t.Fatal(err)
	}
	e.product("TEE-M", "10.00", 100_000)

	type failure struct {
		at     time.Time
		status int
	}
	var (
		mu       sync.Mutex
		acked    []string
		failures []failure
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"customer":{"email":"load%d@example.com"},"shipping_address":{"first_name":"A","last_name":"B","address1":"1 Main St","city":"X","country":"US"},"items":[{"sku":"TEE-M","quantity":1}]}`, w)
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/orders", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				status := 0
				var id string
				if err == nil {
					var o orderJSON
					if resp.StatusCode == http.StatusCreated {
						_ = json.NewDecoder(resp.Body).Decode(&o)
						id = o.ID
					}
					status = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				if status == http.StatusCreated {
					acked = append(acked, id)
				} else {
					failures = append(failures, failure{time.Now(), status})
				}
				mu.Unlock()
			}
		})
	}
	ready := func() int {
		resp, err := client.Get(srv.URL + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	time.Sleep(time.Second)
	outage := time.Now()
	cluster.Stop()
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz while PostgreSQL is down: %d, want 503", st)
	}
	time.Sleep(time.Second)
	cluster.URL("oms_outage")
	deadline := time.Now().Add(30 * time.Second)
	for ready() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the server did not recover by itself")
		}
		time.Sleep(50 * time.Millisecond)
	}
	recovered := time.Now()
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	if len(acked) <= before {
		t.Errorf("no order acknowledged after the recovery (%d before, %d after)", before, len(acked))
	}
	for _, f := range failures {
		// Requests already in flight when the outage began may fail a moment later.
		if f.status != http.StatusServiceUnavailable && f.status != 0 {
			t.Errorf("a request failed with %d, want 503 (the database is unavailable)", f.status)
		}
		if f.at.Before(outage) || f.at.After(recovered.Add(2*time.Second)) {
			t.Errorf("a request failed (%d) outside the outage (%s to %s): at %s", f.status,
				outage.Format(time.StampMilli), recovered.Format(time.StampMilli), f.at.Format(time.StampMilli))
		}
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM orders WHERE id = ANY($1::uuid[])", acked).Scan(&n); err != nil || n != len(acked) {
		t.Fatalf("%d of %d acknowledged orders found (%v)", n, len(acked), err)
	}
	rep, err := svc.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Violations {
		t.Errorf("check: %s", v)
	}
	byStatus := map[int]int{}
	for _, f := range failures {
		byStatus[f.status]++
	}
	t.Logf("%d orders acknowledged, failures by status %v during a %s outage", len(acked), byStatus, recovered.Sub(outage).Round(time.Millisecond))
}
