package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Exports too large to stream in one response run as a job on the queue (internal/jobs),
// which writes the file into the exports table: any `oms serve` process shows the
// progress and serves the download, and a restart loses nothing (the job runs again).

const (
	// ExportKeep is how long a finished (or failed) export stays downloadable.
	ExportKeep = time.Hour
	// ExportsPerUser is how many exports one user may have queued or running at once.
	ExportsPerUser = 3
	// exportUnfinishedKeep is when an export that never finished is deleted (no process
	// ran jobs all that time, or one died on the last attempt).
	exportUnfinishedKeep = 6 * time.Hour
	// exportProgressEvery is how often the job records how far it got.
	exportProgressEvery = 250 * time.Millisecond
	// exportFailedMessage is what the user reads when an export failed for a reason of
	// ours (the cause is logged).
	exportFailedMessage = "the orders could not be written; try again"
)

// ExportStatus is where a background export is.
type ExportStatus string

const (
	ExportQueued  ExportStatus = "queued"
	ExportRunning ExportStatus = "running"
	ExportDone    ExportStatus = "done"
	ExportFailed  ExportStatus = "failed"
)

// Export is a background export as its owner sees it.
type Export struct {
	ID          string
	StaffID     string
	Filter      domain.OrderFilter // IDs set for an export of a selection
	Format      ExportFormat
	Status      ExportStatus
	Done, Total int // orders written so far, and how many match
	TotalExact  bool
	Error       string // why it failed, for the user
	Filename    string
	ContentType string
	Size        int64 // bytes of the finished file
	CreatedAt   time.Time
	FinishedAt  *time.Time
	ExpiresAt   time.Time
}

// ExportOrdersArgs is the job that writes export ExportID (worked by internal/jobs).
type ExportOrdersArgs struct {
	ExportID uuid.UUID `json:"export_id"`
}

// Kind names the job in the queue.
func (ExportOrdersArgs) Kind() string { return "export_orders" }

// ExportQueue is the queue of the export jobs: their own, so that exports never hold
// every worker of the default queue (reservation expiry).
const ExportQueue = "exports"

// InsertOpts: a failed attempt (a restart, a lost connection) is tried again from zero.
func (ExportOrdersArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: ExportQueue, MaxAttempts: 3}
}

// exportFilter is the filter as stored in exports.filter: a stable JSON shape.
type exportFilter struct {
	Q                   string              `json:"q,omitempty"`
	Statuses            []string            `json:"status,omitempty"`
	PaymentStatuses     []string            `json:"payment_status,omitempty"`
	FulfillmentStatuses []string            `json:"fulfillment_status,omitempty"`
	Email               string              `json:"email,omitempty"`
	CreatedFrom         *time.Time          `json:"created_from,omitempty"`
	CreatedTo           *time.Time          `json:"created_to,omitempty"`
	TotalMin            decimal.NullDecimal `json:"total_min"`
	TotalMax            decimal.NullDecimal `json:"total_max"`
	Sort                string              `json:"sort"`
	Tag                 string              `json:"tag,omitempty"`
	Held                *bool               `json:"held,omitempty"`
	SLA                 string              `json:"sla,omitempty"`
}

func encodeExportFilter(f domain.OrderFilter) ([]byte, []byte, error) {
	ef := exportFilter{Q: f.Q, Email: f.Email, CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo,
		TotalMin: f.TotalMin, TotalMax: f.TotalMax, Sort: f.Sort, Tag: f.Tag, Held: f.Held, SLA: f.SLA}
	for _, s := range f.Statuses {
		ef.Statuses = append(ef.Statuses, string(s))
	}
	for _, s := range f.PaymentStatuses {
		ef.PaymentStatuses = append(ef.PaymentStatuses, string(s))
	}
	for _, s := range f.FulfillmentStatuses {
		ef.FulfillmentStatuses = append(ef.FulfillmentStatuses, string(s))
	}
	filter, err := json.Marshal(ef)
	if err != nil {
		return nil, nil, fmt.Errorf("export filter: %w", err)
	}
	ids, err := json.Marshal(append([]string{}, f.IDs...))
	if err != nil {
		return nil, nil, fmt.Errorf("export ids: %w", err)
	}
	return filter, ids, nil
}

