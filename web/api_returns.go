package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// orderReturnJSON is a return as answered on its own, with its order.
type orderReturnJSON struct {
	returnJSON
	OrderNumber string `json:"order_number"`
	Currency    string `json:"currency"`
}

func toOrderReturnJSON(r domain.OrderReturn) orderReturnJSON {
	out := orderReturnJSON{returnJSON: toReturnJSON(r.Return, r.Currency), OrderNumber: r.OrderNumber, Currency: r.Currency}
	out.OrderID = r.OrderID
	return out
}

// writeReturn answers one return, with its order's version as ETag (If-Match of a
// decision on it).
func writeReturn(c echo.Context, status int, r domain.OrderReturn) error {
	setETag(c, r.OrderVersion)
	return c.JSON(status, toOrderReturnJSON(r))
}

func (s *Server) apiRequestReturn(c echo.Context) error {
	var req struct {
		Items          []returnItemJSON `json:"items"`
		Reason         string           `json:"reason"`
		NotifyCustomer *bool            `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	in := service.NewReturn{Reason: req.Reason, Items: make([]domain.LineQuantity, len(req.Items))}
	for i, it := range req.Items {
		in.Items[i] = domain.LineQuantity{OrderItemID: it.OrderItemID, Quantity: it.Quantity, Reason: it.Reason}
	}
	r, err := s.svc.RequestReturn(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return writeReturn(c, http.StatusCreated, r)
}

func (s *Server) apiGetReturn(c echo.Context) error {
	r, err := s.svc.GetReturn(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeReturn(c, http.StatusOK, r)
}

type returnListJSON struct {
	Returns    []orderReturnJSON `json:"returns"`
	NextCursor *string           `json:"next_cursor"`
}

func (s *Server) apiListReturns(c echo.Context) error {
	f := service.ReturnFilter{Status: c.QueryParam("status"), Cursor: c.QueryParam("cursor")}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return domain.FieldErrors{"limit": "must be an integer between 1 and 200"}.Err()
		}
		f.Limit = n
	}
	page, err := s.svc.ListReturns(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := returnListJSON{Returns: make([]orderReturnJSON, len(page.Returns))}
	for i, r := range page.Returns {
		out.Returns[i] = toOrderReturnJSON(r)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiApproveReturn(c echo.Context) error {
	var req struct {
		Note           string `json:"note"`
		NotifyCustomer *bool  `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	r, err := s.svc.ApproveReturn(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), req.Note)
	if err != nil {
		return err
	}
	return writeReturn(c, http.StatusOK, r)
}

func (s *Server) apiRejectReturn(c echo.Context) error {
	var req struct {
		Note           string `json:"note"`
		NotifyCustomer *bool  `json:"notify_customer"` // a rejection emails nobody today
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	r, err := s.svc.RejectReturn(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), req.Note)
	if err != nil {
		return err
	}
	return writeReturn(c, http.StatusOK, r)
}

func (s *Server) apiReceiveReturn(c echo.Context) error {
	var req struct {
		Restock        bool  `json:"restock"`
		NotifyCustomer *bool `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	r, err := s.svc.ReceiveReturn(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), req.Restock)
	if err != nil {
		return err
	}
	return writeReturn(c, http.StatusOK, r)
}
