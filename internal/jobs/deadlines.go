package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/service"
)

// Shipping deadlines (service/deadlines.go): the recomputation after a change of the
// rules, the periodic publication of orders that became late, and the daily digest.

// recomputeWorker recomputes the open orders' deadlines for one version of the rules.
type recomputeWorker struct {
	river.WorkerDefaults[service.RecomputeDeadlinesArgs]
	svc *service.Service
}

// Timeout: a million open orders take a few minutes; a run cut short goes on from where
// it stopped.
func (w *recomputeWorker) Timeout(*river.Job[service.RecomputeDeadlinesArgs]) time.Duration {
	return 30 * time.Minute
}

func (w *recomputeWorker) Work(ctx context.Context, job *river.Job[service.RecomputeDeadlinesArgs]) error {
	busy, err := w.svc.RunDeadlineRecompute(ctx, job.Args.Version)
	if err == nil && busy {
		// A request (or another process) is running it; look again once its lease would
		// have run out, in case it died.
		return river.JobSnooze(service.RecomputeLease)
	}
	return err
}

// MarkLateOrdersArgs is the periodic job that publishes order.late for orders whose
// shipping deadline has passed.
type MarkLateOrdersArgs struct{}

// Kind names the job in the queue.
func (MarkLateOrdersArgs) Kind() string { return "mark_late_orders" }

// InsertOpts: one waiting or running at a time; the next tick is the retry.
func (MarkLateOrdersArgs) InsertOpts() river.InsertOpts { return singlePeriodic }

type lateWorker struct {
	river.WorkerDefaults[MarkLateOrdersArgs]
	svc   *service.Service
	batch int
	log   *slog.Logger
}

func (w *lateWorker) Work(ctx context.Context, _ *river.Job[MarkLateOrdersArgs]) error {
	n, err := w.svc.MarkLateOrders(ctx, w.batch)
	if n > 0 {
		w.log.Info("orders became late", "orders", n)
	}
	return err
}

// LateDigestArgs is the periodic job that queues the daily email of late orders (once a
// day per recipient, from the shop's opening).
type LateDigestArgs struct{}

// Kind names the job in the queue.
func (LateDigestArgs) Kind() string { return "late_digest" }

// InsertOpts: one waiting or running at a time; the next tick is the retry.
func (LateDigestArgs) InsertOpts() river.InsertOpts { return singlePeriodic }

type digestWorker struct {
	river.WorkerDefaults[LateDigestArgs]
	svc *service.Service
}

func (w *digestWorker) Work(ctx context.Context, _ *river.Job[LateDigestArgs]) error {
	_, err := w.svc.QueueLateDigests(ctx)
	return err
}