func decodeExportFilter(filter, ids []byte) (domain.OrderFilter, error) {
	var ef exportFilter
	if err := json.Unmarshal(filter, &ef); err != nil {
		return domain.OrderFilter{}, fmt.Errorf("export filter: %w", err)
	}
	f := domain.OrderFilter{Q: ef.Q, Email: ef.Email, CreatedFrom: ef.CreatedFrom, CreatedTo: ef.CreatedTo,
		TotalMin: ef.TotalMin, TotalMax: ef.TotalMax, Sort: ef.Sort, Tag: ef.Tag, Held: ef.Held, SLA: ef.SLA}
	for _, s := range ef.Statuses {
		f.Statuses = append(f.Statuses, domain.Status(s))
	}
	for _, s := range ef.PaymentStatuses {
		f.PaymentStatuses = append(f.PaymentStatuses, domain.PaymentStatus(s))
	}
	for _, s := range ef.FulfillmentStatuses {
		f.FulfillmentStatuses = append(f.FulfillmentStatuses, domain.FulfillmentStatus(s))
	}
	if err := json.Unmarshal(ids, &f.IDs); err != nil {
		return domain.OrderFilter{}, fmt.Errorf("export ids: %w", err)
	}
	return f, nil
}

// StartExport records an export of the orders matching f (or, when ids is not empty, of
// those orders) and enqueues its job in the same transaction: the job cannot run before
// the row exists, nor the row stay without a job. Only staff users own exports; one may
// have ExportsPerUser queued or running at once (rate_limited beyond).
func (s *Service) StartExport(ctx context.Context, actor domain.Actor, f domain.OrderFilter, ids []string, format ExportFormat) (Export, error) {
	staffID, err := uuid.Parse(actor.ID)
	if actor.Type != domain.ActorStaff || err != nil {
		return Export{}, domain.Errorf(domain.CodeForbidden, "only staff users can export orders in the background")
	}
	if _, err := ParseExportFormat(string(format)); err != nil || format == "" {
		return Export{}, domain.FieldErrors{"format": "must be csv, json or xlsx"}.Err()
	}
	if len(ids) > 0 {
		if len(ids) > MaxBulkOrders {
			return Export{}, domain.FieldErrors{"order_ids": fmt.Sprintf("select at most %d orders", MaxBulkOrders)}.Err()
		}
		f.IDs = ids
	}
	f.Cursor, f.Limit = "", domain.DefaultPageSize
	f.Normalize()
	if err := f.Validate(); err != nil {
		return Export{}, err
	}
	db := s.reader(ctx)
	plan, err := planSearch(ctx, queries.New(db), f)
	if err != nil {
		return Export{}, err
	}
	filter, idsJSON, err := encodeExportFilter(f)
	if err != nil {
		return Export{}, err
	}
	total, exact, err := plan.count(ctx, db)
	if err != nil {
		return Export{}, fmt.Errorf("export: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Export{}, fmt.Errorf("export id: %w", err)
	}
	now := s.now()
	err = s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		if err := q.LockExportOwner(ctx, staffID); err != nil {
			return fmt.Errorf("lock exports of %s: %w", staffID, err)
		}
		n, err := q.CountActiveExports(ctx, staffID)
		if err != nil {
			return fmt.Errorf("count exports: %w", err)
		}
		if n >= ExportsPerUser {
			return domain.Errorf(domain.CodeRateLimited, "you already have %d exports running; wait for one to finish", n)
		}
		if err := q.InsertExport(ctx, queries.InsertExportParams{ID: id, StaffID: staffID, Filter: filter, Ids: idsJSON,
			Format: string(format), Total: int32(min(total, 1<<31-1)), TotalExact: exact,
			Filename: format.Filename(now), ContentType: format.ContentType(),
			ExpiresAt: now.Add(exportUnfinishedKeep)}); err != nil {
			return fmt.Errorf("insert export: %w", err)
		}
		if _, err := s.queue.InsertTx(ctx, tx, ExportOrdersArgs{ExportID: id}, nil); err != nil {
			return fmt.Errorf("enqueue export: %w", err)
		}
		return nil
	})
	if err != nil {
		return Export{}, err
	}
	return s.GetExport(ctx, actor.ID, id.String())
}

