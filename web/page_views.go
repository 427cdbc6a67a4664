package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Saved views in the back office: "Save view" on the order list, the tabs (dragged into
// another order by app.js), and /orders/views to rename, share, order and delete them,
// where an admin also sets each role's default view.

func pageViewer(c echo.Context) service.Viewer {
	me, _ := staffOf(c)
	return service.Viewer{Actor: me.Actor(), Role: me.Role}
}

// createView saves the list's current view (POST /orders/views) and opens it; refused,
// the list again with the form open and its messages.
func (s *Server) createView(c echo.Context) error {
	form := views.SaveViewForm{Query: c.FormValue("query"), Name: c.FormValue("name"), SharedWith: c.FormValue("shared_with")}
	if form.SharedWith == "" {
		form.SharedWith = domain.ShareMe
	}
	change := domain.ViewChange{Name: &form.Name, SharedWith: &form.SharedWith}
	query, err := validateViewQuery(form.Query)
	var sv domain.SavedView
	if err == nil {
		change.Query = &query
		sv, err = s.svc.CreateView(c.Request().Context(), pageViewer(c), change)
	}
	if err == nil {
		s.flashSuccess(c, "Saved the view "+sv.Name+". It is a tab above the list now.")
		return c.Redirect(http.StatusSeeOther, "/orders"+queryString(mustQuery(sv.Query)))
	}
	fail, err := s.formErrors(c, err, "name", "shared_with", "query")
	if err != nil {
		return err
	}
	form.Errors = fail.Errors
	if m := fail.Errors[""]; m != "" {
		form.Errors["query"] = m
	}
	c.Request().URL.RawQuery = form.Query // the list the form was sent from
	return s.renderOrders(c, &form)
}

func mustQuery(s string) url.Values {
	v, _ := url.ParseQuery(s) // a saved view's query, checked when saved
	return v
}

// viewsPage is /orders/views: the views the user sees, in the order of their tabs.
func (s *Server) viewsPage(c echo.Context) error {
	return s.renderViews(c, http.StatusOK, views.ViewsPage{})
}

func (s *Server) renderViews(c echo.Context, status int, v views.ViewsPage) error {
	ctx := c.Request().Context()
	saved, err := s.svc.ListViews(ctx, pageViewer(c))
	if err != nil {
		return err
	}
	me, _ := staffOf(c)
	for _, sv := range saved {
		v.Rows = append(v.Rows, views.ViewRow{ID: sv.ID, Name: sv.Name, Href: "/orders" + queryString(mustQuery(sv.Query)),
			Query: sv.Query, SharedWith: sv.SharedWith, Owner: sv.Owner.Name, Mine: sv.OwnedBy(me.Actor())})
	}
	if me.Role.Can(domain.PermDefaultViews) {
		defaults, err := s.svc.RoleDefaultViews(ctx)
		if err != nil {
			return err
		}
		for _, r := range domain.Roles {
			rv, err := s.svc.RoleViews(ctx, r)
			if err != nil {
				return err
			}
			d := views.RoleDefault{Role: string(r), Current: defaults[r].ID, Options: []views.Option{{Value: "", Label: "All orders (no default)"}}}
			for _, sv := range rv {
				d.Options = append(d.Options, views.Option{Value: sv.ID, Label: sv.Name})
			}
			v.Defaults = append(v.Defaults, d)
		}
	}
	return render(c, status, views.SavedViewsPage(s.page(c, "Saved views", "orders"), v))
}

// updateView renames a view or changes who sees it (POST /orders/views/{id}).
func (s *Server) updateView(c echo.Context) error {
	name, share := c.FormValue("name"), c.FormValue("shared_with")
	sv, err := s.svc.UpdateView(c.Request().Context(), pageViewer(c), c.Param("id"), domain.ViewChange{Name: &name, SharedWith: &share})
	if err == nil {
		s.flashSuccess(c, "Saved the view "+sv.Name+" ("+views.ShareLabel(sv.SharedWith)+").")
		return c.Redirect(http.StatusSeeOther, "/orders/views")
	}
	fail, err := s.formErrors(c, err, "name", "shared_with")
	if err != nil {
		return err
	}
	return s.renderViews(c, fail.Status, views.ViewsPage{Editing: c.Param("id"), Form: views.Form{ID: c.Param("id"),
		Values: map[string]string{"name": name, "shared_with": share}, Errors: fail.Errors}})
}

// deleteView deletes a view of the user's (POST /orders/views/{id}/delete).
func (s *Server) deleteView(c echo.Context) error {
	err := s.svc.DeleteView(c.Request().Context(), pageViewer(c), c.Param("id"))
	return s.settingsAction(c, "/orders/views", err, "View deleted.")
}

// moveView moves a tab one place left or right (POST /orders/views/{id}/move, dir=left|right).
func (s *Server) moveView(c echo.Context) error {
	delta := 1
	if c.FormValue("dir") == "left" {
		delta = -1
	}
	err := s.svc.MoveView(c.Request().Context(), pageViewer(c), c.Param("id"), delta)
	return s.settingsAction(c, "/orders/views", err, "Tabs reordered.")
}

// reorderViews sets the order of the user's tabs (POST /orders/views/tabs, ids in order):
// what dragging a tab sends; 204 to a script, else back to the list of views.
func (s *Server) reorderViews(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "could not read the form")
	}
	if err := s.svc.SetViewTabs(c.Request().Context(), pageViewer(c), form["ids"]); err != nil {
		return err
	}
	if c.Request().Header.Get("X-Requested-With") != "" || isHTMX(c) {
		return c.NoContent(http.StatusNoContent)
	}
	s.flashSuccess(c, "Tabs reordered.")
	return c.Redirect(http.StatusSeeOther, "/orders/views")
}

// setDefaultViews sets the view each role's list opens with (POST /orders/views/defaults,
// default_<role>=view id or empty).
func (s *Server) setDefaultViews(c echo.Context) error {
	ctx := c.Request().Context()
	current, err := s.svc.RoleDefaultViews(ctx)
	if err != nil {
		return err
	}
	for _, r := range domain.Roles {
		id := c.FormValue("default_" + string(r))
		if id == current[r].ID {
			continue
		}
		if err := s.svc.SetRoleDefaultView(ctx, r, id); err != nil {
			return s.settingsAction(c, "/orders/views", err, "")
		}
	}
	s.flashSuccess(c, "Default views saved: each role's order list opens with its view.")
	return c.Redirect(http.StatusSeeOther, "/orders/views")
}
