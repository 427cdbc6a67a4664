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

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Pool().Ping(ctx); err != nil {
		return domain.Errorf(domain.CodeUnavailable, "database unreachable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
