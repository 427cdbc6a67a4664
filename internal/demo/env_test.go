package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// env is a fresh database with the services over it.
type env struct {
	t    *testing.T
	ctx  context.Context
	pool *pgxpool.Pool
	svc  *service.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool := testdb.New(t)
	return &env{t: t, ctx: context.Background(), pool: pool,
		svc: service.New(pool, service.Config{ReservationTTL: 30 * time.Minute})}
}

// intQuery runs a query that returns one integer.
func (e *env) intQuery(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// mustBeClean fails the test for every violation `oms check` finds.
func (e *env) mustBeClean() {
	e.t.Helper()
	rep, err := e.svc.Audit(e.ctx)
	if err != nil {
		e.t.Fatalf("audit: %v", err)
	}
	for _, v := range rep.Violations {
		e.t.Errorf("check: %s", v)
	}
}
