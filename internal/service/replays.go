package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Idempotent writes (the API's Idempotency-Key, the back-office's one-time form tokens):
// the first request with a key runs and its answer is stored; a retry with the same key
// and the same content gets that answer again, whatever happened in between. While the
// first still runs, its process says so every ReplayStale/4 (ReplayClaim): a retry waits
// for it for a while, then is told it is still running (idempotency_key_in_use); it is
// never run twice. Only a key whose process stopped saying so (it died) is taken over,
// and only if its change did not commit: the claim marks the key in the transaction that
// makes the change (inTx), so a retry after a death between the change and its stored
// answer is told that (idempotency_key_answer_lost) instead of making the change again.

// ReplayKeep is how long an answer is kept for retries (as long as Stripe keeps its keys).
const ReplayKeep = 24 * time.Hour

// Defaults of Config.ReplayStale and Config.ReplayWait.
const (
	defaultReplayStale = 2 * time.Minute
	defaultReplayWait  = 10 * time.Second
)

// Replay is the stored answer to an idempotent request.
type Replay struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// ReplayClaim is a key claimed by the request that runs now. Until Finish or Forget, it
// keeps telling the database that the request still runs.
type ReplayClaim struct {
	q          *queries.Queries
	scope, key string
	owner      uuid.UUID
	stop       context.CancelFunc
	stopped    sync.WaitGroup
	committed  atomic.Bool
}

type replayClaimKey struct{}

// WithClaim returns a context whose transactions (inTx) mark the claim's key as done in
// the same commit as their change.
func (c *ReplayClaim) WithClaim(ctx context.Context) context.Context {
	return context.WithValue(ctx, replayClaimKey{}, c)
}

// Committed reports whether a transaction of the claimed request committed a change: its
// answer is then kept whatever it is, never forgotten.
func (c *ReplayClaim) Committed() bool { return c.committed.Load() }

// markCommitted marks the context's claim, if any, in tx: called just before the commit.
func markCommitted(ctx context.Context, q *queries.Queries) (*ReplayClaim, error) {
	c, ok := ctx.Value(replayClaimKey{}).(*ReplayClaim)
	if !ok {
		return nil, nil
	}
	err := q.MarkReplayCommitted(ctx, queries.MarkReplayCommittedParams{Scope: c.scope, Key: c.key, Owner: c.owner})
	if err != nil {
		return nil, fmt.Errorf("mark idempotency key: %w", err)
	}
	return c, nil
}

// BeginReplay claims key (in scope: one client's keys) for a request whose content
// hashes to hash. A claim: the caller runs the request, then Finish or Forget. Otherwise
// it returns the first request's answer, waiting up to Config.ReplayWait for it while it
// still runs; the same key with other content is idempotency_key_reused, one still
// running after the wait idempotency_key_in_use.
func (s *Service) BeginReplay(ctx context.Context, scope, key string, hash []byte) (*ReplayClaim, Replay, error) {
	if key == "" || len(key) > 255 {
		return nil, Replay{}, domain.FieldErrors{"Idempotency-Key": "must be 1 to 255 characters"}.Err()
	}
	q := queries.New(s.pool)
	owner := uuid.New()
	deadline := time.Now().Add(s.cfg.ReplayWait)
	for {
		_, err := q.ClaimReplay(ctx, queries.ClaimReplayParams{Scope: scope, Key: key, RequestHash: hash, Owner: owner,
			StaleMs: s.cfg.ReplayStale.Milliseconds()})
		if err == nil {
			return s.keepAlive(q, scope, key, owner), Replay{}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, Replay{}, fmt.Errorf("claim idempotency key: %w", err)
		}
		got, err := q.GetReplay(ctx, queries.GetReplayParams{Scope: scope, Key: key, StaleMs: s.cfg.ReplayStale.Milliseconds()})
		if errors.Is(err, pgx.ErrNoRows) {
			continue // forgotten meanwhile: claim it
		}
		if err != nil {
			return nil, Replay{}, fmt.Errorf("read idempotency key: %w", err)
		}
		if !bytes.Equal(got.RequestHash, hash) {
			return nil, Replay{}, domain.Errorf(domain.CodeIdempotencyKeyReused, "this Idempotency-Key was used for another request")
		}
		if got.State == "done" {
			r := Replay{Status: int(got.Status), Body: got.Body}
			if err := json.Unmarshal(got.Headers, &r.Headers); err != nil {
				return nil, Replay{}, fmt.Errorf("stored headers: %w", err)
			}
			return nil, r, nil
		}
		if got.AnswerLost {
			return nil, Replay{}, domain.Errorf(domain.CodeIdempotencyKeyAnswerLost,
				"the request with this Idempotency-Key was done, but the server stopped before it could keep the answer; read what it changed to see the outcome")
		}
		if time.Now().After(deadline) {
			return nil, Replay{}, domain.Errorf(domain.CodeIdempotencyKeyInUse,
				"a request with this Idempotency-Key is still running; retry it after that one is done to get its answer")
		}
		select {
		case <-ctx.Done():
			return nil, Replay{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// keepAlive starts telling the database, four times per ReplayStale, that the claim's
// request still runs, until Finish or Forget (or the claim is no longer its own). A
// database it cannot reach for a moment costs a beat, not the claim.
func (s *Service) keepAlive(q *queries.Queries, scope, key string, owner uuid.UUID) *ReplayClaim {
	ctx, stop := context.WithCancel(context.Background())
	c := &ReplayClaim{q: q, scope: scope, key: key, owner: owner, stop: stop}
	c.stopped.Go(func() {
		tick := time.NewTicker(s.cfg.ReplayStale / 4)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n, err := q.KeepReplayAlive(ctx, queries.KeepReplayAliveParams{Scope: scope, Key: key, Owner: owner})
			if err == nil && n == 0 {
				return
			}
		}
	})
	return c
}

// Stop ends the claim's heartbeat without a word about its request: what a process that
// dies does. Finish and Forget stop it too; calling it again does nothing.
func (c *ReplayClaim) Stop() {
	c.stop()
	c.stopped.Wait()
}

// Finish stores the answer to the claimed key.
func (c *ReplayClaim) Finish(ctx context.Context, r Replay) error {
	c.Stop()
	headers, err := json.Marshal(r.Headers)
	if err != nil {
		return err
	}
	return c.q.FinishReplay(ctx, queries.FinishReplayParams{Scope: c.scope, Key: c.key, Owner: c.owner,
		Status: int32(r.Status), Headers: headers, Body: r.Body})
}

// Forget releases the claimed key of a request that failed or was refused, so that a
// retry runs again.
func (c *ReplayClaim) Forget(ctx context.Context) error {
	c.Stop()
	return c.q.ForgetReplay(ctx, queries.ForgetReplayParams{Scope: c.scope, Key: c.key, Owner: c.owner})
}

// DeleteOldReplays forgets answers kept longer than ReplayKeep.
func (s *Service) DeleteOldReplays(ctx context.Context) (int64, error) {
	return queries.New(s.pool).DeleteOldReplays(ctx, time.Now().Add(-ReplayKeep))
}
