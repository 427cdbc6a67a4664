package web

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the one route table of the OMS.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.baseMiddleware()...)

	// Operations
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.Handler()))

	// JSON API for integrations (bearer token)
	api := e.Group("/api/v1", s.requireToken)
	api.PUT("/products/:sku", s.apiPutProduct)
	api.GET("/products/:sku", s.apiGetProduct)
	api.PUT("/inventory/:sku", s.apiPutInventory)
	api.GET("/inventory/:sku", s.apiGetInventory)
	api.POST("/inventory/:sku/adjustments", s.apiAdjustInventory)
	api.POST("/orders", s.apiCreateOrder)
	api.GET("/orders", s.apiListOrders)
	api.GET("/orders/:id", s.apiGetOrder)
	api.POST("/orders/:id/transitions", s.apiTransition)
}
