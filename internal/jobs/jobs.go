// Package jobs runs the OMS's background work on river, a job queue kept in the same
// PostgreSQL database: any number of `oms serve` processes can run it, and river's
// leader election makes only one of them schedule the periodic jobs.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/oms/oms/internal/service"
)

// Config tunes the jobs; zero values take the defaults.
type Config struct {
	// ExpiryInterval is how often unpaid orders are looked for (default 30s, and never
	// less often than a third of the reservation TTL).
	ExpiryInterval time.Duration
	// ExpiryBatch is how many orders one run cancels at most (default 500); a run that
	// fills its batch schedules another at once.
	ExpiryBatch int
	// ExportCleanupInterval is how often expired exports are deleted (default 5m).
	ExportCleanupInterval time.Duration
	// ExportWorkers is how many exports one process writes at once (default 2): each
	// holds one chunk of its file in memory, and a database connection.
	ExportWorkers int
	// OrderStatsInterval is how often the order counters' deltas are folded into the
	// counters (default 10s): readers add up the deltas of that long.
	OrderStatsInterval time.Duration
	// RefundReconcileInterval is how often refunds pending too long are asked about
	// again (default 5m).
	RefundReconcileInterval time.Duration
	// MessageFirstRetry is the wait before an email or webhook that failed is tried
	// again (default 30s); it doubles at each attempt.
	MessageFirstRetry time.Duration
	// LateInterval is how often orders whose shipping deadline passed are looked for
	// (default 30s): order.late goes out within about that long.
	LateInterval time.Duration
	// DigestInterval is how often the daily digest of late orders is looked at (default
	// 10m): it goes out within about that long after the shop opens.
	DigestInterval time.Duration
	Logger         *slog.Logger
}

// singlePeriodic are the insert options of a periodic job: at most one waiting or running
// at a time, however many processes schedule it, and a failed run is not retried (the
// next tick is the retry).
var singlePeriodic = river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled}}}

// periodicOpts are the insert options of a periodic job: one job per interval
// (ByPeriod), not one at a time. A process killed while it runs one leaves that job
// "running" until River rescues it (RescueStuckJobsAfter, 20 minutes): unique by state
// alone, no later run could be scheduled until then (the reservation expiry stalled so,
// and unpaid orders kept their stock). Runs may overlap when one outlasts the interval;
// each periodic job allows that (expiry and refund settling claim rows under locks, the
// counters fold under an advisory lock, clean-ups delete). River's periods are whole
// seconds at least.
func periodicOpts(interval time.Duration) *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: max(interval, time.Second),
		ByState: singlePeriodic.UniqueOpts.ByState}}
}

// Runner is the job queue client with the OMS's workers and schedules.
type Runner struct {
	client *river.Client[pgx.Tx]
}

