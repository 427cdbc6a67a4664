package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Idempotent writes (the API's Idempotency-Key, the back-office's one-time form tokens):
// the first request with a key runs and its answer is stored; a retry with the same key
// and the same content gets that answer again, whatever happened in between.

// ReplayKeep is how long an answer is kept for retries (as long as Stripe keeps its keys).
const ReplayKeep = 24 * time.Hour

// replayStale is how long a request may run before its key is taken over: it died.
const replayStale = 2 * time.Minute

// Replay is the stored answer to an idempotent request.
type Replay struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// BeginReplay claims key (in scope: one client's keys) for a request whose content
// hashes to hash. claimed: the caller runs the request, then FinishReplay or
// ForgetReplay. Otherwise it returns the first request's answer, waiting up to wait for
// it while it still runs; the same key with other content is idempotency_key_reused.
func (s *Service) BeginReplay(ctx context.Context, scope, key string, hash []byte, wait time.Duration) (claimed bool, r Replay, err error) {
	if key == "" || len(key) > 255 {
		return false, Replay{}, domain.FieldErrors{"Idempotency-Key": "must be 1 to 255 characters"}.Err()
	}
	q := queries.New(s.pool)
	deadline := time.Now().Add(wait)
	for {
		row, err := q.ClaimReplay(ctx, queries.ClaimReplayParams{Scope: scope, Key: key, RequestHash: hash,
			StaleBefore: time.Now().Add(-replayStale)})
		if err == nil {
			return row.Claimed, Replay{}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return false, Replay{}, fmt.Errorf("claim idempotency key: %w", err)
		}
		got, err := q.GetReplay(ctx, queries.GetReplayParams{Scope: scope, Key: key})
		if errors.Is(err, pgx.ErrNoRows) {
			continue // forgotten meanwhile: claim it
		}
		if err != nil {
			return false, Replay{}, fmt.Errorf("read idempotency key: %w", err)
		}
		if !bytes.Equal(got.RequestHash, hash) {
			return false, Replay{}, domain.Errorf(domain.CodeIdempotencyKeyReused, "this Idempotency-Key was used for another request")
		}
		if got.State == "done" {
			r := Replay{Status: int(got.Status), Body: got.Body}
			if err := json.Unmarshal(got.Headers, &r.Headers); err != nil {
				return false, Replay{}, fmt.Errorf("stored headers: %w", err)
			}
			return false, r, nil
		}
		if time.Now().After(deadline) {
			return false, Replay{}, domain.Errorf(domain.CodeConflict, "a request with this Idempotency-Key is still running; try again")
		}
		select {
		case <-ctx.Done():
			return false, Replay{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// FinishReplay stores the answer to a claimed key.
func (s *Service) FinishReplay(ctx context.Context, scope, key string, r Replay) error {
	headers, err := json.Marshal(r.Headers)
	if err != nil {
		return err
	}
	return queries.New(s.pool).FinishReplay(ctx, queries.FinishReplayParams{Scope: scope, Key: key,
		Status: int32(r.Status), Headers: headers, Body: r.Body})
}

// ForgetReplay releases a claimed key whose request failed on the server's side, so that
// a retry runs again.
func (s *Service) ForgetReplay(ctx context.Context, scope, key string) error {
	return queries.New(s.pool).ForgetReplay(ctx, queries.ForgetReplayParams{Scope: scope, Key: key})
}

// DeleteOldReplays forgets answers kept longer than ReplayKeep.
func (s *Service) DeleteOldReplays(ctx context.Context) (int64, error) {
	return queries.New(s.pool).DeleteOldReplays(ctx, time.Now().Add(-ReplayKeep))
}
