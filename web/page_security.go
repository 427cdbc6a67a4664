package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

// contentSecurityPolicy allows only the OMS's own scripts, styles and images: no inline
// script or style, no framing, forms posting only back here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"

// securityHeaders protects every browser-facing response; the JSON API and webhooks
// answer machines and keep their headers as they are.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !isAPI(c) {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if s.cfg.SecureCookies {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
		}
		return next(c)
	}
}

// csrfContextKey is where the CSRF middleware leaves the token for the forms.
const csrfContextKey = "csrf"

// sessionCSRFKey holds the session's CSRF token.
const sessionCSRFKey = "csrf_token"

// csrf guards the staff pages' state-changing requests with a token bound to the session
// (made with it, new at every login: see rotateCSRF): forms echo it in _csrf, htmx in the
// X-CSRF-Token header (set on <body> with hx-headers). A browser saying the request comes
// from another site is refused outright, a sibling subdomain (same-site) included.
func (s *Server) csrf() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			token := s.sessions.GetString(ctx, sessionCSRFKey)
			if token == "" {
				token = s.rotateCSRF(c)
			}
			c.Set(csrfContextKey, token)
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			site := c.Request().Header.Get("Sec-Fetch-Site")
			sent := c.Request().Header.Get("X-CSRF-Token")
			if sent == "" {
				sent = c.FormValue("_csrf")
			}
			if site == "cross-site" || site == "same-site" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				return domain.Errorf(domain.CodeForbidden, "this form has expired or did not come from this site; reload the page and try again")
			}
			return next(c)
		}
	}
}

// rotateCSRF gives the session a new CSRF token and returns it.
func (s *Server) rotateCSRF(c echo.Context) string {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand never fails
	token := base64.RawURLEncoding.EncodeToString(b)
	s.sessions.Put(c.Request().Context(), sessionCSRFKey, token)
	c.Set(csrfContextKey, token)
	return token
}

// csrfToken is the token to put in forms and hx-headers.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfContextKey).(string)
	return t
}
