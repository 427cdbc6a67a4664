package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/service"
)

// CompactOrderStatsArgs is the periodic job that folds the order counters' deltas into
// the counters (service.CompactOrderStats), so that the dashboard and the list totals add
// up a few rows, not one per change since the last run.
type CompactOrderStatsArgs struct{}

// Kind names the job in the queue.
func (CompactOrderStatsArgs) Kind() string { return "compact_order_stats" }

// InsertOpts: one waiting or running at a time; the next tick is the retry.
func (CompactOrderStatsArgs) InsertOpts() river.InsertOpts {
	return singlePeriodic
}

type orderStatsWorker struct {
	river.WorkerDefaults[CompactOrderStatsArgs]
	svc *service.Service
}

func (w *orderStatsWorker) Timeout(*river.Job[CompactOrderStatsArgs]) time.Duration {
	return time.Minute
}

func (w *orderStatsWorker) Work(ctx context.Context, _ *river.Job[CompactOrderStatsArgs]) error {
	_, err := w.svc.CompactOrderStats(ctx)
	return err
}
