package service_test

import (
	"context"
	"sync"
	"testing"

	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// Requests that find a token's cache entry missing or expired at the same moment (every
// few seconds under load) look it up once: each lookup records the token's use on its
// one row, so concurrent lookups would wait for each other's commits, one after another,
// and stall every request in between.
func TestConcurrentRequestsLookATokenUpOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	svc := service.New(pool, service.Config{})
	_, token, err := svc.CreateToken(ctx, "integration")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		CREATE TABLE token_touches (n int NOT NULL);
		INSERT INTO token_touches VALUES (0);
		CREATE FUNCTION count_token_touch() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			UPDATE token_touches SET n = n + 1;
			PERFORM pg_sleep(0.05); -- a commit that takes a while, as under load
			RETURN NEW;
		END $$;
		CREATE TRIGGER count_token_touch BEFORE UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION count_token_touch();`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 30 {
		wg.Go(func() {
			<-start
			if _, err := svc.AuthenticateToken(ctx, token); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	var n int
	if err := pool.QueryRow(ctx, `SELECT n FROM token_touches`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("30 concurrent requests looked the token up %d times, want once", n)
	}
}
