package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Back-office exports. A selection, or a view of at most exportDirectLimit orders, is
// streamed as the response at once. A larger view is written by a goroutine to a
// temporary file while its progress page polls it; the file is then downloaded from the
// same process.
//
// The jobs live in this process's memory: with several `oms serve` processes behind a
// load balancer, the progress page and the download must reach the process that runs the
// job (sticky sessions), and a restart forgets running exports (the user starts again).
// A finished file is kept for exportKeep, then deleted.
var exportDirectLimit = 2000

const (
	exportKeep         = time.Hour
	exportTimeout      = 30 * time.Minute
	exportsPerUser     = 3 // running at once
	exportSelectionMax = service.MaxBulkOrders
)

// exportJob is one background export.
type exportJob struct {
	id, owner string
	format    service.ExportFormat
	filename  string
	path      string
	back      string
	created   time.Time
	total     int
	exact     bool
	done      atomic.Int64

	mu       sync.Mutex
	finished bool
	err      string
	size     int64
}

type exportRegistry struct {
	mu   sync.Mutex
	jobs map[string]*exportJob
}

var exportJobs = &exportRegistry{jobs: map[string]*exportJob{}}

// start registers a job for owner, refusing when owner already runs exportsPerUser; it
// also forgets jobs older than exportKeep and deletes their files.
func (r *exportRegistry) start(j *exportJob) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	running := 0
	for id, old := range r.jobs {
		old.mu.Lock()
		finished := old.finished
		old.mu.Unlock()
		if finished && time.Since(old.created) > exportKeep {
			_ = os.Remove(old.path)
			delete(r.jobs, id)
			continue
		}
		if old.owner == j.owner && !finished {
			running++
		}
	}
	if running >= exportsPerUser {
		return domain.Errorf(domain.CodeRateLimited, "you already have %d exports running; wait for one to finish", running)
	}
	r.jobs[j.id] = j
	return nil
}

// get returns owner's job id; another user's job is as good as missing.
func (r *exportRegistry) get(id, owner string) (*exportJob, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	if !ok || j.owner != owner {
		return nil, false
	}
	return j, true
}

// exportOrders exports the selected orders (ids) or the whole view the list showed
// (view, its query string) as CSV or XLSX.
func (s *Server) exportOrders(c echo.Context) error {
	format, err := service.ParseExportFormat(c.FormValue("format"))
	if err == nil && format == service.ExportJSON {
		err = domain.FieldErrors{"format": "must be csv or xlsx"}.Err()
	}
	if err != nil {
		return s.bulkRefused(c, err)
	}
	var f domain.OrderFilter
	if ids := formIDs(c); len(ids) > 0 {
		if len(ids) > exportSelectionMax {
			return s.bulkRefused(c, domain.FieldErrors{"order_ids": "select at most 500 orders, or export the whole view"}.Err())
		}
		if err := s.streamExport(c, domain.OrderFilter{IDs: ids}, format); err != nil {
			return s.bulkRefused(c, err)
		}
		return nil
	}
	view, err := url.ParseQuery(c.FormValue("view"))
	if err == nil {
		f, err = parseOrderFilter(withoutKeys(view, pageParams...))
	}
	if err != nil {
		return s.bulkRefused(c, err)
	}
	f.Limit = 1
	page, err := s.svc.ListOrders(c.Request().Context(), f, false)
	if err != nil {
		return s.bulkRefused(c, err)
	}
	if page.TotalExact && page.Total <= int64(exportDirectLimit) {
		if err := s.streamExport(c, f, format); err != nil {
			return s.bulkRefused(c, err)
		}
		return nil
	}
	u, _ := staffOf(c)
	j := &exportJob{id: newJobID(), owner: u.ID, format: format, filename: format.Filename(time.Now()),
		created: time.Now(), total: int(page.Total), exact: page.TotalExact,
		back: "/orders" + queryString(withoutKeys(canonicalQuery(view), pageParams...))}
	tmp, err := os.CreateTemp("", "oms-export-*."+string(format))
	if err != nil {
		return err
	}
	j.path = tmp.Name()
	if err := exportJobs.start(j); err != nil {
		tmp.Close()
		os.Remove(j.path)
		return s.bulkRefused(c, err)
	}
	go s.runExport(j, f, tmp)
	return c.Redirect(http.StatusSeeOther, "/orders/exports/"+j.id)
}

// runExport writes the job's file, outliving the request that started it.
func (s *Server) runExport(j *exportJob, f domain.OrderFilter, file *os.File) {
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	defer cancel()
	err := s.svc.ExportOrders(ctx, f, j.format, file, func(done int) { j.done.Store(int64(done)) })
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = true
	if err != nil {
		s.log.Error("export failed", slog.String("job", j.id), slog.Any("err", err))
		j.err = "the orders could not be written; try again"
		if de := domain.ErrorCode(err); de != "" && de != domain.CodeInternal {
			j.err = err.Error()
		}
		_ = os.Remove(j.path)
		return
	}
	if st, err := os.Stat(j.path); err == nil {
		j.size = st.Size()
	}
	// The count was an estimate (or orders arrived meanwhile): the file has what it has.
	j.total, j.exact = int(j.done.Load()), true
}

func (j *exportJob) progress() views.ExportProgress {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := views.ExportProgress{ID: j.id, Filename: j.filename, Done: int(j.done.Load()), Total: j.total, Exact: j.exact,
		Finished: j.finished && j.err == "", Err: j.err, Size: j.size, Back: j.back}
	if p.Total < p.Done {
		p.Total = p.Done
	}
	return p
}

// exportProgress shows a job's progress bar (htmx polls this page and swaps the bar).
func (s *Server) exportProgress(c echo.Context) error {
	u, _ := staffOf(c)
	j, ok := exportJobs.get(c.Param("id"), u.ID)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "this export is unknown here: it finished more than an hour ago, or the server restarted; export again")
	}
	return render(c, http.StatusOK, views.ExportProgressPage(s.page(c, "Export orders", "orders"), j.progress()))
}

// exportDownload sends a finished job's file.
func (s *Server) exportDownload(c echo.Context) error {
	u, _ := staffOf(c)
	j, ok := exportJobs.get(c.Param("id"), u.ID)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "this export is unknown here: it finished more than an hour ago, or the server restarted; export again")
	}
	p := j.progress()
	if !p.Finished {
		return domain.Errorf(domain.CodeConflict, "this export is not finished yet")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, j.format.ContentType())
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": j.filename}))
	h.Set("Cache-Control", "no-store")
	return c.File(j.path)
}

func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
