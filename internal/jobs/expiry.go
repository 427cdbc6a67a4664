package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/service"
)

// ExpireReservationsArgs is the periodic job that cancels orders not paid within the
// reservation TTL, giving their stock back.
type ExpireReservationsArgs struct{}

// Kind names the job in the queue.
func (ExpireReservationsArgs) Kind() string { return "expire_reservations" }

// InsertOpts keeps at most one expiry job waiting or running at a time, however many
// processes schedule it. A failed run is not retried: the next tick is the retry.
func (ExpireReservationsArgs) InsertOpts() river.InsertOpts {
	return singlePeriodic
}

type expiryWorker struct {
	river.WorkerDefaults[ExpireReservationsArgs]
	svc   *service.Service
	batch int
	log   *slog.Logger
}

// Work cancels expired orders batch by batch until none is left (or the job is stopped).
func (w *expiryWorker) Work(ctx context.Context, _ *river.Job[ExpireReservationsArgs]) error {
	cutoff := time.Now().Add(-w.svc.ReservationTTL())
	// Open card payments are cancelled at Stripe first; their orders expire on a later run.
	if _, err := w.svc.CancelExpiredIntents(ctx, cutoff, w.batch); err != nil {
		return err
	}
	total := 0
	for ctx.Err() == nil {
		n, err := w.svc.ExpireReservations(ctx, cutoff, w.batch)
		total += n
		if err != nil {
			return err
		}
		if n < w.batch {
			break
		}
	}
	if total > 0 {
		w.log.Info("reservations expired", slog.Int("orders", total))
	}
	return nil
}
