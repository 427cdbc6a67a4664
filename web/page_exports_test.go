package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/jobs"
	"github.com/oms/oms/internal/service"
)

// runJobs starts a job runner on the env's database, as an `oms serve` process with jobs
// on would; it stops when the test ends.
func (e *pageEnv) runJobs() {
	e.t.Helper()
	r, err := jobs.New(e.pool, service.New(e.pool, service.Config{}), jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
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

// otherProcess is another `oms serve` process (its own service and web server) on the
// env's database, and b's session on it: sessions live in the database.
func (e *pageEnv) otherProcess(b *browser) *browser {
	e.t.Helper()
	s := New(Config{ShopName: "Test Shop"}, service.New(e.pool, service.Config{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(e.t, s.Handler())
	other := *e
	other.srv = srv
	return &browser{e: &other, client: b.client, csrf: b.csrf}
}

// A view too large to stream is exported by whichever process runs jobs: the process
// that started it (jobs off) says it waits, and another process shows the progress and
// serves the file, to its owner only.
func TestBackgroundExportIsServedByAnyProcess(t *testing.T) {
	defer func(n int) { exportDirectLimit = n }(exportDirectLimit)
	exportDirectLimit = 3
	e := newPageEnv(t)
	fx := e.orders()
	want := map[string]bool{}
	for i := range 7 {
		want[fx.create(fmt.Sprintf("x%d@example.com", i), fmt.Sprintf("X %d", i), 1).Number] = true
	}
	fx.create("someone@elsewhere.test", "Else", 1)
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/orders")

	p := admin.post("/orders/export", url.Values{"view": {"q=example.com&sort=total&cursor=abc"}, "format": {"csv"}})
	expectStatus(t, p, http.StatusSeeOther)
	loc := p.Header.Get("Location")
	if !strings.HasPrefix(loc, "/orders/exports/") {
		t.Fatalf("redirect to %q", loc)
	}
	queued := admin.get(loc)
	expectStatus(t, queued, http.StatusOK)
	expectBody(t, queued, "Exporting orders-", "0 of 7", `hx-trigger="every 500ms"`, `href="/orders?q=example.com&amp;sort=total"`)
	if strings.Contains(queued.Body, "Waiting for a server") {
		t.Error("a fresh export is said to wait")
	}
	if _, err := e.pool.Exec(context.Background(), `UPDATE exports SET created_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	expectBody(t, admin.get(loc, "HX-Request", "true"), "Waiting for a server that runs background jobs", "<progress")
	expectStatus(t, admin.get(loc+"/file"), http.StatusConflict)

	e.runJobs()
	b := e.otherProcess(admin)
	var prog page
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if prog = b.get(loc, "HX-Request", "true"); strings.Contains(prog.Body, "is ready") {
			break
		}
		expectBody(t, prog, `hx-trigger="every 500ms"`, "<progress")
	}
	expectStatus(t, prog, http.StatusOK)
	expectBody(t, prog, "is ready", "7 orders", `value="100"`, `href="`+loc+`/file"`)
	file := b.get(loc + "/file")
	expectStatus(t, file, http.StatusOK)
	if cd := file.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=orders-") ||
		!strings.HasPrefix(file.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("headers %v", file.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(file.Body)).ReadAll()
	if err != nil || len(recs) != 8 {
		t.Fatalf("file: %d records, %v", len(recs), err)
	}
	prev := decimal.Zero
	for _, r := range recs[1:] {
		if !want[r[0]] {
			t.Errorf("%s exported", r[0])
		}
		if total := decimal.RequireFromString(r[14]); total.LessThan(prev) {
			t.Errorf("not sorted by total")
		} else {
			prev = total
		}
	}
	// The process that started it sees the same.
	expectBody(t, admin.get(loc), "is ready")
	expectStatus(t, admin.get(loc+"/file"), http.StatusOK)

	// Someone else's export is not there for them, on any process.
	other := e.loggedIn(domain.RoleSupport)
	otherB := e.otherProcess(other)
	for _, br := range []*browser{other, otherB} {
		expectStatus(t, br.get(loc), http.StatusNotFound)
		expectStatus(t, br.get(loc+"/file"), http.StatusNotFound)
	}
	expectStatus(t, b.get("/orders/exports/not-an-id"), http.StatusNotFound)
}

// Each user runs at most three exports at once; the fourth is refused with the reason.
func TestBackgroundExportsAreLimitedPerUser(t *testing.T) {
	defer func(n int) { exportDirectLimit = n }(exportDirectLimit)
	exportDirectLimit = 0
	e := newPageEnv(t)
	e.orders().create("x@example.com", "X", 1)
	admin := e.loggedIn(domain.RoleAdmin)
	admin.get("/orders")
	for range service.ExportsPerUser {
		expectStatus(t, admin.post("/orders/export", url.Values{"view": {""}, "format": {"xlsx"}}), http.StatusSeeOther)
	}
	p := admin.post("/orders/export", url.Values{"view": {""}, "format": {"xlsx"}})
	expectStatus(t, p, http.StatusSeeOther)
	expectBody(t, admin.get("/orders"), "you already have 3 exports running")
}

func TestOrderFilterQueryReadsBackAsTheSameFilter(t *testing.T) {
	for _, q := range []string{
		"",
		"q=ann&sort=total",
		"status=paid,processing&payment_status=completed&fulfillment_status=unfulfilled&email=a@b.c",
		"created_from=2026-11-01&created_to=2026-11-25&total_min=10.5&total_max=99",
		"created_from=2026-11-01T10:30:00Z&created_to=2026-11-25T08:00:00%2B02:00&sort=-total",
	} {
		v, _ := url.ParseQuery(q)
		f, err := parseOrderFilter(v)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		f.Normalize()
		back, err := parseOrderFilter(orderFilterQuery(f))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		back.Normalize()
		if fmt.Sprint(back) != fmt.Sprint(f) {
			t.Errorf("%s: read back as %+v, want %+v", q, back, f)
		}
		if got := orderFilterQuery(f).Encode(); got != canonicalQuery(v).Encode() {
			t.Errorf("%s: query %s", q, got)
		}
	}
}
