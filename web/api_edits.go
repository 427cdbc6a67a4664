package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

// apiPatchOrder changes an order's customer, addresses and notes (absent = unchanged).
func (s *Server) apiPatchOrder(c echo.Context) error {
	var req domain.OrderPatch
	if err := bind(c, &req); err != nil {
		return err
	}
	o, err := s.svc.PatchOrder(c.Request().Context(), actorOf(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, o)
}

type orderEditJSON struct {
	Add    []domain.ItemRequest `json:"add"`
	Remove []lineQuantityJSON   `json:"remove"`
	Reason string               `json:"reason"`
}

// apiEditOrder adds lines to an order and removes unshipped units; the answer's balance
// says what is now outstanding or owed back.
func (s *Server) apiEditOrder(c echo.Context) error {
	var req orderEditJSON
	if err := bind(c, &req); err != nil {
		return err
	}
	in := domain.OrderEdit{Add: req.Add, Reason: req.Reason}
	for _, r := range req.Remove {
		in.Remove = append(in.Remove, domain.LineQuantity{OrderItemID: r.OrderItemID, Quantity: r.Quantity})
	}
	o, err := s.svc.EditOrder(c.Request().Context(), actorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, o)
}