// GetExport returns export id with its progress. Only its owner sees it: anyone else, an
// unknown id and an expired export get not_found.
func (s *Service) GetExport(ctx context.Context, staffID, id string) (Export, error) {
	eid, sid, err := exportKey(staffID, id)
	if err != nil {
		return Export{}, err
	}
	r, err := queries.New(s.pool).GetExport(ctx, queries.GetExportParams{ID: eid, StaffID: sid})
	if err != nil {
		return Export{}, exportNotFound(err)
	}
	f, err := decodeExportFilter(r.Filter, r.Ids)
	if err != nil {
		return Export{}, err
	}
	return Export{ID: r.ID.String(), StaffID: r.StaffID.String(), Filter: f, Format: ExportFormat(r.Format),
		Status: ExportStatus(r.Status), Done: int(r.Done), Total: int(r.Total), TotalExact: r.TotalExact,
		Error: r.Error, Filename: r.Filename, ContentType: r.ContentType, Size: r.Size, CreatedAt: r.CreatedAt,
		FinishedAt: r.FinishedAt, ExpiresAt: r.ExpiresAt}, nil
}

// ExportFile is a finished export's file, read chunk by chunk (WriteTo).
type ExportFile struct {
	Name, ContentType string
	Size              int64
	id                uuid.UUID
	pool              queries.DBTX
}

// WriteTo writes the file to w one chunk at a time.
func (f ExportFile) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	q := queries.New(f.pool)
	var n int64
	for seq := int32(0); n < f.Size; seq++ {
		data, err := q.GetExportChunk(ctx, queries.GetExportChunkParams{ExportID: f.id, Seq: seq})
		if err != nil {
			return n, fmt.Errorf("export %s chunk %d: %w", f.id, seq, err)
		}
		m, err := w.Write(data)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ExportFile returns a finished export's file; conflict while it is not finished (or
// when it failed), not_found as GetExport.
func (s *Service) ExportFile(ctx context.Context, staffID, id string) (ExportFile, error) {
	x, err := s.GetExport(ctx, staffID, id)
	if err != nil {
		return ExportFile{}, err
	}
	switch x.Status {
	case ExportDone:
		return ExportFile{Name: x.Filename, ContentType: x.ContentType, Size: x.Size, id: uuid.MustParse(x.ID), pool: s.pool}, nil
	case ExportFailed:
		return ExportFile{}, domain.Errorf(domain.CodeConflict, "this export failed; export again")
	}
	return ExportFile{}, domain.Errorf(domain.CodeConflict, "this export is not finished yet")
}

func exportKey(staffID, id string) (eid, sid uuid.UUID, err error) {
	eid, err = uuid.Parse(id)
	if err != nil {
		return eid, sid, exportNotFound(pgx.ErrNoRows)
	}
	sid, err = uuid.Parse(staffID)
	if err != nil {
		return eid, sid, exportNotFound(pgx.ErrNoRows)
	}
	return eid, sid, nil
}

func exportNotFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Errorf(domain.CodeNotFound,
			"export not found: exports are kept for an hour after they finish; export again")
	}
	return fmt.Errorf("get export: %w", err)
}

// RunExport is the export job: it writes export id's file into the database chunk by
// chunk as the orders stream in, recording the progress every so often, then marks it
// done. An export that is gone (expired) or already finished is left alone. On an error
// the row is left as it is: the caller retries (RequeueExport) or gives up (FailExport).
func (s *Service) RunExport(ctx context.Context, id uuid.UUID) error {
	q := queries.New(s.pool)
	claim, err := q.ClaimExport(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("claim export %s: %w", id, err)
	}
	// An earlier attempt's chunks: this one starts from zero.
	if err := q.DeleteExportChunks(ctx, id); err != nil {
		return fmt.Errorf("export %s: %w", id, err)
	}
	f, err := decodeExportFilter(claim.Filter, claim.Ids)
	if err != nil {
		return err
	}
	// A failed progress write stops the export through its context.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	done, reported := 0, time.Now()
	progress := func(n int) {
		done = n
		if time.Since(reported) < exportProgressEvery {
			return
		}
		if err := q.SetExportProgress(ctx, queries.SetExportProgressParams{ID: id, Done: int32(n)}); err != nil {
			stop(fmt.Errorf("export %s: progress: %w", id, err))
			return
		}
		reported = time.Now()
	}
	file := &chunkWriter{ctx: ctx, q: q, id: id, buf: make([]byte, 0, s.cfg.ExportChunkBytes)}
	err = s.ExportOrders(ctx, f, ExportFormat(claim.Format), file, progress)
	if err == nil {
		err = file.flush()
	} else {
		file.stop()
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
		return err
	}
	if _, err := q.FinishExport(ctx, queries.FinishExportParams{ID: id, Size: file.size,
		Done: int32(done), ExpiresAt: s.now().Add(ExportKeep)}); err != nil {
		return fmt.Errorf("store export %s: %w", id, err)
	}
	return nil
}

