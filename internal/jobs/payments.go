package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/service"
)

// refundWorker sends pending refunds to their gateway (service.SendRefund). An error is
// a gateway that could not be reached or a commit that failed: river tries again with
// backoff, and the idempotency key makes the retry the same refund.
type refundWorker struct {
	river.WorkerDefaults[service.SendRefundArgs]
	svc *service.Service
	log *slog.Logger
}

func (w *refundWorker) Work(ctx context.Context, job *river.Job[service.SendRefundArgs]) error {
	err := w.svc.SendRefund(ctx, job.Args.RefundID)
	if err != nil {
		w.log.Warn("refund not sent yet; it will be retried", slog.String("refund", job.Args.RefundID.String()),
			slog.Int("attempt", job.Attempt), slog.Any("err", err))
	}
	return err
}

// cancelIntentWorker cancels expired orders' PaymentIntents at Stripe (service.CancelIntent).
type cancelIntentWorker struct {
	river.WorkerDefaults[service.CancelIntentArgs]
	svc *service.Service
}

func (w *cancelIntentWorker) Work(ctx context.Context, job *river.Job[service.CancelIntentArgs]) error {
	return w.svc.CancelIntent(ctx, job.Args.PaymentID, job.Args.IntentID)
}

// ReconcileRefundsArgs is the periodic job that asks the gateway about refunds pending
// too long (an answer lost, a webhook never sent).
type ReconcileRefundsArgs struct{}

// Kind names the job in the queue.
func (ReconcileRefundsArgs) Kind() string { return "reconcile_refunds" }

// InsertOpts: one run waiting or running at a time; the next tick is the retry.
func (ReconcileRefundsArgs) InsertOpts() river.InsertOpts { return singlePeriodic }

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileRefundsArgs]
	svc *service.Service
	log *slog.Logger
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileRefundsArgs]) error {
	n, err := w.svc.ReconcileRefunds(ctx, time.Now().Add(-service.RefundStaleAfter), 100)
	if n > 0 {
		w.log.Info("pending refunds asked about again", slog.Int("refunds", n))
	}
	return err
}

// bulkCancelWorker works through bulk cancellations (service.RunBulkCancel).
type bulkCancelWorker struct {
	river.WorkerDefaults[service.BulkCancelArgs]
	svc *service.Service
}

func (w *bulkCancelWorker) Work(ctx context.Context, job *river.Job[service.BulkCancelArgs]) error {
	return w.svc.RunBulkCancel(ctx, job.Args.BulkID)
}
