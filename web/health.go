package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Drain makes /readyz answer 503 "draining" from now on, while the server goes on
// serving: on SIGTERM, load balancers stop sending new requests before the listener
// closes (see OMS_DRAIN_DELAY).
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) readyz(c echo.Context) error {
	if s.draining.Load() {
		return domain.Errorf(domain.CodeUnavailable, "draining: this process is shutting down")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Pool().Ping(ctx); err != nil {
		return domain.Errorf(domain.CodeUnavailable, "database unreachable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
