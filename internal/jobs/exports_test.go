package jobs_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/jobs"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

type exportEnv struct {
	t            *testing.T
	ctx          context.Context
	pool         *pgxpool.Pool
	svc          *service.Service
	owner, other domain.StaffUser
}

func newExportEnv(t *testing.T, cfg service.Config) *exportEnv {
	t.Helper()
	e := &exportEnv{t: t, ctx: context.Background(), pool: testdb.New(t)}
	e.svc = service.New(e.pool, cfg)
	var err error
	if e.owner, err = e.svc.CreateStaffUser(e.ctx, "ann@example.com", "Ann", domain.RoleAdmin, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	if e.other, err = e.svc.CreateStaffUser(e.ctx, "bob@example.com", "Bob", domain.RoleSupport, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.PutProduct(e.ctx, domain.Product{SKU: "TEE-M", Name: "Tee", Price: decimal.RequireFromString("20"),
		Currency: "USD", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetOnHand(e.ctx, staff, "TEE-M", 100_000); err != nil {
		t.Fatal(err)
	}
	return e
}

var staff = domain.Actor{Type: domain.ActorStaff, Name: "Test"}

// orders creates n orders of customers name0@domain, name1@domain, ... and returns their
// numbers.
func (e *exportEnv) orders(n int, name, domainName string) map[string]bool {
	e.t.Helper()
	var (
		mu      sync.Mutex
		numbers = map[string]bool{}
		wg      sync.WaitGroup
		next    = make(chan int)
	)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				o, _, err := e.svc.CreateOrder(e.ctx, staff, domain.NewOrder{
					Customer: domain.Customer{Email: fmt.Sprintf("%s%d@%s", name, i, domainName), Name: "Ann"},
					ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St",
						City: "Springfield", Country: "US"},
					Items: []domain.ItemRequest{{SKU: "TEE-M", Quantity: 1}},
				}, nil)
				if err != nil {
					e.t.Error(err)
					continue
				}
				mu.Lock()
				numbers[o.Number] = true
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if e.t.Failed() {
		e.t.FailNow()
	}
	return numbers
}

// runJobs starts a job runner (one `oms serve` process with jobs on), stopped when the
// test ends.
func (e *exportEnv) runJobs(cfg jobs.Config) {
	e.t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := jobs.New(e.pool, e.svc, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := r.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			e.t.Errorf("stop jobs: %v", err)
		}
	})
}

// waitFinished polls the export until it is done or failed.
func (e *exportEnv) waitFinished(id string) service.Export {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		x, err := e.svc.GetExport(e.ctx, e.owner.ID, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if x.Status == service.ExportDone || x.Status == service.ExportFailed {
			return x
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("export still %s (%d of %d) after 30s", x.Status, x.Done, x.Total)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *exportEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func expectCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := domain.ErrorCode(err); err == nil || got != code {
		t.Fatalf("err %v (%s), want %s", err, got, code)
	}
}

// An export queued while no process runs jobs waits; a process that runs them then
// writes every matching order, batch after batch, recording its progress on the way, and
// stores the file for its owner alone.
func TestExportJobWritesEveryMatchingOrderAcrossBatches(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t, service.Config{ExportChunkBytes: 4096})
	want := e.orders(1200, "buyer", "big.example")
	e.orders(15, "someone", "small.example")
	// Every change of the progress, in order.
	e.exec(`CREATE TABLE export_progress_log (n serial PRIMARY KEY, done integer NOT NULL)`)
	e.exec(`CREATE FUNCTION log_export_progress() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO export_progress_log (done) VALUES (NEW.done); RETURN NEW; END $$`)
	e.exec(`CREATE TRIGGER export_progress AFTER UPDATE OF done ON exports FOR EACH ROW
		WHEN (NEW.done IS DISTINCT FROM OLD.done) EXECUTE FUNCTION log_export_progress()`)

	x, err := e.svc.StartExport(e.ctx, e.owner.Actor(), domain.OrderFilter{Q: "big.example", Sort: domain.SortTotalDesc}, nil, service.ExportCSV)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != service.ExportQueued || x.Total != 1200 || !x.TotalExact || x.Done != 0 {
		t.Fatalf("started: %s, %d of %d (exact %v)", x.Status, x.Done, x.Total, x.TotalExact)
	}
	var enqueued int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM river_job WHERE kind = 'export_orders' AND args->>'export_id' = $1`,
		x.ID).Scan(&enqueued); err != nil || enqueued != 1 {
		t.Fatalf("%d jobs enqueued (%v), want 1", enqueued, err)
	}
	time.Sleep(300 * time.Millisecond)
	if x, _ = e.svc.GetExport(e.ctx, e.owner.ID, x.ID); x.Status != service.ExportQueued {
		t.Fatalf("without a job runner the export is %s", x.Status)
	}
	_, err = e.svc.ExportFile(e.ctx, e.owner.ID, x.ID)
	expectCode(t, err, domain.CodeConflict)

	e.runJobs(jobs.Config{})
	x = e.waitFinished(x.ID)
	if x.Status != service.ExportDone || x.Done != 1200 || x.Total != 1200 || x.FinishedAt == nil || x.Error != "" {
		t.Fatalf("finished: %+v", x)
	}
	if d := time.Until(x.ExpiresAt); d < 50*time.Minute || d > 61*time.Minute {
		t.Errorf("expires in %s, want an hour", d)
	}

	file, err := e.svc.ExportFile(e.ctx, e.owner.ID, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	var content strings.Builder
	if _, err := file.WriteTo(e.ctx, &content); err != nil {
		t.Fatal(err)
	}
	var chunks int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM export_chunks WHERE export_id = $1`, x.ID).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	if file.Name != x.Filename || !strings.HasSuffix(file.Name, ".csv") || !strings.HasPrefix(file.ContentType, "text/csv") ||
		int64(content.Len()) != x.Size || file.Size != x.Size || chunks < 10 {
		t.Errorf("file %q %q, %d bytes in %d chunks (export says %d)", file.Name, file.ContentType, content.Len(), chunks, x.Size)
	}
	recs, err := csv.NewReader(strings.NewReader(content.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1201 || recs[0][0] != "order_number" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	got := map[string]bool{}
	prevTotal := decimal.NewFromInt(1 << 40)
	for _, r := range recs[1:] {
		if got[r[0]] {
			t.Errorf("%s twice", r[0])
		}
		got[r[0]] = true
		if !want[r[0]] {
			t.Errorf("%s does not match the filter", r[0])
		}
		total := decimal.RequireFromString(r[14])
		if total.GreaterThan(prevTotal) {
			t.Errorf("not sorted by total: %s after %s", total, prevTotal)
		}
		prevTotal = total
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct orders, want %d", len(got), len(want))
	}

	rows, err := e.pool.Query(e.ctx, `SELECT done FROM export_progress_log ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	var progress []int
	for rows.Next() {
		var d int
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		progress = append(progress, d)
	}
	// Progress is written at most every quarter second, and at the end.
	if len(progress) == 0 || progress[len(progress)-1] != 1200 || !slices.IsSorted(progress) {
		t.Errorf("progress written %v, want rising to 1200", progress)
	}

	t.Run("OnlyTheOwnerSeesIt", func(t *testing.T) {
		_, err := e.svc.GetExport(e.ctx, e.other.ID, x.ID)
		expectCode(t, err, domain.CodeNotFound)
		_, err = e.svc.ExportFile(e.ctx, e.other.ID, x.ID)
		expectCode(t, err, domain.CodeNotFound)
		_, err = e.svc.GetExport(e.ctx, e.owner.ID, "not-an-id")
		expectCode(t, err, domain.CodeNotFound)
	})
}

// An export the job refuses (a filter that no longer holds) is marked failed at once
// with the reason; the file cannot be downloaded.
func TestExportJobMarksFailedExports(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t, service.Config{})
	e.orders(30, "buyer", "example.com")
	spoilt, err := e.svc.StartExport(e.ctx, e.owner.Actor(), domain.OrderFilter{Email: "buyer1@example.com"}, nil, service.ExportCSV)
	if err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE exports SET filter = jsonb_set(filter, '{status}', '["lost"]') WHERE id = $1`, spoilt.ID)
	e.runJobs(jobs.Config{})

	x := e.waitFinished(spoilt.ID)
	if x.Status != service.ExportFailed || !strings.Contains(x.Error, "lost") || x.FinishedAt == nil {
		t.Fatalf("%s %q", x.Status, x.Error)
	}
	_, err = e.svc.ExportFile(e.ctx, e.owner.ID, x.ID)
	expectCode(t, err, domain.CodeConflict)
	var attempts int
	if err := e.pool.QueryRow(e.ctx, `SELECT max(attempt) FROM river_job WHERE kind = 'export_orders'`).Scan(&attempts); err != nil || attempts != 1 {
		t.Errorf("%d attempts (%v): a refusal is not retried", attempts, err)
	}
}

// A failed job that gives up (the last attempt of an internal error) leaves a generic
// message, and a retried attempt shows the export waiting again.
func TestFailAndRequeueExport(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t, service.Config{})
	x, err := e.svc.StartExport(e.ctx, e.owner.Actor(), domain.OrderFilter{}, nil, service.ExportCSV)
	if err != nil {
		t.Fatal(err)
	}
	id := mustUUID(t, x.ID)
	e.exec(`UPDATE exports SET status = 'running', done = 500 WHERE id = $1`, id)
	if err := e.svc.RequeueExport(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if x, _ = e.svc.GetExport(e.ctx, e.owner.ID, x.ID); x.Status != service.ExportQueued || x.Done != 0 {
		t.Fatalf("requeued: %s %d", x.Status, x.Done)
	}
	if err := e.svc.FailExport(e.ctx, id, fmt.Errorf("read orders: connection reset")); err != nil {
		t.Fatal(err)
	}
	if x, _ = e.svc.GetExport(e.ctx, e.owner.ID, x.ID); x.Status != service.ExportFailed ||
		x.Error != "the orders could not be written; try again" {
		t.Fatalf("failed: %s %q", x.Status, x.Error)
	}
	// A finished export is not claimed again.
	if err := e.svc.RunExport(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if x, _ = e.svc.GetExport(e.ctx, e.owner.ID, x.ID); x.Status != service.ExportFailed {
		t.Fatalf("after a late run: %s", x.Status)
	}
}

// Each user has at most three exports queued or running, however many requests arrive
// at once; another user is not held back.
func TestStartExportLimitsExportsPerUser(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t, service.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := e.svc.StartExport(e.ctx, e.owner.Actor(), domain.OrderFilter{}, nil, service.ExportXLSX)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	started := 0
	for err := range errs {
		if err == nil {
			started++
		} else if domain.ErrorCode(err) != domain.CodeRateLimited {
			t.Fatal(err)
		}
	}
	if started != service.ExportsPerUser {
		t.Errorf("%d started, want %d", started, service.ExportsPerUser)
	}
	if _, err := e.svc.StartExport(e.ctx, e.other.Actor(), domain.OrderFilter{}, nil, service.ExportCSV); err != nil {
		t.Errorf("another user: %v", err)
	}
	_, err := e.svc.StartExport(e.ctx, staff, domain.OrderFilter{}, nil, service.ExportCSV)
	expectCode(t, err, domain.CodeForbidden)
	_, err = e.svc.StartExport(e.ctx, e.other.Actor(), domain.OrderFilter{Statuses: []domain.Status{"lost"}}, nil, service.ExportCSV)
	expectCode(t, err, domain.CodeValidationFailed)
}

// Exports past their expiry are no longer served, and the periodic job deletes them.
func TestExpiredExportsAreDeleted(t *testing.T) {
	t.Parallel()
	e := newExportEnv(t, service.Config{})
	e.orders(3, "buyer", "example.com")
	var ids []string
	for range 2 {
		x, err := e.svc.StartExport(e.ctx, e.owner.Actor(), domain.OrderFilter{}, nil, service.ExportCSV)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}
	e.exec(`UPDATE exports SET expires_at = now() - interval '1 second' WHERE id = $1`, ids[0])
	_, err := e.svc.GetExport(e.ctx, e.owner.ID, ids[0])
	expectCode(t, err, domain.CodeNotFound)

	e.runJobs(jobs.Config{ExportCleanupInterval: 100 * time.Millisecond})
	kept := e.waitFinished(ids[1])
	if kept.Status != service.ExportDone {
		t.Fatalf("kept export %s", kept.Status)
	}
	e.exec(`UPDATE exports SET expires_at = now() - interval '1 second' WHERE id = $1`, ids[1])
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM exports`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d exports left after 20s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
