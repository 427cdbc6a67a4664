package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/oms/oms/internal/demo"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/queries"
)

// demoCmd is `oms demo`: the demo shop (idempotent), and with --orders N, N more orders
// over --years of history.
func demoCmd(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	orders := fs.Int("orders", 0, "add this many orders (every state, years of history, many customers)")
	years := fs.Float64("years", 2, "how many years of history the added orders span")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (the same seed draws the same orders)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("demo: %w (usage: oms demo [--orders N] [--years Y] [--seed S])", err)
	}
	if *orders < 0 || *years <= 0 || *years > 20 {
		return fmt.Errorf("demo: --orders must be positive and --years between 0 and 20")
	}
	// The loader holds a session advisory lock and COPYs: a direct connection.
	return withService(ctx, cfg.direct(), func(svc *service.Service) error {
		if err := demo.LoadShop(ctx, svc, stdout); err != nil {
			return err
		}
		if *orders == 0 {
			return queries.Analyze(ctx, svc.Pool(), false)
		}
		start := time.Now()
		err := demo.LoadOrders(ctx, svc.Pool(), demo.Options{Orders: *orders, Years: *years, Seed: *seed,
			TTL: cfg.ReservationTTL, Out: stdout})
		if err != nil {
			return err
		}
		if _, err := svc.CompactOrderStats(ctx); err != nil {
			return err
		}
		// What autovacuum would do in time, done before anyone reads: statistics for the
		// planner, and the visibility map that lets counts read the indexes alone.
		fmt.Fprintln(stdout, "demo: vacuum and analyze")
		if err := queries.Analyze(ctx, svc.Pool(), true); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintf(stdout, "demo: %d orders added in %s\n", *orders, time.Since(start).Round(100*time.Millisecond))
		return nil
	})
}

func check(ctx context.Context, svc *service.Service, out io.Writer) error {
	return svc.Check(ctx, out)
}
