package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// Two processes on one database: a key whose request still runs in one (however long)
// is never taken over by the other; once that process is gone (it no longer says it
// runs), the other takes the key over after the stale time and runs the request.
func TestReplayKeyIsTakenOverOnlyFromADeadProcess(t *testing.T) {
	const stale = 200 * time.Millisecond
	ctx := context.Background()
	pool, url := testdb.NewWithURL(t)
	cfg := service.Config{ReplayStale: stale, ReplayWait: 50 * time.Millisecond}
	poolA, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer poolA.Close()
	a, b := service.New(poolA, cfg), service.New(pool, cfg)
	hash := []byte("the request")

	running, _, err := a.BeginReplay(ctx, "token:1", "k", hash)
	if err != nil || running == nil {
		t.Fatalf("first claim: %v, %v", running, err)
	}
	defer running.Stop()
	time.Sleep(4 * stale)
	if c, _, err := b.BeginReplay(ctx, "token:1", "k", hash); c != nil || domain.ErrorCode(err) != domain.CodeIdempotencyKeyInUse {
		t.Fatalf("retry while the request runs: claim %v, %v; want idempotency_key_in_use", c != nil, err)
	}

	running.Stop() // process A dies: nobody says the request runs any more
	time.Sleep(2 * stale)
	taken, _, err := b.BeginReplay(ctx, "token:1", "k", hash)
	if err != nil || taken == nil {
		t.Fatalf("retry after the process died: claim %v, %v; want the key taken over", taken != nil, err)
	}
	if err := taken.Finish(ctx, service.Replay{Status: 201, Body: []byte("second")}); err != nil {
		t.Fatal(err)
	}
	// The dead request's own words come too late: they change nothing.
	if err := running.Finish(ctx, service.Replay{Status: 201, Body: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	if c, r, err := b.BeginReplay(ctx, "token:1", "k", hash); c != nil || err != nil || string(r.Body) != "second" {
		t.Fatalf("replay: claim %v, %q, %v; want the answer of the request that ran", c != nil, r.Body, err)
	}
}
