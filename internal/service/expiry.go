package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// ExpireReservations cancels up to limit orders still created or pending that were
// placed before olderThan, releasing their stock, each in its own transaction with a
// system history entry saying why. It returns how many it cancelled. Concurrent calls
// (several processes) never take the same order: each claims the next one with
// SKIP LOCKED and re-checks it under the lock, and an order being paid at that moment
// is left alone.
func (s *Service) ExpireReservations(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	note := domain.ExpiredNote(s.cfg.ReservationTTL)
	n := 0
	for n < limit {
		found, cancelled := false, false
		err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
			row, err := q.ClaimExpiredOrder(ctx, olderThan)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("claim expired order: %w", err)
			}
			found = true
			// The claim's WHERE already says so; the lock makes it still true now.
			st := domain.Status(row.Status)
			if (st != domain.StatusCreated && st != domain.StatusPending) || !row.CreatedAt.Before(olderThan) {
				return nil
			}
			// Quietly: an abandoned checkout is not an order the customer is told was cancelled.
			if _, err := s.changeStatus(Quietly(ctx), q, row, domain.StatusCancelled, domain.System, note); err != nil {
				return fmt.Errorf("expire %s: %w", row.OrderNumber, err)
			}
			cancelled = true
			return nil
		})
		if err != nil {
			return n, err
		}
		if cancelled {
			n++
		}
		if !found {
			break
		}
	}
	if n > 0 {
		reservationsExpired.Add(float64(n))
	}
	return n, nil
}

var reservationsExpired = promauto.NewCounter(prometheus.CounterOpts{
	Name: "oms_reservations_expired_total", Help: "Unpaid orders cancelled by the reservation expiry job."})

// ReservationTTL is how long an unpaid order keeps its stock.
func (s *Service) ReservationTTL() time.Duration { return s.cfg.ReservationTTL }
