package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/oms/oms/views"
)

// Staff sessions: stored in PostgreSQL so that any `oms serve` process can serve any
// request; they end after SessionIdleTimeout without a request, and after
// SessionLifetime whatever happens.
const (
	SessionIdleTimeout = 12 * time.Hour
	SessionLifetime    = 7 * 24 * time.Hour

	sessionUserKey = "staff_user_id"
	// sessionVersionKey: the user's session version when the session was made.
	sessionVersionKey = "staff_session_version"
	// sessionWroteKey is when the user last changed something (readYourWrites).
	sessionWroteKey = "wrote_at"
	sessionFlashKey = "flash"
)

func newSessionManager(pool *pgxpool.Pool, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = pgxstore.NewWithCleanupInterval(pool, 15*time.Minute)
	sm.IdleTimeout = SessionIdleTimeout
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = "oms_session"
	if secure {
		// __Host-: the browser keeps it only from this host over https, for path /, so a
		// sibling subdomain cannot plant or overwrite it.
		sm.Cookie.Name = "__Host-oms_session"
	}
	sm.Cookie.Path = "/"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	return sm
}

// deviceCookieName is the cookie that makes a browser known to the accounts it logged in
// to (service.Login), so that guessing elsewhere cannot lock their owners out of it.
// Secure: __Host-, like the session's.
func (s *Server) deviceCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-oms_device"
	}
	return "oms_device"
}

// loadSession is scs's LoadAndSave for echo: the handler (and the error handler) run with
// the session-bearing request and write through scs's response writer, so that the
// session is saved and its cookie set before the first byte of the response.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// scs wraps the underlying writer (not echo's Response, which would then wrap
		// itself); echo's Response writes through scs's writer while the handler runs.
		orig := c.Response().Writer
		defer func() { c.Response().Writer = orig }()
		s.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Response().Writer = w
			c.SetRequest(r)
			if err := next(c); err != nil {
				c.Error(err)
			}
		})).ServeHTTP(orig, c.Request())
		return nil
	}
}

// flash queues a message for the next page the user sees.
func (s *Server) flash(c echo.Context, kind, message string) {
	ctx := c.Request().Context()
	var fs []views.Flash
	if b := s.sessions.GetBytes(ctx, sessionFlashKey); b != nil {
		_ = json.Unmarshal(b, &fs)
	}
	fs = append(fs, views.Flash{Kind: kind, Message: message})
	b, _ := json.Marshal(fs)
	s.sessions.Put(ctx, sessionFlashKey, b)
}

// flashSuccess and flashError are the usual kinds of flash.
func (s *Server) flashSuccess(c echo.Context, message string) { s.flash(c, "success", message) }
func (s *Server) flashError(c echo.Context, message string)   { s.flash(c, "error", message) }

// popFlashes returns and forgets the queued messages.
func (s *Server) popFlashes(c echo.Context) []views.Flash {
	b := s.sessions.PopBytes(c.Request().Context(), sessionFlashKey)
	if b == nil {
		return nil
	}
	var fs []views.Flash
	_ = json.Unmarshal(b, &fs)
	return fs
}
