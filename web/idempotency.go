package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Idempotent writes: a request carrying a key runs once; a retry with the same key and
// content gets the first answer again (Idempotent-Replayed: true), even while the first
// is still running (it waits for it). Only answers that did something (2xx, 3xx) are
// kept: a refused or failed request changed nothing, so its retry simply runs.

// replayWait is how long a retry waits for the first request with its key to finish.
const replayWait = 10 * time.Second

// replayedHeaders are the response headers a replay repeats.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "HX-Redirect", "ETag"}

// idempotentAPI makes every POST of the API replayable by its Idempotency-Key header
// (order creation keeps its key with the order: see service.CreateOrder).
func (s *Server) idempotentAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if key == "" || c.Request().Method != http.MethodPost || c.Path() == "/api/v1/orders" {
			return next(c)
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		io.WriteString(h, c.Request().Method+" "+c.Request().URL.Path+"\n") //nolint:errcheck // hashes never fail
		h.Write(body)
		return s.replayable(c, "token:"+actorOf(c).ID, key, h.Sum(nil), next)
	}
}

// oneTimeForm makes a form's POST act once per one-time token; a form sent without one
// runs as usual.
func (s *Server) oneTimeForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.FormValue(views.OnceFieldName)
		u, ok := staffOf(c)
		if key == "" || !ok {
			return next(c)
		}
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		h := sha256.New()
		io.WriteString(h, c.Request().URL.Path+"\n") //nolint:errcheck // hashes never fail
		for _, k := range slices.Sorted(maps.Keys(form)) {
			if k != "_csrf" {
				io.WriteString(h, url.QueryEscape(k)+"="+url.QueryEscape(form.Get(k))+"&") //nolint:errcheck
			}
		}
		return s.replayable(c, "staff:"+u.ID, key, h.Sum(nil), next)
	}
}

// replayable runs next once per key: the first time it records the answer, later it
// replays it.
func (s *Server) replayable(c echo.Context, scope, key string, hash []byte, next echo.HandlerFunc) error {
	ctx := c.Request().Context()
	claimed, r, err := s.svc.BeginReplay(ctx, scope, key, hash, replayWait)
	if err != nil {
		return err
	}
	if !claimed {
		for k, v := range r.Headers {
			c.Response().Header().Set(k, v)
		}
		c.Response().Header().Set("Idempotent-Replayed", "true")
		c.Response().WriteHeader(r.Status)
		_, err := c.Response().Write(r.Body)
		return err
	}
	rec := &recorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	if err := next(c); err != nil {
		c.Error(err) // answer now, so that the answer's status decides what is kept
	}
	status := c.Response().Status
	if status < 200 || status >= 400 {
		return s.svc.ForgetReplay(context.WithoutCancel(ctx), scope, key)
	}
	kept := service.Replay{Status: status, Headers: map[string]string{}, Body: append([]byte{}, rec.body.Bytes()...)}
	for _, h := range replayedHeaders {
		if v := c.Response().Header().Get(h); v != "" {
			kept.Headers[h] = v
		}
	}
	if err := s.svc.FinishReplay(context.WithoutCancel(ctx), scope, key, kept); err != nil {
		return errors.Join(err, s.svc.ForgetReplay(context.WithoutCancel(ctx), scope, key))
	}
	return nil
}

// recorder keeps a copy of what a handler writes.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
