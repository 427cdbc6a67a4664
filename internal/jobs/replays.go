package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/service"
)

// DeleteOldReplaysArgs is the hourly clean-up: it forgets the answers of idempotent
// requests kept longer than service.ReplayKeep, login throttling keys past their decay
// window, rate limit keys whose budget is whole again, and outbox messages done with
// longer than service.MessageKeep ago.
type DeleteOldReplaysArgs struct{}

// Kind names the job in the queue.
func (DeleteOldReplaysArgs) Kind() string { return "delete_old_replays" }

// InsertOpts: one run waiting or running at a time; the next tick is the retry.
func (DeleteOldReplaysArgs) InsertOpts() river.InsertOpts { return singlePeriodic }

type replayCleanupWorker struct {
	river.WorkerDefaults[DeleteOldReplaysArgs]
	svc *service.Service
}

func (w *replayCleanupWorker) Work(ctx context.Context, _ *river.Job[DeleteOldReplaysArgs]) error {
	if _, err := w.svc.DeleteOldReplays(ctx); err != nil {
		return err
	}
	if _, err := w.svc.DeleteOldLoginThrottle(ctx); err != nil {
		return err
	}
	if _, err := w.svc.DeleteOldRateLimits(ctx); err != nil {
		return err
	}
	_, err := w.svc.DeleteOldMessages(ctx)
	return err
}
