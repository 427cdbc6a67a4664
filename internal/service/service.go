// Package service holds the OMS's use cases. Each exported method is one use case run
// as one transaction: lock what it changes, check the rule in domain, write the change
// and its history row, commit.
package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/internal/webhook"
	"github.com/oms/oms/queries"
)

// Config holds the settings the use cases depend on.
type Config struct {
	ReservationTTL time.Duration   // unpaid orders are cancelled after this
	ReturnWindow   time.Duration   // customers may ask for a return this long after delivery (default 30 days)
	Stripe         *payment.Stripe // nil: Stripe is not configured (payment intents and webhooks answer 503)
	// ExportChunkBytes is the size of the chunks a background export's file is stored
	// in (default 1 MiB): what the job and a download hold in memory at most.
	ExportChunkBytes int
	// AfterGatewayCall, for fault-injection tests only, runs between a gateway's answer
	// and its recording (the worst moment to fail); an error stops the recording there.
	AfterGatewayCall func() error
	// GatewayTimeout bounds one call to a payment gateway (default 30s).
	GatewayTimeout time.Duration

	// ReplayStale is how long an idempotent request's process may stay silent before a
	// retry takes its key over (it died; default 2 min); a running request says it runs
	// four times as often. ReplayWait is how long a retry waits for a running first
	// request's answer before it is told the key is in use (default 10s).
	ReplayStale, ReplayWait time.Duration

	// Telling customers and other systems (deliver.go).
	Mailer   Mailer          // nil: no SMTP server; emails stay queued
	Webhooks *webhook.Client // nil: webhooks wait
	// WebhooksAllowPrivate lets endpoints be on loopback or private addresses
	// (OMS_WEBHOOKS_ALLOW_PRIVATE; tests and closed networks).
	WebhooksAllowPrivate bool
	ShopName             string // what emails are signed with
	PublicURL            string // where customers reach the OMS, for the links in emails

	// Replica is a streaming replica the lists, search, dashboard and exports read from
	// while it keeps up (replica.go); nil: none.
	Replica *pgxpool.Pool
	// ReplicaMaxLag is how far behind the replica may be and still be read (default 5s).
	ReplicaMaxLag time.Duration
	// Direct reaches the database without a transaction pooler (OMS_DIRECT_DATABASE_URL):
	// the live updates' listener connects as it does, since LISTEN needs a session of
	// its own. nil: as the pool does.
	Direct *pgxpool.Pool
}

// Service runs the use cases against one PostgreSQL database.
type Service struct {
	pool *pgxpool.Pool
	cfg  Config
	now  func() time.Time

	tokens tokenCache
	writer *orderWriter
	// queue enqueues jobs in the use case's transaction; it works none (internal/jobs
	// does, in the processes that run jobs).
	queue *river.Client[pgx.Tx]
	// encoder writes webhook bodies (SetEventEncoder).
	encoder atomic.Pointer[EventEncoder]
	replica *replica // nil: none
	// deadlines keeps the shipping deadline rules parsed (deadlines.go).
	deadlines rulesCache
}

// New returns a Service using pool.
func New(pool *pgxpool.Pool, cfg Config) *Service {
	if cfg.ReservationTTL == 0 {
		cfg.ReservationTTL = 30 * time.Minute
	}
	if cfg.ReturnWindow <= 0 {
		cfg.ReturnWindow = 30 * 24 * time.Hour
	}
	if cfg.ExportChunkBytes <= 0 {
		cfg.ExportChunkBytes = 1 << 20
	}
	if cfg.GatewayTimeout <= 0 {
		cfg.GatewayTimeout = 30 * time.Second
	}
	if cfg.ReplayStale <= 0 {
		cfg.ReplayStale = defaultReplayStale
	}
	if cfg.ReplayWait <= 0 {
		cfg.ReplayWait = defaultReplayWait
	}
	queue, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		panic(fmt.Sprintf("job queue client: %v", err)) // an insert-only configuration is always valid
	}
	s := &Service{pool: pool, cfg: cfg, now: time.Now, queue: queue, writer: &orderWriter{pool: pool}}
	if cfg.Replica != nil {
		if cfg.ReplicaMaxLag <= 0 {
			cfg.ReplicaMaxLag = 5 * time.Second
		}
		s.replica = &replica{pool: cfg.Replica, maxLag: cfg.ReplicaMaxLag}
	}
	return s
}

// Pool exposes the database for health checks and the job queue.
func (s *Service) Pool() *pgxpool.Pool { return s.pool }

// inTx runs fn in one transaction, committing when it returns nil. Once fn is done the
// commit is seen through even if the caller goes away meanwhile (a client that drops its
// request): abandoned half way, a commit may be made yet reported failed, and a retry
// with the same Idempotency-Key would then make the change twice.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx, q *queries.Queries) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	otx := newOrderTx(tx)
	q := queries.New(otx)
	if err := fn(otx, q); err != nil {
		return err
	}
	claim, err := markCommitted(ctx, q)
	if err != nil {
		return err
	}
	commitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := tx.Commit(commitCtx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if claim != nil {
		claim.committed.Store(true)
	}
	return nil
}

// commitTimeout bounds a commit that its caller no longer waits for.
const commitTimeout = 30 * time.Second

// PostgreSQL error codes the services turn into domain errors.
const (
	pgUniqueViolation = "23505"
	pgCheckViolation  = "23514"
	pgFKViolation     = "23503"
)

// pgCode returns the SQLSTATE and constraint name of a PostgreSQL error, or "".
func pgCode(err error) (code, constraint string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.ConstraintName
	}
	return "", ""
}

// notFound turns pgx.ErrNoRows into a not_found domain error naming what.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.NotFound(what)
	}
	return err
}

// DatabaseDown reports whether err says the database could not be reached or went away
// mid-request (a restart, a failover): the caller may try again in a moment, and it is
// not the request's fault nor a bug.
func DatabaseDown(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return false
	case errors.As(err, &ce), pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	case errors.As(err, &pe):
		// 57P0x: admin shutdown, crash shutdown, cannot connect now; 08: connection exception.
		return strings.HasPrefix(pe.Code, "57P0") || strings.HasPrefix(pe.Code, "08")
	}
	var ne net.Error
	return errors.As(err, &ne) || strings.Contains(err.Error(), "conn closed")
}
