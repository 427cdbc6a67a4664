package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

// apiSetTags is PUT /orders/{id}/tags: the order's tags, all of them.
func (s *Server) apiSetTags(c echo.Context) error {
	var req struct {
		Tags *[]string `json:"tags"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Tags == nil {
		return domain.FieldErrors{"tags": "is required (an empty list removes every tag)"}.Err()
	}
	order, err := s.svc.SetTags(c.Request().Context(), actorOf(c), c.Param("id"), *req.Tags)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, order)
}

func (s *Server) apiHold(c echo.Context) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	order, err := s.svc.Hold(c.Request().Context(), actorOf(c), c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, order)
}

func (s *Server) apiRelease(c echo.Context) error {
	order, err := s.svc.Release(c.Request().Context(), actorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, order)
}
