package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/service"
)

// messageWorker sends outbox messages (service.DeliverMessage): an attempt that fails is
// retried with exponential backoff (NextRetry) until the service gives up on it.
type messageWorker struct {
	river.WorkerDefaults[service.DeliverMessageArgs]
	svc        *service.Service
	log        *slog.Logger
	firstRetry time.Duration
	noMailer   sync.Once
}

func (w *messageWorker) Work(ctx context.Context, job *river.Job[service.DeliverMessageArgs]) error {
	wait, err := w.svc.DeliverMessage(ctx, job.Args.MessageID)
	if wait > 0 {
		if errors.Is(err, service.ErrNoMailer) {
			w.noMailer.Do(func() { w.log.Warn("customer emails are queued but not sent", slog.Any("err", err)) })
		}
		return river.JobSnooze(backOff(wait, job.Metadata))
	}
	if err != nil {
		w.log.Warn("message not sent yet; it will be retried", slog.Int64("message", job.Args.MessageID),
			slog.Int("attempt", job.Attempt), slog.Any("err", err))
	}
	return err
}

// NextRetry doubles the wait from firstRetry (30 s) up to 6 hours: about fifteen
// attempts in the three days a message is tried for.
func (w *messageWorker) NextRetry(job *river.Job[service.DeliverMessageArgs]) time.Time {
	wait := w.firstRetry
	for i := 1; i < job.Attempt && wait < 6*time.Hour; i++ {
		wait *= 2
	}
	return time.Now().Add(min(wait, 6*time.Hour))
}

// backOff doubles a snooze at each one the job has had (River counts them in its
// metadata), up to a minute: a message waiting behind one that is being retried for
// hours asks again less and less often.
func backOff(wait time.Duration, metadata []byte) time.Duration {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(metadata, &m)
	return min(wait<<min(max(m.Snoozes, 0), 6), max(wait, time.Minute))
}
