package service_test

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/queries"
)

// slowReplies stands between the services and PostgreSQL and holds PostgreSQL's answer
// to a COMMIT back for a while: the commit is made, its answer is late (a slow network,
// a slow disk flush), and meanwhile the client may give up.
func slowReplies(t *testing.T, target string, hold time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			var committing atomic.Bool
			go func() { // client to server: notice a COMMIT going by
				buf := make([]byte, 32<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if bytes.Contains(bytes.ToLower(buf[:n]), []byte("commit")) {
							committing.Store(true)
						}
						if _, werr := server.Write(buf[:n]); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				server.Close()
			}()
			go func() { // server to client: the answer to a COMMIT comes late
				buf := make([]byte, 32<<10)
				for {
					n, err := server.Read(buf)
					if n > 0 {
						if committing.Swap(false) {
							time.Sleep(hold)
						}
						if _, werr := client.Write(buf[:n]); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				client.Close()
			}()
		}
	}()
	return l.Addr().String()
}

// cancelAtCommit cancels a request's context a moment after its transaction's COMMIT is
// sent: the client goes away while PostgreSQL commits.
type cancelAtCommit struct {
	cancel atomic.Pointer[context.CancelFunc]
}

func (c *cancelAtCommit) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if cancel := c.cancel.Load(); cancel != nil && strings.EqualFold(strings.TrimSpace(d.SQL), "commit") {
		time.AfterFunc(100*time.Millisecond, *cancel)
	}
	return ctx
}

func (*cancelAtCommit) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A change whose request goes away while it commits is made and reported made, or
// neither: the web layer forgets a failed request's Idempotency-Key, so a change made
// but reported failed is made again by the client's retry (found by the torture
// driver's dropped requests, seed 401659794: a stock adjustment counted twice, two
// payment intents for one order).
func TestACommitOutlivesItsRequest(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.ConnConfig
	proxy := slowReplies(t, net.JoinHostPort(cc.Host, itoa(cc.Port)), 500*time.Millisecond)
	host, port, _ := net.SplitHostPort(proxy)
	tracer := &cancelAtCommit{}
	cc.Host, cc.Port, cc.TLSConfig, cc.Fallbacks, cc.Tracer = host, atoiPort(port), nil, nil, tracer
	cfg.AfterConnect = queries.RegisterTypes
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ctx := context.Background()
	svc := service.New(pool, service.Config{})
	actor := domain.Actor{Type: domain.ActorToken, Name: "test"}
	if _, _, err := svc.PutProduct(ctx, domain.Product{SKU: "TEE-M", Name: "Tee", Price: decimal.RequireFromString("10.00"),
		Currency: "USD", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetOnHand(ctx, actor, "TEE-M", 10); err != nil {
		t.Fatal(err)
	}

	req, cancel := context.WithCancel(ctx)
	defer cancel()
	tracer.cancel.Store(&cancel)
	_, err = svc.AdjustStock(req, actor, "TEE-M", 5, "delivery")
	tracer.cancel.Store(nil)
	inv, gerr := svc.GetInventory(ctx, "TEE-M")
	if gerr != nil {
		t.Fatal(gerr)
	}
	if made := inv.OnHand == 15; made != (err == nil) {
		t.Fatalf("on hand %d after an adjustment of 5 answered %v: made and answered must agree", inv.OnHand, err)
	}
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

func atoiPort(s string) uint16 {
	n, _ := strconv.Atoi(s)
	return uint16(n)
}
