package web

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

type actorKey struct{}

// withActor records who is making the request.
func withActor(c echo.Context, a domain.Actor) {
	c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), actorKey{}, a)))
}

// actorOf returns who is making the request (set by requireToken or the staff session).
func actorOf(c echo.Context) domain.Actor {
	a, _ := c.Request().Context().Value(actorKey{}).(domain.Actor)
	return a
}

// requireToken admits API requests that carry a valid bearer token.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="oms"`)
			return domain.Errorf(domain.CodeUnauthorized, "missing API token: send Authorization: Bearer <token>")
		}
		actor, err := s.svc.AuthenticateToken(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="oms", error="invalid_token"`)
			return err
		}
		withActor(c, actor)
		return next(c)
	}
}
