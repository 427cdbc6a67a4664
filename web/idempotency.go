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

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Idempotent writes: a request carrying a key runs once; a retry with the same key and
// content gets the first answer again (Idempotent-Replayed: true), waiting a while for it
// when the first is still running, and 409 idempotency_key_in_use when it still runs
// after that (service.BeginReplay). Only answers of requests that did something are kept
// (2xx, 3xx, or any answer after a change committed): a refused or failed request changed
// nothing, so its retry simply runs.

// replayedHeaders are the response headers a replay repeats.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "HX-Redirect", "ETag"}

// idempotentAPI makes every POST of the API replayable by its Idempotency-Key header
// (order creation keeps its key with the order: see service.CreateOrder).
func (s *Server) idempotentAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, _, err := idempotencyKey(c)
		if err != nil {
			return err
		}
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

// idempotencyKey is the request's Idempotency-Key header; sent is false without one. The
// key is stored as text, so bytes that are not text (invalid UTF-8; net/http already
// refuses a NUL in a header) are refused here with 400, before anything runs.
func idempotencyKey(c echo.Context) (key string, sent bool, err error) {
	keys, sent := c.Request().Header["Idempotency-Key"]
	if !sent {
		return "", false, nil
	}
	if !isText(keys[0]) {
		return "", true, &domain.Error{Code: domain.CodeBadRequest, Message: "Idempotency-Key must be valid UTF-8 text",
			Fields: map[string]string{"Idempotency-Key": "must be valid UTF-8 text"}}
	}
	return keys[0], true, nil
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
		return s.replayable(c, "staff:"+u.ID, key, formHash(c.Request().URL.Path, form), next)
	}
}

// formHash is what a one-time token stands for: the path and every value of every field
// but the CSRF token, fields in name order, a field's values in the order sent (ids=A&ids=B
// is another form than ids=A&ids=C, and than ids=B&ids=A). Escaping keeps the
// separators unambiguous.
func formHash(path string, form url.Values) []byte {
	h := sha256.New()
	io.WriteString(h, path+"\n") //nolint:errcheck // hashes never fail
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if k == "_csrf" {
			continue
		}
		for _, v := range form[k] {
			io.WriteString(h, url.QueryEscape(k)+"="+url.QueryEscape(v)+"&") //nolint:errcheck
		}
	}
	return h.Sum(nil)
}

// replayable runs next once per key: the first time it records the answer, later it
// replays it.
func (s *Server) replayable(c echo.Context, scope, key string, hash []byte, next echo.HandlerFunc) error {
	ctx := c.Request().Context()
	claim, r, err := s.svc.BeginReplay(ctx, scope, key, hash)
	if err != nil {
		return err
	}
	if claim == nil {
		for k, v := range r.Headers {
			c.Response().Header().Set(k, v)
		}
		c.Response().Header().Set("Idempotent-Replayed", "true")
		c.Response().WriteHeader(r.Status)
		_, err := c.Response().Write(r.Body)
		return err
	}
	// A panic leaves the key running but silent: a retry takes it over once it is stale.
	defer claim.Stop()
	c.SetRequest(c.Request().WithContext(claim.WithClaim(ctx)))
	rec := &recorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	if err := next(c); err != nil {
		c.Error(err) // answer now, so that the answer's status decides what is kept
	}
	status := c.Response().Status
	if (status < 200 || status >= 400) && !claim.Committed() {
		return claim.Forget(context.WithoutCancel(ctx))
	}
	kept := service.Replay{Status: status, Headers: map[string]string{}, Body: append([]byte{}, rec.body.Bytes()...)}
	for _, h := range replayedHeaders {
		if v := c.Response().Header().Get(h); v != "" {
			kept.Headers[h] = v
		}
	}
	if err := claim.Finish(context.WithoutCancel(ctx), kept); err != nil {
		return errors.Join(err, claim.Forget(context.WithoutCancel(ctx)))
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
