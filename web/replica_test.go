package web

import (
	"github.com/oms/oms/internal/testenv"

	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/migrations"
	"github.com/oms/oms/queries"
)

// primaryWithReplica starts a private cluster of the test's own and a streaming replica
// of it (scripts/db.sh replica: pg_basebackup -R), and returns pools on both, migrated.
func primaryWithReplica(t *testing.T, db string) (primary, replica *pgxpool.Pool) {
	t.Helper()
	cluster := testenv.NewCluster(t)
	primaryURL := cluster.URL(db)
	open := func(u string) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		cfg.AfterConnect = queries.RegisterTypes
		p, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	primary = open(primaryURL)
	if err := migrations.Up(context.Background(), primary); err != nil {
		t.Fatal(err)
	}
	return primary, open(cluster.Replica(db))
}

// Lists are read from the replica while it keeps up, a staff user who just changed
// something sees it at once (their reads go to the primary for a while), and a replica
// that falls behind its bound is left for the primary until it catches up.
func TestListsReadFromAReplicaYetStaffSeeTheirOwnChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster and a streaming replica")
	}
	ctx := context.Background()
	primary, replica := primaryWithReplica(t, "oms_replica")
	const bound = 4 * time.Second
	svc := service.New(primary, service.Config{Replica: replica, ReplicaMaxLag: bound})
	watch, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	go svc.WatchReplica(watch, 100*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := newPageEnvOn(t, primary, svc)
	writer, reader := e.loggedIn(domain.RoleSupport), e.loggedIn(domain.RoleAdmin)

	first := e.newOrder("created")
	waitFor(t, "the replica in use, with the first order", func() bool {
		return svc.ReplicaInUse() && strings.Contains(reader.get("/orders").Body, first.Number)
	})

	// Replay stops: the replica keeps answering, with what it had.
	if _, err := replica.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	second := e.newOrder("created")
	if p := writer.post("/orders/"+first.Number+"/status", url.Values{"to": {"pending"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("transition: %d", p.Status)
	}
	began := time.Now()
	pending := "/orders?status=pending"
	if body := reader.get(pending).Body; strings.Contains(body, first.Number) {
		t.Fatal("the reader's list was not read from the (paused) replica")
	}
	if body := reader.get("/orders").Body; strings.Contains(body, second.Number) {
		t.Fatal("the reader sees an order the replica has not replayed")
	}
	if !strings.Contains(writer.get(pending).Body, first.Number) {
		t.Fatal("the writer does not see their own change right after it")
	}
	if time.Since(began) >= bound {
		t.Skipf("the machine is too slow to tell the replica from the primary within %v", bound)
	}
	if !svc.ReplicaInUse() {
		t.Fatal("the replica was left before its lag passed the bound")
	}

	// Past the bound, reads go to the primary.
	waitFor(t, "the replica left for the primary", func() bool { return !svc.ReplicaInUse() })
	if lag, err := svc.ReplicaLag(ctx); err != nil || lag < bound {
		t.Fatalf("lag %v, %v; want at least %v", lag, err, bound)
	}
	if body := reader.get("/orders").Body; !strings.Contains(body, second.Number) {
		t.Fatal("with the replica behind its bound, the list is still stale")
	}

	// Replay resumes: the replica catches up and is read again.
	if _, err := replica.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replica in use again", svc.ReplicaInUse)
	if body := reader.get(pending).Body; !strings.Contains(body, first.Number) {
		t.Fatal("the caught-up replica lacks the change")
	}
	var inRecovery bool
	if err := replica.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("the replica is not a standby: %v %v", inRecovery, err)
	}
}
