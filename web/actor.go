package web

import (
	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// Who makes a request: the actor every change is recorded under (an API token or a staff
// user), and for staff pages the user themself.

// withActor records who is making the request, in its context: the services record it
// in the activity log for the changes that take no actor of their own.
func withActor(c echo.Context, a domain.Actor) {
	c.SetRequest(c.Request().WithContext(service.WithActor(c.Request().Context(), a)))
}

// actorOf returns who is making the request (set by requireToken or the staff session).
func actorOf(c echo.Context) domain.Actor {
	a, _ := service.ActorOf(c.Request().Context())
	return a
}

const staffContextKey = "staff_user"

// staffOf returns the logged-in staff user (set by requireStaff).
func staffOf(c echo.Context) (domain.StaffUser, bool) {
	u, ok := c.Get(staffContextKey).(domain.StaffUser)
	return u, ok
}
