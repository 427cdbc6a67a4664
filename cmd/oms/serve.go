package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/web"
)

// serve runs the HTTP server until ctx ends (SIGTERM/SIGINT), then lets in-flight requests
// finish before returning.
func serve(ctx context.Context, cfg config, _ []string) error {
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
		svc := newService(pool, cfg)
		srv := web.New(web.Config{ShopName: cfg.ShopName, SecureCookies: secureCookies(cfg)}, svc, logger)
		httpSrv := srv.HTTPServer(cfg.Addr)

		errc := make(chan error, 1)
		go func() { errc <- httpSrv.ListenAndServe() }()
		logger.Info("serving", slog.String("addr", cfg.Addr), slog.Bool("jobs", cfg.Jobs))

		select {
		case err := <-errc:
			return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		case <-ctx.Done():
		}
		logger.Info("shutting down: finishing in-flight requests")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	})
}

// secureCookies decides the cookie Secure flag: on, off, or (auto) on unless the server
// listens on plain localhost for development.
func secureCookies(cfg config) bool {
	switch cfg.SecureCookies {
	case "on", "true", "1":
		return true
	case "off", "false", "0":
		return false
	}
	return !(strings.HasPrefix(cfg.Addr, ":") || strings.HasPrefix(cfg.Addr, "127.0.0.1") || strings.HasPrefix(cfg.Addr, "localhost"))
}