// New builds the queue client on pool. Start it to run jobs.
func New(pool *pgxpool.Pool, svc *service.Service, cfg Config) (*Runner, error) {
	if cfg.ExpiryInterval <= 0 {
		cfg.ExpiryInterval = 30 * time.Second
		if third := svc.ReservationTTL() / 3; third > 0 && third < cfg.ExpiryInterval {
			cfg.ExpiryInterval = max(third, time.Second)
		}
	}
	if cfg.ExpiryBatch <= 0 {
		cfg.ExpiryBatch = 500
	}
	if cfg.ExportCleanupInterval <= 0 {
		cfg.ExportCleanupInterval = 5 * time.Minute
	}
	if cfg.ExportWorkers <= 0 {
		cfg.ExportWorkers = 2
	}
	if cfg.OrderStatsInterval <= 0 {
		cfg.OrderStatsInterval = 10 * time.Second
	}
	if cfg.RefundReconcileInterval <= 0 {
		cfg.RefundReconcileInterval = 5 * time.Minute
	}
	if cfg.MessageFirstRetry <= 0 {
		cfg.MessageFirstRetry = 30 * time.Second
	}
	if cfg.LateInterval <= 0 {
		cfg.LateInterval = 30 * time.Second
	}
	if cfg.DigestInterval <= 0 {
		cfg.DigestInterval = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &expiryWorker{svc: svc, batch: cfg.ExpiryBatch, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register expiry worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &exportWorker{svc: svc, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register export worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &exportCleanupWorker{svc: svc, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register export cleanup worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &orderStatsWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("register order stats worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &refundWorker{svc: svc, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register refund worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &cancelIntentWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("register cancel intent worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &reconcileWorker{svc: svc, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register reconcile worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &bulkCancelWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("register bulk cancel worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &replayCleanupWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("register replay cleanup worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &messageWorker{svc: svc, log: cfg.Logger, firstRetry: cfg.MessageFirstRetry}); err != nil {
		return nil, fmt.Errorf("register message worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &recomputeWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("register deadline recompute worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &lateWorker{svc: svc, batch: 200, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("register late orders worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &digestWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("register late digest worker: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		// The queue's own chatter (job counts every few seconds) stays out of the log.
		Logger: slog.New(minLevel{Handler: cfg.Logger.Handler(), min: slog.LevelWarn}),
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4},
			service.ExportQueue: {MaxWorkers: cfg.ExportWorkers}},
		Workers: workers,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.ExpiryInterval),
				func() (river.JobArgs, *river.InsertOpts) {
					return ExpireReservationsArgs{}, periodicOpts(cfg.ExpiryInterval)
				},
				&river.PeriodicJobOpts{ID: "expire_reservations", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.ExportCleanupInterval),
				func() (river.JobArgs, *river.InsertOpts) {
					return DeleteExpiredExportsArgs{}, periodicOpts(cfg.ExportCleanupInterval)
				},
				&river.PeriodicJobOpts{ID: "delete_expired_exports", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.OrderStatsInterval),
				func() (river.JobArgs, *river.InsertOpts) {
					return CompactOrderStatsArgs{}, periodicOpts(cfg.OrderStatsInterval)
				},
				&river.PeriodicJobOpts{ID: "compact_order_stats", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.RefundReconcileInterval),
				func() (river.JobArgs, *river.InsertOpts) {
					return ReconcileRefundsArgs{}, periodicOpts(cfg.RefundReconcileInterval)
				},
				&river.PeriodicJobOpts{ID: "reconcile_refunds", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return DeleteOldReplaysArgs{}, periodicOpts(time.Hour) },
				&river.PeriodicJobOpts{ID: "delete_old_replays", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.LateInterval),
				func() (river.JobArgs, *river.InsertOpts) { return MarkLateOrdersArgs{}, periodicOpts(cfg.LateInterval) },
				&river.PeriodicJobOpts{ID: "mark_late_orders", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.DigestInterval),
				func() (river.JobArgs, *river.InsertOpts) { return LateDigestArgs{}, periodicOpts(cfg.DigestInterval) },
				&river.PeriodicJobOpts{ID: "late_digest", RunOnStart: true}),
		},
		// A job still running at shutdown gets this long before its context is cancelled;
		// expiry commits order by order, so a cancelled run loses nothing, and a cancelled
		// export is tried again.
		SoftStopTimeout: 10 * time.Second,
		JobTimeout:      5 * time.Minute,
		// A job still running this long after it started is one of a process that died
		// (exports, the longest, time out sooner): it is run again.
		RescueStuckJobsAfter: exportTimeout + 5*time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue client: %w", err)
	}
	return &Runner{client: client}, nil
}

// Start begins working jobs; it returns at once.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// Stop lets running jobs finish (within the soft-stop timeout) and stops the queue.
func (r *Runner) Stop(ctx context.Context) error {
	if err := r.client.Stop(ctx); err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return nil
}

// Client is the river client, for enqueueing jobs in a transaction.
func (r *Runner) Client() *river.Client[pgx.Tx] { return r.client }

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
