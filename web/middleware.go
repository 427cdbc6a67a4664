package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/oms/oms/internal/domain"
)

var (
	httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "oms_http_requests_total", Help: "HTTP requests by route, method and status."},
		[]string{"route", "method", "status"})
	httpDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "oms_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}},
		[]string{"route", "method"})
)

// requestID returns the id the RequestID middleware gave this request.
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// observe logs one line per request and records its metrics. The route label is the
// route pattern, never the raw path, so that ids do not explode the label space.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		httpRequests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		httpDuration.WithLabelValues(route, c.Request().Method).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("request_id", requestID(c)),
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", elapsed))
		return nil
	}
}

// baseMiddleware is what every request goes through, in order.
func (s *Server) baseMiddleware() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{
		middleware.RequestID(),
		s.observe,
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true}),
		refuseMalformedURL,
	}
}

// refuseMalformedURL answers 400 to a path or query that is not valid UTF-8 or holds a NUL
// byte: no id, SKU, order number or filter can contain one, and PostgreSQL would refuse
// the text with an error that must not surface as a 500.
func refuseMalformedURL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		parts := []string{u.Path}
		for key, vs := range u.Query() {
			parts = append(parts, key)
			parts = append(parts, vs...)
		}
		for _, part := range parts {
			if !utf8.ValidString(part) || strings.ContainsRune(part, 0) {
				return domain.Errorf(domain.CodeBadRequest, "the URL holds bytes that are not valid text")
			}
		}
		return next(c)
	}
}
