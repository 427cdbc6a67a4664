package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Reads from a replica (OMS_READ_DATABASE_URL). The lists, search, dashboard, exports
// and queues may be a little behind, so they read from a streaming replica while it
// keeps up; every write, and every read that must see a write just made (Primary), uses
// the primary.

var (
	replicaLag = promauto.NewGauge(prometheus.GaugeOpts{Name: "oms_replica_lag_seconds",
		Help: "How far the read replica is behind the primary (0 when it has replayed all; -1 when it cannot be reached)."})
	replicaInUse = promauto.NewGauge(prometheus.GaugeOpts{Name: "oms_replica_in_use",
		Help: "1 while reads go to the replica, 0 while they fall back to the primary (lag past the bound, or unreachable)."})
)

// replica is the read replica and whether it keeps up.
type replica struct {
	pool   *pgxpool.Pool
	maxLag time.Duration
	ok     atomic.Bool // measured within maxLag at the last look

	mu      sync.Mutex
	samples []walSample // the primary's WAL position at each look, oldest first
}

// walSample is where the primary's WAL was at a moment.
type walSample struct {
	at  time.Time
	lsn uint64
}

// primaryKey marks a context whose reads must see the primary.
type primaryKey struct{}

// Primary returns ctx with its reads on the primary: the page right after a staff
// user's change, which must show it.
func Primary(ctx context.Context) context.Context { return context.WithValue(ctx, primaryKey{}, true) }

// reader is the pool a read that may be a little behind uses: the replica when there is
// one, it keeps up, and ctx does not ask for the primary.
func (s *Service) reader(ctx context.Context) *pgxpool.Pool {
	if r := s.replica; r != nil && r.ok.Load() {
		if p, _ := ctx.Value(primaryKey{}).(bool); !p {
			return r.pool
		}
	}
	return s.pool
}

// ReplicaMaxLag is how far behind the replica may be and still be read from.
func (s *Service) ReplicaMaxLag() time.Duration {
	if s.replica == nil {
		return 0
	}
	return s.replica.maxLag
}

// WatchReplica measures the replica's lag every interval until ctx ends: reads use it
// only while the lag is within the bound (and not before the first measure).
func (s *Service) WatchReplica(ctx context.Context, interval time.Duration, log *slog.Logger) {
	r := s.replica
	if r == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		lag, err := s.ReplicaLag(ctx)
		ok := err == nil && lag <= r.maxLag
		if was := r.ok.Swap(ok); was != ok && ctx.Err() == nil {
			log.Warn("read replica", slog.Bool("in_use", ok), slog.Duration("lag", lag), slog.Any("err", err))
		}
		if err != nil {
			replicaLag.Set(-1)
		} else {
			replicaLag.Set(lag.Seconds())
		}
		replicaInUse.Set(map[bool]float64{true: 1}[ok])
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReplicaInUse reports whether reads go to the replica now.
func (s *Service) ReplicaInUse() bool { return s.replica != nil && s.replica.ok.Load() }

// ReplicaLag is how far the replica is behind: how long ago the primary had written
// what the replica has not replayed yet (to the precision of the looks), 0 when it has
// replayed everything the primary had at the last look.
func (s *Service) ReplicaLag(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var primary, replayed string
	if err := s.pool.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&primary); err != nil {
		return 0, fmt.Errorf("primary's position: %w", err)
	}
	now := s.now()
	if err := s.replica.pool.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn(), '0/0')::text").Scan(&replayed); err != nil {
		return 0, fmt.Errorf("replica's position: %w", err)
	}
	p, err1 := parseLSN(primary)
	r, err2 := parseLSN(replayed)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("WAL positions %q, %q: %w", primary, replayed, errors.Join(err1, err2))
	}
	return s.replica.lag(now, p, r), nil
}

// lag records the primary at p and tells how long ago it first had more than r.
func (rep *replica) lag(now time.Time, p, r uint64) time.Duration {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.samples = append(rep.samples, walSample{at: now, lsn: p})
	if len(rep.samples) > 4096 { // a replica stopped for hours: the oldest is what counts
		rep.samples = append(rep.samples[:1], rep.samples[2:]...)
	}
	// Keep what can still matter: samples the replica has not passed, or the newest.
	keep := 0
	for keep < len(rep.samples)-1 && rep.samples[keep].lsn <= r {
		keep++
	}
	rep.samples = rep.samples[keep:]
	if oldest := rep.samples[0]; oldest.lsn > r {
		return now.Sub(oldest.at)
	}
	return 0
}

// parseLSN reads a WAL position as PostgreSQL writes it: "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("not a WAL position: %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, err
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, err
	}
	return h<<32 | l, nil
}
