package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/queries"
)

// Listen backoff: a lost connection is retried at once, then after longer pauses.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 10 * time.Second
)

// ListenOrderChanges follows the changes of every order committed by any process on the
// database (announced by addHistory with pg_notify), on a dedicated connection of its own,
// until ctx ends. changed gets each changed order's id. connected is called each time the
// LISTEN is in place, the first time and after every reconnection; announcements sent
// while the connection was down are lost, so the caller should treat a reconnection as
// "anything may have changed".
func (s *Service) ListenOrderChanges(ctx context.Context, log *slog.Logger, connected func(), changed func(orderID string)) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, func() { backoff = 0; connected() }, changed)
		if ctx.Err() != nil {
			return
		}
		backoff = min(max(backoff*2, listenMinBackoff), listenMaxBackoff)
		log.Warn("order change listener lost its connection; reconnecting", slog.Any("err", err), slog.Duration("in", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Service) listenOnce(ctx context.Context, connected func(), changed func(orderID string)) error {
	pool := s.pool
	if s.cfg.Direct != nil {
		pool = s.cfg.Direct // not through a transaction pooler, which would lose the LISTEN
	}
	cfg := pool.Config().ConnConfig.Copy()
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(connectCtx, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+queries.OrderChangedChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait: %w", err)
		}
		changed(n.Payload)
	}
}
