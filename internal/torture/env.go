package torture

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/mail/mailtest"
	"github.com/oms/oms/internal/testenv"
)

// ttl is the reservation TTL the server runs with: short, so that orders left unpaid
// expire during a run (the expiry job looks every ttl/3).
const ttl = 40 * time.Second

const staffPassword = "torture-staff-password"

// env is everything a run drives: `oms serve` on a PostgreSQL cluster of its own (both
// may be restarted), the Stripe gateway, the SMTP sink and the webhook receiver.
type env struct {
	t        testing.TB
	bin      string
	cluster  *testenv.Cluster
	dbURL    string
	addr     string
	serveEnv []string
	pool     *pgxpool.Pool // for the end checks' reads of the outbox and the job queue

	mu   sync.Mutex // guards proc
	proc *testenv.Proc
	// outageUntil (Unix nanoseconds): PostgreSQL is down or just came back until then.
	outageUntil atomic.Int64

	api     *api
	gateway *gateway
	hooks   *receiver
	mail    *mailtest.Server
	staff   []*staff // one session per worker, and the admin's last
}

const dbName = "oms_torture"

// setUp builds the binary, starts everything and loads the shop.
func setUp(t testing.TB, cfg Config, workers int) *env {
	e := &env{t: t, bin: testenv.Build(t), cluster: testenv.NewCluster(t), addr: testenv.FreeAddr(t)}
	e.dbURL = e.cluster.URL(dbName)
	base := testenv.Env("DATABASE_URL=" + e.dbURL)
	testenv.Run(t, e.bin, base, "", "migrate")
	testenv.Run(t, e.bin, base, staffPassword+"\n", "user", "add", "--email", "admin@torture.test", "--name", "Torture Admin", "--role", "admin")
	out := testenv.Run(t, e.bin, base, "", "token", "add", "--name", "torture")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]

	e.gateway = newGateway(testenv.StripeMock(t), cfg.Seed)
	t.Cleanup(e.gateway.close)
	e.hooks = newReceiver()
	t.Cleanup(e.hooks.srv.Close)
	e.mail = mailtest.Start(t)
	e.serveEnv = append(base, "OMS_RESERVATION_TTL="+ttl.String(), "OMS_SMTP_URL="+e.mail.URL(),
		"OMS_MAIL_FROM=Torture Shop <shop@torture.test>", "STRIPE_SECRET_KEY=sk_test_torture",
		"STRIPE_API_BASE="+e.gateway.srv.URL, "STRIPE_WEBHOOK_SECRET="+webhookSecret,
		"OMS_WEBHOOKS_ALLOW_PRIVATE=true", "OMS_TRACK_RATE=10000", "OMS_TRACK_BURST=10000", "OMS_LOG_LEVEL=warn")
	e.proc = testenv.StartAt(t, e.bin, "oms", e.addr, e.serveEnv)
	e.api = &api{base: e.proc.URL, token: token, http: newHTTP()}

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e.pool = pool

	for i := 0; i <= workers; i++ {
		s := &staff{base: e.proc.URL, br: testenv.NewBrowser(t)}
		s.br.Login(s.base, "admin@torture.test", staffPassword)
		e.staff = append(e.staff, s)
	}
	var ep struct{ Secret string }
	ans := e.api.call(ctx, "POST", "/api/v1/webhook_endpoints", map[string]any{"url": e.hooks.srv.URL + "/hooks",
		"events": []string{"order.created", "order.updated", "order.status_changed", "order.paid", "order.cancelled", "fulfillment.created",
			"fulfillment.updated", "return.requested", "return.approved", "return.rejected", "return.received",
			"refund.created", "refund.updated"}})
	if ans.status != http.StatusCreated || jsonInto(ans.body, &ep) != nil {
		t.Fatalf("webhook endpoint: %v %s", ans, ans.body)
	}
	e.hooks.secret = ep.Secret
	if err := loadShop(ctx, e.api, e.staff[workers]); err != nil {
		t.Fatal(err)
	}
	return e
}

// up waits until the server answers /readyz (after a restart of it or of PostgreSQL).
func (e *env) up(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get("http://" + e.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// killServer kills `oms serve` with SIGKILL and starts it again on the same address.
func (e *env) killServer(pause time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.proc.Kill()
	time.Sleep(pause)
	e.proc = testenv.StartAt(e.t, e.bin, "oms", e.addr, e.serveEnv)
}

// restartPostgres stops the cluster (fast: sessions cut) and starts it again.
func (e *env) restartPostgres(pause time.Duration) {
	e.outageUntil.Store(time.Now().Add(time.Hour).UnixNano())
	e.cluster.Stop()
	time.Sleep(pause)
	e.cluster.URL(dbName)
	e.outageUntil.Store(time.Now().Add(10 * time.Second).UnixNano())
}

// outage reports whether PostgreSQL is being restarted, or was a moment ago: requests
// may then fail on the server's side (500) without a bug.
func (e *env) outage() bool { return time.Now().UnixNano() < e.outageUntil.Load() }

// check runs `oms check` and returns its output and whether it passed.
func (e *env) check() (string, bool) {
	cmd := exec.Command(e.bin, "check")
	cmd.Env = testenv.Env("DATABASE_URL=" + e.dbURL)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// serverLog is the last n lines of the server's log.
func serverLog(e *env, n int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("%s's log (%s), last %d lines:\n%s", e.proc.Name, e.proc.Log, n, e.proc.Tail(n))
}
