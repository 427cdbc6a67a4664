package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// pageChain is the middleware of every page that anyone may see (login, logout):
// session and CSRF.
func (s *Server) pageChain() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{s.loadSession, s.csrfMW}
}

// staffPage is the middleware of a staff page: session, CSRF, a logged-in enabled user,
// and permission perm; a form drawn from some version of an order acts only on that one.
func (s *Server) staffPage(perm domain.Permission) []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{s.loadSession, s.csrfMW, s.requireStaff, requirePerm(perm), s.readYourWrites, formVersion}
}

// readYourWrites sends a staff user's reads to the primary for a while after they
// changed something (any form post), so that the page after it, and the list they go
// back to, show their change even when lists are read from a replica that is a little
// behind (at most its lag bound, which the window covers twice over).
func (s *Server) readYourWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		bound := s.svc.ReplicaMaxLag()
		if bound == 0 {
			return next(c)
		}
		ctx := c.Request().Context()
		now := time.Now()
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
			s.sessions.Put(ctx, sessionWroteKey, now.UnixMilli())
		}
		if wrote := s.sessions.GetInt64(ctx, sessionWroteKey); wrote != 0 && now.Sub(time.UnixMilli(wrote)) < 2*bound+time.Second {
			c.SetRequest(c.Request().WithContext(service.Primary(ctx)))
		}
		return next(c)
	}
}

// requireStaff admits requests whose session belongs to an existing, enabled staff user
// and was made with the user's current session version, checked against the database on
// every request so that disabling a user, changing a role or a password, or logging out
// everywhere takes effect at once. Others are sent to the login page (htmx: HX-Redirect).
func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := s.sessions.GetString(ctx, sessionUserKey)
		if id == "" {
			return redirectToLogin(c)
		}
		u, err := s.svc.GetStaffUser(ctx, id)
		if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && (u.Disabled || s.sessions.GetInt(ctx, sessionVersionKey) != u.SessionVersion)) {
			if err := s.sessions.Destroy(ctx); err != nil {
				return err
			}
			return redirectToLogin(c)
		}
		if err != nil {
			return err
		}
		c.Set(staffContextKey, u)
		withActor(c, u.Actor())
		return next(c)
	}
}

// requirePerm refuses (403) staff whose role lacks p.
func requirePerm(p domain.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, ok := staffOf(c)
			if !ok || !u.Role.Can(p) {
				return domain.Errorf(domain.CodeForbidden, "your role (%s) may not do this; ask an admin if you need to", roleName(u.Role))
			}
			return next(c)
		}
	}
}

func roleName(r domain.Role) string {
	if r == "" {
		return "none"
	}
	return string(r)
}

// redirectToLogin sends the browser to the login page, remembering where it was going.
func redirectToLogin(c echo.Context) error {
	next := c.Request().URL.RequestURI()
	if isHTMX(c) {
		if cur, err := url.Parse(c.Request().Header.Get("HX-Current-URL")); err == nil && cur.Path != "" {
			next = cur.RequestURI()
		}
	} else if c.Request().Method != http.MethodGet {
		next = "/"
	}
	target := "/login"
	if next != "/" && next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (s *Server) loginPage(c echo.Context) error {
	if id := s.sessions.GetString(c.Request().Context(), sessionUserKey); id != "" {
		if u, err := s.svc.GetStaffUser(c.Request().Context(), id); err == nil && !u.Disabled {
			return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
		}
	}
	return s.renderLogin(c, http.StatusOK, views.LoginForm{Next: localPath(c.QueryParam("next"))})
}

func (s *Server) renderLogin(c echo.Context, status int, form views.LoginForm) error {
	p := s.page(c, "Log in", "")
	return render(c, status, views.LoginPage(p, form))
}

func (s *Server) loginSubmit(c echo.Context) error {
	email, password := c.FormValue("email"), c.FormValue("password")
	form := views.LoginForm{Email: email, Next: localPath(c.FormValue("next"))}
	attempt := service.LoginAttempt{Email: email, Password: password, Client: clientKey(c.RealIP())}
	if dc, err := c.Cookie(s.deviceCookieName()); err == nil {
		attempt.Device = dc.Value
	}
	u, device, err := s.svc.Login(c.Request().Context(), attempt)
	if err != nil {
		de := s.toDomainError(c, err)
		if de.Code == domain.CodeInternal {
			return err
		}
		form.Errors = views.Errors(de.Fields)
		if len(form.Errors) == 0 {
			form.Errors = views.Errors{"password": de.Message}
		}
		return s.renderLogin(c, statusOf(de.Code), form)
	}
	ctx := c.Request().Context()
	// A new token on login defeats session fixation.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionUserKey, u.ID)
	s.sessions.Put(ctx, sessionVersionKey, u.SessionVersion)
	s.rotateCSRF(c) // a token seen before the login is worth nothing after it
	c.SetCookie(&http.Cookie{Name: s.deviceCookieName(), Value: device, Path: "/", MaxAge: int(service.LoginDeviceKeep / time.Second),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	s.log.Info("staff login", "request_id", requestID(c), "staff_id", u.ID)
	return c.Redirect(http.StatusSeeOther, form.Next)
}

// logoutEverywhere is POST /logout/everywhere: every session of the user ends, this one
// included.
func (s *Server) logoutEverywhere(c echo.Context) error {
	u, _ := staffOf(c)
	if err := s.svc.EndSessions(c.Request().Context(), u.ID); err != nil {
		return err
	}
	if err := s.sessions.RenewToken(c.Request().Context()); err != nil {
		return err
	}
	s.sessions.Remove(c.Request().Context(), sessionUserKey)
	s.flash(c, "info", "You have been logged out on every device.")
	return s.seeOther(c, "/login")
}

func (s *Server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Remove(ctx, sessionUserKey)
	s.flash(c, "info", "You have been logged out.")
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", "/login")
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
