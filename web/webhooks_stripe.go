package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// stripeWebhook takes Stripe's events. The raw body is what Stripe signed, so it is read
// as is (up to 1 MiB) and verified before anything is decoded.
func (s *Server) stripeWebhook(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if err := s.svc.HandleStripeWebhook(c.Request().Context(), body, c.Request().Header.Get("Stripe-Signature")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"received": true})
}
