package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

func (s *Server) apiCreateOrder(c echo.Context) error {
	key, sent, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var req domain.NewOrder
	if err := bind(c, &req); err != nil {
		return err
	}
	var idem *service.Idempotency
	if sent {
		idem = &service.Idempotency{Scope: actorOf(c).ID, Key: key}
	}
	order, replayed, err := s.svc.CreateOrder(c.Request().Context(), actorOf(c), req, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return writeOrder(c, http.StatusCreated, order)
}

func (s *Server) apiGetOrder(c echo.Context) error {
	order, err := s.svc.GetOrder(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, order)
}

type orderListJSON struct {
	Orders     []orderJSON `json:"orders"`
	NextCursor *string     `json:"next_cursor"`
	Total      int64       `json:"total"`
	TotalExact bool        `json:"total_exact"`
}

func (s *Server) apiListOrders(c echo.Context) error {
	f, err := parseOrderFilter(c.QueryParams())
	if err != nil {
		return err
	}
	page, err := s.svc.ListOrders(c.Request().Context(), f, service.Everything)
	if err != nil {
		return err
	}
	out := orderListJSON{Orders: make([]orderJSON, len(page.Orders)), Total: page.Total, TotalExact: page.TotalExact}
	for i, o := range page.Orders {
		out.Orders[i] = toOrderJSON(o)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiTransition(c echo.Context) error {
	var req struct {
		Status         string `json:"status"`
		Note           string `json:"note"`
		NotifyCustomer *bool  `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Status == "" {
		return domain.FieldErrors{"status": "is required"}.Err()
	}
	order, err := s.svc.Transition(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), domain.Status(req.Status), req.Note)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, order)
}
