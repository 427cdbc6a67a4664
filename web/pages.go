package web

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/static"
	"github.com/oms/oms/views"
)

// render writes comp as an HTML page with status. It renders into memory first so that a
// failing template gives a clean error page rather than half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// page fills the layout's model for the current request: who is logged in, the CSRF
// token, and the flash messages (which it consumes).
func (s *Server) page(c echo.Context, title, active string) views.Page {
	p := views.Page{Title: title, ShopName: s.cfg.ShopName, CSRF: csrfToken(c), Active: active}
	if u, ok := staffOf(c); ok {
		p.User = &views.User{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role}
	}
	if s.sessions != nil && s.sessions.Exists(c.Request().Context(), sessionFlashKey) {
		p.Flashes = s.popFlashes(c)
	}
	return p
}

// renderError is the browser error page: inside the layout for logged-in staff, bare
// otherwise. htmx requests get the message alone (app.js shows it as a flash).
func (s *Server) renderError(c echo.Context, status int, de *domain.Error) {
	if isHTMX(c) {
		_ = c.String(status, sentence(de.Message))
		return
	}
	title := http.StatusText(status)
	message := sentence(de.Message)
	switch status {
	case http.StatusNotFound:
		title, message = "Page not found", "There is nothing at this address. Check the link, or go back to the dashboard."
		if de.Message != "no such page or endpoint" && de.Message != "method not allowed here" {
			message = sentence(de.Message)
		}
	case http.StatusForbidden:
		title = "Not allowed"
	case http.StatusInternalServerError:
		title = "Something went wrong"
		message = "The error has been logged (request " + requestID(c) + "). Try again in a moment."
	}
	p := views.Page{Title: title, ShopName: s.cfg.ShopName, CSRF: csrfToken(c)}
	if u, ok := staffOf(c); ok {
		p.User = &views.User{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role}
	}
	if err := render(c, status, views.ErrorPage(p, status, title, message)); err != nil {
		_ = c.String(status, de.Message)
	}
}

// serveStatic serves the embedded assets; their URLs carry a content hash, so browsers
// may keep them for a year.
func serveStatic() echo.HandlerFunc {
	files := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return func(c echo.Context) error {
		name := strings.TrimPrefix(c.Request().URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, ".go") {
			return echo.ErrNotFound
		}
		if c.QueryParam("v") != "" {
			c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			c.Response().Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
