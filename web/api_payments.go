package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// orderPaymentJSON is a payment as answered on its own: the order it belongs to and the
// order's money summary after it.
type orderPaymentJSON struct {
	paymentJSON
	OrderID       string `json:"order_id"`
	OrderNumber   string `json:"order_number"`
	PaymentStatus string `json:"payment_status"`
	OrderStatus   string `json:"order_status"`
}

func (s *Server) apiRecordPayment(c echo.Context) error {
	var req struct {
		Amount         *Money `json:"amount"`
		Gateway        string `json:"gateway"`
		Reference      string `json:"reference"`
		NotifyCustomer *bool  `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return domain.FieldErrors{"amount": "is required"}.Err()
	}
	p, o, err := s.svc.RecordPayment(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"),
		service.NewPayment{Amount: req.Amount.Decimal, Gateway: req.Gateway, Reference: req.Reference})
	if err != nil {
		return err
	}
	setETag(c, o.Version)
	return c.JSON(http.StatusCreated, orderPaymentJSON{
		paymentJSON: toPaymentJSON(p),
		OrderID:     o.ID, OrderNumber: o.Number, PaymentStatus: string(o.PaymentStatus), OrderStatus: string(o.Status)})
}

type paymentIntentJSON struct {
	ID           string `json:"id"`
	ClientSecret string `json:"client_secret"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	PaymentID    string `json:"payment_id"`
}

func (s *Server) apiCreatePaymentIntent(c echo.Context) error {
	var req struct{}
	if err := bind(c, &req); err != nil {
		return err
	}
	pi, err := s.svc.CreatePaymentIntent(c.Request().Context(), actorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	setETag(c, pi.OrderVersion)
	return c.JSON(http.StatusCreated, paymentIntentJSON{ID: pi.ID, ClientSecret: pi.ClientSecret,
		Amount: domain.FormatAmount(pi.Amount, pi.Currency), Currency: pi.Currency, PaymentID: pi.PaymentID})
}

// orderRefundJSON is a refund as answered on its own.
type orderRefundJSON struct {
	refundJSON
	OrderID       string `json:"order_id"`
	OrderNumber   string `json:"order_number"`
	PaymentStatus string `json:"payment_status"`
	OrderStatus   string `json:"order_status"`
}

func (s *Server) apiRefund(c echo.Context) error {
	var req struct {
		Amount         *Money `json:"amount"`
		Reason         string `json:"reason"`
		NotifyCustomer *bool  `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return domain.FieldErrors{"amount": "is required"}.Err()
	}
	r, o, err := s.svc.Refund(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), req.Amount.Decimal, req.Reason)
	if err != nil {
		return err
	}
	setETag(c, o.Version)
	return c.JSON(http.StatusCreated, orderRefundJSON{
		refundJSON: toRefundJSON(r, o.Currency),
		OrderID:    o.ID, OrderNumber: o.Number, PaymentStatus: string(o.PaymentStatus), OrderStatus: string(o.Status)})
}

func (s *Server) apiCancel(c echo.Context) error {
	var req struct {
		Reason         string `json:"reason"`
		Refund         bool   `json:"refund"`
		NotifyCustomer *bool  `json:"notify_customer"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	o, _, err := s.svc.Cancel(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), req.Reason, req.Refund)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, o)
}
