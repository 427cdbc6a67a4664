package service

import (
	"context"
	"fmt"
	"time"

	"github.com/oms/oms/queries"
)

// RateLimit is a budget of requests per key: Rate a second on average, and Burst at once
// above it (a token bucket).
type RateLimit struct {
	Rate  float64
	Burst int
}

// TakeRequest takes one request of key from its budget under l. The budget is kept in
// PostgreSQL (one UPSERT into an unlogged table), so every process on the database
// shares it: more processes behind a load balancer give a client no more requests. When
// the request is over the budget, wait is how long until the next one would be allowed.
func (s *Service) TakeRequest(ctx context.Context, key string, l RateLimit) (allowed bool, wait time.Duration, err error) {
	interval := 1 / l.Rate
	row, err := queries.New(s.pool).TakeRateLimit(ctx, queries.TakeRateLimitParams{Key: key,
		IntervalSeconds: interval, SpanSeconds: float64(l.Burst) * interval})
	if err != nil {
		return false, 0, fmt.Errorf("rate limit of %s: %w", key, err)
	}
	if row.Allowed {
		return true, 0, nil
	}
	return false, time.Duration(row.WaitSeconds * float64(time.Second)), nil
}

// DeleteOldRateLimits forgets the keys whose budget is whole again (as good as none).
func (s *Service) DeleteOldRateLimits(ctx context.Context) (int64, error) {
	return queries.New(s.pool).DeleteOldRateLimits(ctx)
}
