package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oms/oms/internal/jobs"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/queries"
	"github.com/oms/oms/web"
)

// serve runs the HTTP server until ctx ends (SIGTERM/SIGINT), then lets in-flight requests
// finish before returning.
func serve(ctx context.Context, cfg config, _ []string) error {
	tuneGC()
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
		// Behind a transaction pooler (DATABASE_URL through PgBouncer), what needs a
		// session of its own connects directly: the live updates' LISTEN and the queue.
		direct := pool
		if cfg.DirectDatabaseURL == "" && strings.Contains(cfg.DatabaseURL, "default_query_exec_mode") {
			logger.Warn("DATABASE_URL sets default_query_exec_mode, as for a transaction pooler, but OMS_DIRECT_DATABASE_URL " +
				"is not set: through such a pooler LISTEN hears nothing (no live updates on order pages; the job queue polls) " +
				"and migrations' locks do not hold (docs/scaling.md)")
		}
		if cfg.directURL() != cfg.DatabaseURL {
			var err error
			if direct, err = openDirectPool(ctx, cfg.directURL()); err != nil {
				return err
			}
			defer direct.Close()
		}
		sc := serviceConfig(cfg)
		sc.Direct = direct
		if cfg.ReadDatabaseURL != "" {
			replica, err := openReplica(ctx, cfg)
			if err != nil {
				return err
			}
			defer replica.Close()
			sc.Replica = replica
		}
		svc := service.New(pool, sc)
		go svc.WatchReplica(ctx, time.Second, logger)
		srv := web.New(web.Config{ShopName: cfg.ShopName, SecureCookies: secureCookies(cfg),
			TrackRate: cfg.TrackRate, TrackBurst: cfg.TrackBurst, TrustedProxies: cfg.TrustedProxies,
			MetricsElsewhere: cfg.MetricsAddr != ""}, svc, logger)
		httpSrv := srv.HTTPServer(cfg.Addr)
		// Event streams never finish by themselves: end them (and the change listener)
		// as shutdown begins, so that in-flight requests can drain.
		httpSrv.RegisterOnShutdown(srv.Close)
		defer srv.Close()

		var runner *jobs.Runner
		if cfg.Jobs {
			var err error
			if runner, err = jobs.New(direct, svc, jobs.Config{Logger: logger}); err != nil {
				return err
			}
			// Not ctx: on SIGTERM the queue is stopped below, after the HTTP server.
			if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
				return err
			}
		}

		errc := make(chan error, 2)
		go func() { errc <- httpSrv.ListenAndServe() }()
		if cfg.MetricsAddr != "" {
			metricsSrv := &http.Server{Addr: cfg.MetricsAddr, Handler: metricsHandler(), ReadHeaderTimeout: 5 * time.Second}
			go func() { errc <- metricsSrv.ListenAndServe() }()
			defer metricsSrv.Close()
		}
		logger.Info("serving", slog.String("addr", cfg.Addr), slog.Bool("jobs", cfg.Jobs))

		var serveErr error
		select {
		case err := <-errc:
			serveErr = fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		case <-ctx.Done():
		}
		if serveErr == nil && cfg.DrainDelay > 0 {
			// Load balancers see /readyz fail and stop sending requests; those already
			// sent are still served. Then the listener closes.
			srv.Drain()
			logger.Info("draining: /readyz answers 503", slog.Duration("for", cfg.DrainDelay))
			time.Sleep(cfg.DrainDelay)
		}
		logger.Info("shutting down: finishing in-flight requests and jobs")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if serveErr == nil {
			if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErr = fmt.Errorf("shutdown: %w", err)
			}
		}
		if runner != nil {
			if err := runner.Stop(shutdownCtx); err != nil && serveErr == nil {
				serveErr = err
			}
		}
		return serveErr
	})
}

// openDirectPool connects to OMS_DIRECT_DATABASE_URL: a small pool, for the job queue
// (its LISTEN holds one connection; fetching and completing jobs use a few more) and
// the template of the live updates' listener.
func openDirectPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("OMS_DIRECT_DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		pc.MaxConns = 10
	}
	pc.AfterConnect = queries.RegisterTypes
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to OMS_DIRECT_DATABASE_URL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("OMS_DIRECT_DATABASE_URL unreachable: %w", err)
	}
	return pool, nil
}

// tuneGC sets the collector for a server, unless GOGC or GOMEMLIMIT say otherwise. A
// request's garbage is a few MB (a page of 50 full orders) over a live heap of a few
// tens: with the default GOGC=100 the collector runs every few requests and costs a
// third of a page's time. GOGC=400 collects a quarter as often; the soft limit keeps
// the heap, and so the process, small when live data grows (an export streaming).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

// secureCookies decides the cookie Secure flag (and HSTS): on, off, or (auto) on unless
// the server listens on a loopback address only, which no one else can reach: plain
// http there is development. ":8080" listens on every address, so it is not.
func secureCookies(cfg config) bool {
	switch cfg.SecureCookies {
	case "on", "true", "1":
		return true
	case "off", "false", "0":
		return false
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return true
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// metricsHandler serves /metrics alone, for OMS_METRICS_ADDR.
func metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.Handler())
	return mux
}
