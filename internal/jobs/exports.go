package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// exportTimeout bounds one attempt of an export job; RescueStuckJobsAfter (jobs.go) is
// longer, so that only the jobs of a process that died are rescued.
const exportTimeout = 15 * time.Minute

// exportWorker writes background exports (service.RunExport) in the exports queue.
type exportWorker struct {
	river.WorkerDefaults[service.ExportOrdersArgs]
	svc *service.Service
	log *slog.Logger
}

func (w *exportWorker) Timeout(*river.Job[service.ExportOrdersArgs]) time.Duration {
	return exportTimeout
}

// Work runs the export. A refusal (the file would be too large, the filter no longer
// holds) fails the export at once; any other error is retried from zero, and marks the
// export failed after the last attempt. The row is updated even when ctx has ended
// (shutdown), so that the progress page never shows a dead attempt as running.
func (w *exportWorker) Work(ctx context.Context, job *river.Job[service.ExportOrdersArgs]) error {
	id := job.Args.ExportID
	err := w.svc.RunExport(ctx, id)
	if err == nil {
		return nil
	}
	refused := domain.ErrorCode(err) != domain.CodeInternal
	if !refused && job.Attempt < job.MaxAttempts {
		w.log.Warn("export attempt failed; it will be retried", slog.String("export", id.String()),
			slog.Int("attempt", job.Attempt), slog.Any("err", err))
		return errors.Join(err, w.svc.RequeueExport(context.WithoutCancel(ctx), id))
	}
	if !refused {
		w.log.Error("export failed", slog.String("export", id.String()), slog.Any("err", err))
	}
	if ferr := w.svc.FailExport(context.WithoutCancel(ctx), id, err); ferr != nil {
		return errors.Join(err, ferr)
	}
	return river.JobCancel(err)
}

// DeleteExpiredExportsArgs is the periodic job that deletes exports past their
// expires_at (an hour after they finished).
type DeleteExpiredExportsArgs struct{}

// Kind names the job in the queue.
func (DeleteExpiredExportsArgs) Kind() string { return "delete_expired_exports" }

// InsertOpts: one cleanup waiting or running at a time; the next tick is the retry.
func (DeleteExpiredExportsArgs) InsertOpts() river.InsertOpts {
	return singlePeriodic
}

type exportCleanupWorker struct {
	river.WorkerDefaults[DeleteExpiredExportsArgs]
	svc *service.Service
	log *slog.Logger
}

func (w *exportCleanupWorker) Work(ctx context.Context, _ *river.Job[DeleteExpiredExportsArgs]) error {
	n, err := w.svc.DeleteExpiredExports(ctx)
	if n > 0 {
		w.log.Info("expired exports deleted", slog.Int("exports", n))
	}
	return err
}
