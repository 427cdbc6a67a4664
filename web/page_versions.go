package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Back-office forms that change an order carry the version they were drawn from
// (views.OrderVersionField): posted against an order that changed since, they are drawn
// again with what changed (formErrors), and nothing is done.

// formVersion makes a staff form that carries the version it was drawn from
// (views.OrderVersionField) change the order only if it is still at that version.
func formVersion(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok, err := formPrecondition(c)
		if err != nil {
			return err
		}
		if ok {
			c.SetRequest(c.Request().WithContext(service.IfMatch(c.Request().Context(), p)))
		}
		return next(c)
	}
}

// formPrecondition is the version a posted form was drawn from; ok is false for a form
// without one.
func formPrecondition(c echo.Context) (p domain.Precondition, ok bool, err error) {
	if c.Request().Method != http.MethodPost {
		return p, false, nil
	}
	raw := c.FormValue(views.OrderVersionFieldName)
	if raw == "" {
		return p, false, nil
	}
	v, ok := versionNumber(raw)
	if !ok {
		return p, false, domain.Errorf(domain.CodeBadRequest, "the form's order version is not a version")
	}
	return domain.Precondition{Versions: []int64{v}}, true, nil
}

// checkFormVersion refuses, as the service would, a form step that changes nothing yet
// (a review before confirming) when the order changed since the form was drawn.
func checkFormVersion(c echo.Context, o domain.Order) error {
	p, ok, err := formPrecondition(c)
	if err != nil || !ok {
		return err
	}
	return p.Check(o)
}

// staleChanges lists, for a form refused because the order changed, what changed since
// the form was drawn: the history entries of the changes made meanwhile, as the order's
// timeline titles them.
func staleChanges(stale *domain.StaleError) []string {
	o := stale.Order
	o.History = stale.Changes()
	entries := timeline(o)
	slices.Reverse(entries)
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Title
		if e.Status != "" && e.Kind != "status" {
			out[i] += " (" + strings.ToLower(views.Humanize(e.Status)) + ")"
		}
		if e.Note != "" {
			out[i] += ": " + e.Note
		}
		out[i] += ", by " + e.Actor
	}
	return out
}