// chunkWriter stores what is written to it as the export's chunks, one row per
// cap(buf) bytes. A chunk is stored while the next one is written (by a goroutine of
// its own, started with the first chunk), so that the export waits on the database only
// when it writes faster than the database stores; memory holds two chunks at most.
type chunkWriter struct {
	ctx  context.Context
	q    *queries.Queries
	id   uuid.UUID
	buf  []byte
	seq  int32
	size int64

	chunks chan []byte // to the storing goroutine
	spare  chan []byte // buffers it has stored
	stored chan error  // its result, once chunks is closed
	closed bool
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == cap(w.buf) {
			if err := w.send(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// send hands the full buffer to the storing goroutine and takes an empty one.
func (w *chunkWriter) send() error {
	if w.chunks == nil {
		w.chunks, w.spare, w.stored = make(chan []byte), make(chan []byte, 1), make(chan error, 1)
		w.spare <- make([]byte, 0, cap(w.buf))
		go w.store()
	}
	select {
	case w.chunks <- w.buf:
	case err := <-w.stored: // it stopped: an insert failed
		w.stored <- err
		return err
	}
	w.size += int64(len(w.buf))
	w.buf = (<-w.spare)[:0]
	return nil
}

// store inserts the chunks it is handed, in order, until chunks is closed or an insert
// fails.
func (w *chunkWriter) store() {
	for data := range w.chunks {
		if err := w.q.InsertExportChunk(w.ctx, queries.InsertExportChunkParams{ExportID: w.id, Seq: w.seq, Data: data}); err != nil {
			w.stored <- fmt.Errorf("export %s chunk %d: %w", w.id, w.seq, err)
			return
		}
		w.seq++
		w.spare <- data
	}
	w.stored <- nil
}

// flush stores what is buffered and waits until every chunk is stored.
func (w *chunkWriter) flush() error {
	if len(w.buf) > 0 {
		if err := w.send(); err != nil {
			return err
		}
	}
	return w.stop()
}

// stop ends the storing goroutine (after the chunks handed to it), and returns its result.
func (w *chunkWriter) stop() error {
	if w.chunks == nil || w.closed {
		return nil
	}
	w.closed = true
	close(w.chunks)
	return <-w.stored
}

// FailExport marks export id failed because of cause: a refusal (too large, a filter
// that no longer holds) is shown as it is; anything else as a generic message.
func (s *Service) FailExport(ctx context.Context, id uuid.UUID, cause error) error {
	msg := exportFailedMessage
	var de *domain.Error
	if errors.As(cause, &de) && de.Code != domain.CodeInternal {
		msg = de.Message
		for _, field := range slices.Sorted(maps.Keys(de.Fields)) {
			msg += "; " + field + ": " + de.Fields[field]
		}
	}
	if _, err := queries.New(s.pool).FailExport(ctx, queries.FailExportParams{ID: id, Error: msg,
		ExpiresAt: s.now().Add(ExportKeep)}); err != nil {
		return fmt.Errorf("mark export %s failed: %w", id, err)
	}
	return nil
}

// RequeueExport shows export id as waiting again after a failed attempt that will be
// retried.
func (s *Service) RequeueExport(ctx context.Context, id uuid.UUID) error {
	if err := queries.New(s.pool).RequeueExport(ctx, id); err != nil {
		return fmt.Errorf("requeue export %s: %w", id, err)
	}
	return nil
}

// DeleteExpiredExports deletes the exports whose time is up, batch by batch, and returns
// how many it deleted.
func (s *Service) DeleteExpiredExports(ctx context.Context) (int, error) {
	const batch = 100 // each row may hold a file of up to MaxExportBytes
	total := 0
	for {
		n, err := queries.New(s.pool).DeleteExpiredExports(ctx, batch)
		total += int(n)
		if err != nil {
			return total, fmt.Errorf("delete expired exports: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}
