package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// Saved views of the order list through the API (scope orders:read): a token's own and
// those shared with everyone; only the view's owner changes or deletes it.

type viewJSON struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	Query      string        `json:"query"`
	SharedWith string        `json:"shared_with"`
	Owner      viewOwnerJSON `json:"owner"`
	Mine       bool          `json:"mine"` // the caller owns it (and may change it)
	CreatedAt  apiTime       `json:"created_at"`
	UpdatedAt  apiTime       `json:"updated_at"`
}

type viewOwnerJSON struct {
	Type string `json:"type"` // staff or token
	Name string `json:"name"`
}

func toViewJSON(v domain.SavedView, caller domain.Actor) viewJSON {
	return viewJSON{ID: v.ID, Name: v.Name, Query: v.Query, SharedWith: v.SharedWith,
		Owner: viewOwnerJSON{Type: string(v.Owner.Type), Name: v.Owner.Name}, Mine: v.OwnedBy(caller),
		CreatedAt: apiTime(v.CreatedAt), UpdatedAt: apiTime(v.UpdatedAt)}
}

// viewChangeJSON is the body of POST and PUT /views; PUT changes what it names.
type viewChangeJSON struct {
	Name       *string `json:"name"`
	Query      *string `json:"query"`
	SharedWith *string `json:"shared_with"`
}

// change reads the body into a change, its query checked as the order list reads it.
func (r viewChangeJSON) change() (domain.ViewChange, error) {
	c := domain.ViewChange{Name: r.Name, SharedWith: r.SharedWith}
	if r.Query != nil {
		q, err := validateViewQuery(*r.Query)
		if err != nil {
			return c, err
		}
		c.Query = &q
	}
	return c, nil
}

func apiViewer(c echo.Context) service.Viewer { return service.Viewer{Actor: actorOf(c)} }

// apiListViews is GET /views.
func (s *Server) apiListViews(c echo.Context) error {
	views, err := s.svc.ListViews(c.Request().Context(), apiViewer(c))
	if err != nil {
		return err
	}
	out := struct {
		Views []viewJSON `json:"views"`
	}{Views: make([]viewJSON, len(views))}
	for i, v := range views {
		out.Views[i] = toViewJSON(v, actorOf(c))
	}
	return c.JSON(http.StatusOK, out)
}

// apiCreateView is POST /views: 201 and the view.
func (s *Server) apiCreateView(c echo.Context) error {
	var req viewChangeJSON
	if err := bind(c, &req); err != nil {
		return err
	}
	change, err := req.change()
	if err != nil {
		return err
	}
	v, err := s.svc.CreateView(c.Request().Context(), apiViewer(c), change)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toViewJSON(v, actorOf(c)))
}

// apiGetView is GET /views/{id}.
func (s *Server) apiGetView(c echo.Context) error {
	v, err := s.svc.GetView(c.Request().Context(), apiViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toViewJSON(v, actorOf(c)))
}

// apiUpdateView is PUT /views/{id}: any of name, query and shared_with.
func (s *Server) apiUpdateView(c echo.Context) error {
	var req viewChangeJSON
	if err := bind(c, &req); err != nil {
		return err
	}
	change, err := req.change()
	if err != nil {
		return err
	}
	v, err := s.svc.UpdateView(c.Request().Context(), apiViewer(c), c.Param("id"), change)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toViewJSON(v, actorOf(c)))
}

// apiDeleteView is DELETE /views/{id}: 204.
func (s *Server) apiDeleteView(c echo.Context) error {
	if err := s.svc.DeleteView(c.Request().Context(), apiViewer(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
