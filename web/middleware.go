package web

import (
	"errors"
	"log/slog"
	"mime"
	"net"
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
		method := methodLabel(c.Request().Method)
		httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		httpDuration.WithLabelValues(route, method).Observe(elapsed.Seconds())
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
		// Every body, pages and login included, is read at most this far: before any
		// authentication, nothing may make the server parse megabytes.
		middleware.BodyLimit(strconv.Itoa(maxBody)),
		refuseMalformedInput,
	}
}

// refuseMalformedInput answers 400 to a path, query or form that is not valid UTF-8 or
// holds a NUL byte: no id, SKU, order number, filter or form field can contain one, and
// PostgreSQL would refuse the text with an error that must not surface as a 500. (JSON
// bodies are checked when decoded: see badValue; the Idempotency-Key header where it is
// read: see idempotencyKey.)
func refuseMalformedInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		parts := []string{u.Path}
		for key, vs := range u.Query() {
			parts = append(append(parts, key), vs...)
		}
		form, err := postedForm(c.Request())
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return err // the body is too large
		}
		if err != nil {
			return domain.Errorf(domain.CodeBadRequest, "the form could not be read: %v", err)
		}
		parts = append(parts, form...)
		for _, part := range parts {
			if !isText(part) {
				return domain.Errorf(domain.CodeBadRequest, "the request holds bytes that are not valid text")
			}
		}
		return next(c)
	}
}

// postedForm parses a form body as the handlers' c.FormValue will (so that they read what
// was checked) and returns its field names, values and file names. net/http reads a body
// as a form when its media type, in any letter case, is urlencoded or multipart/form-data
// (curl -F); anything else is left for the handler.
func postedForm(r *http.Request) ([]string, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)) // as net/http reads it, even with a bad parameter
	if mediaType != echo.MIMEApplicationForm && mediaType != echo.MIMEMultipartForm {
		return nil, nil
	}
	var err error
	if mediaType == echo.MIMEApplicationForm {
		err = r.ParseForm()
	} else {
		err = r.ParseMultipartForm(maxBody) // at most maxBody (BodyLimit): in memory, no file on disk
	}
	if err != nil {
		return nil, err
	}
	var parts []string
	for key, vs := range r.PostForm {
		parts = append(append(parts, key), vs...)
	}
	if r.MultipartForm != nil {
		for key, files := range r.MultipartForm.File {
			parts = append(parts, key)
			for _, f := range files {
				parts = append(parts, f.Filename)
			}
		}
	}
	return parts, nil
}

// isText reports whether s is text PostgreSQL can store: valid UTF-8 without NUL.
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// methodLabel is a request's method as metrics name it: one of the methods HTTP defines,
// or OTHER, so that made-up methods cannot grow the label space without bound.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// loopbackOnly lets through only requests made on this machine, not forwarded by a proxy
// on it (which would make anyone's request look local).
func loopbackOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		forwarded := r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-IP") != ""
		if ip == nil || !ip.IsLoopback() || forwarded {
			return echo.ErrNotFound
		}
		return next(c)
	}
}
