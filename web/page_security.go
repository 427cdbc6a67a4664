package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

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

// csrfContextKey is where echo's CSRF middleware leaves the token for the forms.
const csrfContextKey = "csrf"

// csrf guards the staff pages' state-changing requests. Browsers that send
// Sec-Fetch-Site are checked by it (same-origin passes, cross-site is refused);
// others must echo the token from the _csrf cookie in the _csrf form field or, for htmx,
// the X-CSRF-Token header (set on <body> with hx-headers).
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     csrfContextKey,
		CookieName:     "oms_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.cfg.SecureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int(SessionLifetime.Seconds()),
		ErrorHandler: func(error, echo.Context) error {
			return domain.Errorf(domain.CodeForbidden, "this form has expired or did not come from this site; reload the page and try again")
		},
	})
}

// csrfToken is the token to put in forms and hx-headers.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfContextKey).(string)
	return t
}
