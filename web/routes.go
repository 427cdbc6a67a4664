package web

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oms/oms/internal/domain"
)

// routes is the one route table of the OMS.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.baseMiddleware()...)
	e.Use(s.securityHeaders)

	// Operations
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if !s.cfg.MetricsElsewhere {
		e.GET("/metrics", echo.WrapHandler(promhttp.Handler()), loopbackOnly)
	}

	// JSON API for integrations (bearer token)
	api := e.Group("/api/v1", s.requireToken, requireScope, s.idempotentAPI)
	api.PUT("/products/:sku", s.apiPutProduct)
	api.GET("/products/:sku", s.apiGetProduct)
	api.PUT("/inventory/:sku", s.apiPutInventory)
	api.GET("/inventory/:sku", s.apiGetInventory)
	api.POST("/inventory/:sku/adjustments", s.apiAdjustInventory)
	api.POST("/orders", s.apiCreateOrder)
	api.GET("/orders", s.apiListOrders)
	api.POST("/orders/bulk/status", s.apiBulkStatus)
	api.GET("/orders/export", s.apiExportOrders)
	api.GET("/orders/:id", s.apiGetOrder)
	api.POST("/orders/:id/transitions", s.apiTransition)
	api.POST("/orders/:id/payments", s.apiRecordPayment)
	api.POST("/orders/:id/payment_intents", s.apiCreatePaymentIntent)
	api.POST("/orders/:id/refunds", s.apiRefund)
	api.POST("/orders/:id/cancel", s.apiCancel)
	api.POST("/orders/:id/fulfillments", s.apiCreateFulfillment)
	api.GET("/orders/:id/tracking", s.apiOrderTracking)
	api.POST("/fulfillments/:id/events", s.apiAddTrackingEvent)
	api.POST("/orders/:id/returns", s.apiRequestReturn)
	api.GET("/returns", s.apiListReturns)
	api.GET("/returns/:id", s.apiGetReturn)
	api.POST("/returns/:id/approve", s.apiApproveReturn)
	api.POST("/returns/:id/reject", s.apiRejectReturn)
	api.POST("/returns/:id/receive", s.apiReceiveReturn)

	// Payment gateways' callbacks: no token, each verified by its own signature
	e.POST("/webhooks/stripe", s.stripeWebhook)

	// Customers' order tracking: no token, one rate limit per client address for both
	track := s.trackLimiter()
	e.GET("/api/v1/track/:order_number", s.apiPublicTracking, track)
	e.GET("/track", s.pageTrack, track)
	e.POST("/track", s.pageTrack, track)

	// Staff back-office: session login, CSRF on every form, one permission per route
	// (domain/permissions.go), forms that move money or stock act once per form drawn
	// (oncePage); assets embedded, cached for a year by content hash.
	e.GET("/static/*", serveStatic())
	e.GET("/login", s.loginPage, s.pageChain()...)
	e.POST("/login", s.loginSubmit, s.pageChain()...)
	e.POST("/logout", s.logout, s.pageChain()...)
	e.POST("/logout/everywhere", s.logoutEverywhere, s.loadSession, s.csrfMW, s.requireStaff)
	e.GET("/", s.dashboardPage, s.staffPage(domain.PermViewDashboard)...)
	e.GET("/orders", s.ordersPage, s.staffPage(domain.PermViewOrders)...)
	e.POST("/orders/bulk/status", s.bulkStatus, s.staffPage(domain.PermTransitionOrders)...)
	e.POST("/orders/bulk/cancel", s.bulkCancel, s.oncePage(domain.PermCancelOrders)...)
	e.GET("/orders/bulk/:id", s.bulkCancelProgress, s.staffPage(domain.PermCancelOrders)...)
	e.POST("/orders/export", s.exportOrders, s.staffPage(domain.PermExportOrders)...)
	e.GET("/orders/exports/:id", s.exportProgress, s.staffPage(domain.PermExportOrders)...)
	e.GET("/orders/exports/:id/file", s.exportDownload, s.staffPage(domain.PermExportOrders)...)
	e.GET("/orders/packing-slips", s.packingSlips, s.staffPage(domain.PermFulfill)...)
	e.POST("/orders/packing-slips", s.packingSlips, s.staffPage(domain.PermFulfill)...)
	e.GET("/orders/:number/packing-slip", s.packingSlip, s.staffPage(domain.PermFulfill)...)
	e.GET("/products", s.productsPage, s.staffPage(domain.PermViewProducts)...)
	e.GET("/products/new", s.newProductPage, s.staffPage(domain.PermEditProducts)...)
	e.POST("/products", s.createProduct, s.staffPage(domain.PermEditProducts)...)
	e.GET("/products/:sku/edit", s.editProductPage, s.staffPage(domain.PermEditProducts)...)
	e.POST("/products/:sku", s.updateProduct, s.staffPage(domain.PermEditProducts)...)
	e.POST("/products/:sku/stock", s.adjustStock, s.staffPage(domain.PermAdjustStock)...)
	e.GET("/orders/:number", s.orderDetailPage, s.staffPage(domain.PermViewOrders)...)
	e.GET("/orders/:number/events", s.orderEvents, s.staffPage(domain.PermViewOrders)...)
	e.POST("/orders/:number/comments", s.addComment, s.staffPage(domain.PermComment)...)
	e.POST("/orders/:number/status", s.transitionOrder, s.staffPage(domain.PermTransitionOrders)...)
	e.GET("/orders/:number/payment", s.paymentForm, s.staffPage(domain.PermRecordPayments)...)
	e.POST("/orders/:number/payment", s.recordPayment, s.oncePage(domain.PermRecordPayments)...)
	e.GET("/orders/:number/refund", s.refundForm, s.staffPage(domain.PermRefund)...)
	e.POST("/orders/:number/refund", s.refund, s.oncePage(domain.PermRefund)...)
	e.GET("/orders/:number/cancel", s.cancelForm, s.staffPage(domain.PermCancelOrders)...)
	e.POST("/orders/:number/cancel", s.cancel, s.oncePage(domain.PermCancelOrders)...)
	e.GET("/orders/:number/return", s.returnForm, s.staffPage(domain.PermCreateReturns)...)
	e.POST("/orders/:number/return", s.requestReturn, s.oncePage(domain.PermCreateReturns)...)
	e.GET("/orders/:number/fulfill", s.fulfillForm, s.staffPage(domain.PermFulfill)...)
	e.POST("/orders/:number/fulfill", s.fulfill, s.oncePage(domain.PermFulfill)...)
	e.GET("/fulfillment", s.fulfillmentQueue, s.staffPage(domain.PermFulfill)...)
	e.GET("/returns", s.returnsPage, s.staffPage(domain.PermViewReturns)...)
	e.POST("/returns/:id/approve", s.approveReturn, s.oncePage(domain.PermDecideReturns)...)
	e.POST("/returns/:id/reject", s.rejectReturn, s.oncePage(domain.PermDecideReturns)...)
	e.POST("/returns/:id/receive", s.receiveReturn, s.oncePage(domain.PermReceiveReturns)...)
	e.GET("/settings", s.showSettings(staffTab), s.staffPage(domain.PermManageStaff)...)
	e.POST("/settings/staff", s.createStaff, s.staffPage(domain.PermManageStaff)...)
	e.POST("/settings/staff/:id/role", s.changeStaffRole, s.staffPage(domain.PermManageStaff)...)
	e.POST("/settings/staff/:id/status", s.changeStaffStatus, s.staffPage(domain.PermManageStaff)...)
	e.POST("/settings/staff/:id/password", s.resetStaffPassword, s.staffPage(domain.PermManageStaff)...)
	e.GET("/settings/tokens", s.showSettings(tokensTab), s.staffPage(domain.PermManageTokens)...)
	e.POST("/settings/tokens", s.createToken, s.staffPage(domain.PermManageTokens)...)
	e.POST("/settings/tokens/:id/revoke", s.revokeToken, s.staffPage(domain.PermManageTokens)...)
	e.GET("/settings/tax", s.showSettings(taxTab), s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/tax", s.saveTaxRate, s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/tax/:id", s.saveTaxRate, s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/tax/:id/delete", s.deleteTaxRate, s.staffPage(domain.PermManageSettings)...)
	e.GET("/settings/shipping", s.showSettings(shippingTab), s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/shipping", s.saveShippingRate, s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/shipping/:id", s.saveShippingRate, s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/shipping/:id/delete", s.deleteShippingRate, s.staffPage(domain.PermManageSettings)...)
	e.GET("/settings/coupons", s.showSettings(couponsTab), s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/coupons", s.saveCoupon, s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/coupons/:id", s.saveCoupon, s.staffPage(domain.PermManageSettings)...)
	e.POST("/settings/coupons/:id/delete", s.deleteCoupon, s.staffPage(domain.PermManageSettings)...)
}
