package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

// Who makes a request: the actor every change is recorded under (an API token or a staff
// user), and for staff pages the user themself.

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

const staffContextKey = "staff_user"

// staffOf returns the logged-in staff user (set by requireStaff).
func staffOf(c echo.Context) (domain.StaffUser, bool) {
	u, ok := c.Get(staffContextKey).(domain.StaffUser)
	return u, ok
}
