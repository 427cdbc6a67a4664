package web

import (
	"net/http"

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
	api := e.Group("/api/v1", s.requireToken, requireScope, ifMatch, s.idempotentAPI)
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
	api.PATCH("/orders/:id", s.apiPatchOrder)
	api.POST("/orders/:id/edits", s.apiEditOrder)
	api.POST("/orders/:id/transitions", s.apiTransition)
	api.POST("/orders/:id/payments", s.apiRecordPayment)
	api.POST("/orders/:id/payment_intents", s.apiCreatePaymentIntent)
	api.POST("/orders/:id/refunds", s.apiRefund)
	api.POST("/orders/:id/cancel", s.apiCancel)
	api.PUT("/orders/:id/tags", s.apiSetTags)
	api.POST("/orders/:id/hold", s.apiHold)
	api.POST("/orders/:id/release", s.apiRelease)
	api.POST("/orders/:id/fulfillments", s.apiCreateFulfillment)
	api.GET("/orders/:id/tracking", s.apiOrderTracking)
	api.POST("/fulfillments/:id/events", s.apiAddTrackingEvent)
	api.POST("/orders/:id/returns", s.apiRequestReturn)
	api.GET("/returns", s.apiListReturns)
	api.GET("/returns/:id", s.apiGetReturn)
	api.POST("/returns/:id/approve", s.apiApproveReturn)
	api.POST("/returns/:id/reject", s.apiRejectReturn)
	api.POST("/returns/:id/receive", s.apiReceiveReturn)
	api.GET("/webhook_endpoints", s.apiListWebhookEndpoints)
	api.POST("/webhook_endpoints", s.apiCreateWebhookEndpoint)
	api.DELETE("/webhook_endpoints/:id", s.apiDeleteWebhookEndpoint)
	api.GET("/views", s.apiListViews)
	api.POST("/views", s.apiCreateView)
	api.GET("/views/:id", s.apiGetView)
	api.PUT("/views/:id", s.apiUpdateView)
	api.DELETE("/views/:id", s.apiDeleteView)
	api.GET("/settings/deadlines", s.apiGetDeadlines)
	api.PUT("/settings/deadlines", s.apiPutDeadlines)
	api.GET("/activity", s.apiListActivity)
	api.GET("/activity/export", s.exportActivity)

	// The API's description (OpenAPI 3.1): no token
	e.GET("/api/v1/openapi.json", openAPI)

	// Payment gateways' callbacks: no token, each verified by its own signature
	e.POST("/webhooks/stripe", s.stripeWebhook)

	// Customers' order tracking: no token, one rate limit per client address for both
	track := s.trackLimiter()
	e.GET("/api/v1/track/:order_number", s.apiPublicTracking, track)
	e.GET("/track", s.pageTrack, track)
	e.POST("/track", s.pageTrack, track)
	e.POST("/api/v1/track/:order_number/returns", s.apiPublicReturn, track)
	e.POST("/track/returns", s.pageTrackReturn, track, sameOrigin)

	// Staff back-office: session login, CSRF on every form, one permission per route
	// (domain/permissions.go), forms that move money or stock act once per form drawn
	// (staffRoute's once); assets embedded, cached for a year by content hash.
	e.GET("/static/*", serveStatic())
	e.GET("/login", s.loginPage, s.pageChain()...)
	e.POST("/login", s.loginSubmit, s.pageChain()...)
	e.POST("/logout", s.logout, s.pageChain()...)
	e.POST("/logout/everywhere", s.logoutEverywhere, s.loadSession, s.csrfMW, s.requireStaff)
	s.staffRoute(http.MethodGet, "/", s.dashboardPage, domain.PermViewDashboard, false)
	s.staffRoute(http.MethodGet, "/orders", s.ordersPage, domain.PermViewOrders, false)
	s.staffRoute(http.MethodGet, "/orders/new", s.newOrderPage, domain.PermCreateOrders, false)
	s.staffRoute(http.MethodPost, "/orders/new", s.createNewOrder, domain.PermCreateOrders, true)
	s.staffRoute(http.MethodPost, "/orders/new/preview", s.previewNewOrder, domain.PermCreateOrders, false)
	s.staffRoute(http.MethodPost, "/orders/new/totals", s.newOrderTotals, domain.PermCreateOrders, false)
	s.staffRoute(http.MethodGet, "/orders/new/products", s.productSearch, domain.PermCreateOrders, false)
	s.staffRoute(http.MethodGet, "/orders/views", s.viewsPage, domain.PermSaveViews, false)
	s.staffRoute(http.MethodPost, "/orders/views", s.createView, domain.PermSaveViews, false)
	s.staffRoute(http.MethodPost, "/orders/views/tabs", s.reorderViews, domain.PermSaveViews, false)
	s.staffRoute(http.MethodPost, "/orders/views/defaults", s.setDefaultViews, domain.PermDefaultViews, false)
	s.staffRoute(http.MethodPost, "/orders/views/:id", s.updateView, domain.PermSaveViews, false)
	s.staffRoute(http.MethodPost, "/orders/views/:id/move", s.moveView, domain.PermSaveViews, false)
	s.staffRoute(http.MethodPost, "/orders/views/:id/delete", s.deleteView, domain.PermSaveViews, false)
	s.staffRoute(http.MethodPost, "/orders/bulk/status", s.bulkStatus, domain.PermTransitionOrders, false)
	s.staffRoute(http.MethodPost, "/orders/bulk/cancel", s.bulkCancel, domain.PermCancelOrders, true)
	s.staffRoute(http.MethodPost, "/orders/bulk/tag", s.bulkTag, domain.PermTagOrders, false)
	s.staffRoute(http.MethodGet, "/orders/bulk/:id", s.bulkCancelProgress, domain.PermCancelOrders, false)
	s.staffRoute(http.MethodPost, "/orders/export", s.exportOrders, domain.PermExportOrders, false)
	s.staffRoute(http.MethodGet, "/orders/exports/:id", s.exportProgress, domain.PermExportOrders, false)
	s.staffRoute(http.MethodGet, "/orders/exports/:id/file", s.exportDownload, domain.PermExportOrders, false)
	s.staffRoute(http.MethodGet, "/orders/packing-slips", s.packingSlips, domain.PermFulfill, false)
	s.staffRoute(http.MethodPost, "/orders/packing-slips", s.packingSlips, domain.PermFulfill, false)
	s.staffRoute(http.MethodGet, "/orders/:number/packing-slip", s.packingSlip, domain.PermFulfill, false)
	s.staffRoute(http.MethodGet, "/products", s.productsPage, domain.PermViewProducts, false)
	s.staffRoute(http.MethodGet, "/products/new", s.newProductPage, domain.PermEditProducts, false)
	s.staffRoute(http.MethodPost, "/products", s.createProduct, domain.PermEditProducts, false)
	s.staffRoute(http.MethodGet, "/products/:sku/edit", s.editProductPage, domain.PermEditProducts, false)
	s.staffRoute(http.MethodPost, "/products/:sku", s.updateProduct, domain.PermEditProducts, false)
	s.staffRoute(http.MethodPost, "/products/:sku/stock", s.adjustStock, domain.PermAdjustStock, false)
	s.staffRoute(http.MethodGet, "/orders/:number", s.orderDetailPage, domain.PermViewOrders, false)
	s.staffRoute(http.MethodGet, "/orders/:number/events", s.orderEvents, domain.PermViewOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/comments", s.addComment, domain.PermComment, false)
	s.staffRoute(http.MethodPost, "/orders/:number/tags", s.editTags, domain.PermTagOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/hold", s.holdOrder, domain.PermHoldOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/release", s.releaseOrder, domain.PermHoldOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/status", s.transitionOrder, domain.PermTransitionOrders, false)
	s.staffRoute(http.MethodGet, "/orders/:number/payment", s.paymentForm, domain.PermRecordPayments, false)
	s.staffRoute(http.MethodPost, "/orders/:number/payment", s.recordPayment, domain.PermRecordPayments, true)
	s.staffRoute(http.MethodGet, "/orders/:number/refund", s.refundForm, domain.PermRefund, false)
	s.staffRoute(http.MethodPost, "/orders/:number/refund", s.refund, domain.PermRefund, true)
	s.staffRoute(http.MethodGet, "/orders/:number/cancel", s.cancelForm, domain.PermCancelOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/cancel", s.cancel, domain.PermCancelOrders, true)
	s.staffRoute(http.MethodGet, "/orders/:number/return", s.returnForm, domain.PermCreateReturns, false)
	s.staffRoute(http.MethodPost, "/orders/:number/return", s.requestReturn, domain.PermCreateReturns, true)
	s.staffRoute(http.MethodGet, "/orders/:number/edit", s.editOrderPage, domain.PermEditOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/edit/contact", s.editOrderContact, domain.PermEditOrders, false)
	s.staffRoute(http.MethodPost, "/orders/:number/edit/lines", s.editOrderLines, domain.PermEditOrders, true)
	s.staffRoute(http.MethodGet, "/orders/:number/fulfill", s.fulfillForm, domain.PermFulfill, false)
	s.staffRoute(http.MethodPost, "/orders/:number/fulfill", s.fulfill, domain.PermFulfill, true)
	s.staffRoute(http.MethodGet, "/fulfillment", s.fulfillmentQueue, domain.PermFulfill, false)
	s.staffRoute(http.MethodGet, "/returns", s.returnsPage, domain.PermViewReturns, false)
	s.staffRoute(http.MethodPost, "/returns/:id/approve", s.approveReturn, domain.PermDecideReturns, true)
	s.staffRoute(http.MethodPost, "/returns/:id/reject", s.rejectReturn, domain.PermDecideReturns, true)
	s.staffRoute(http.MethodPost, "/returns/:id/receive", s.receiveReturn, domain.PermReceiveReturns, true)
	s.staffRoute(http.MethodGet, "/settings", s.showSettings(staffTab), domain.PermManageStaff, false)
	s.staffRoute(http.MethodPost, "/settings/staff", s.createStaff, domain.PermManageStaff, false)
	s.staffRoute(http.MethodPost, "/settings/staff/:id/role", s.changeStaffRole, domain.PermManageStaff, false)
	s.staffRoute(http.MethodPost, "/settings/staff/:id/status", s.changeStaffStatus, domain.PermManageStaff, false)
	s.staffRoute(http.MethodPost, "/settings/staff/:id/password", s.resetStaffPassword, domain.PermManageStaff, false)
	s.staffRoute(http.MethodGet, "/settings/tokens", s.showSettings(tokensTab), domain.PermManageTokens, false)
	s.staffRoute(http.MethodPost, "/settings/tokens", s.createToken, domain.PermManageTokens, false)
	s.staffRoute(http.MethodPost, "/settings/tokens/:id/revoke", s.revokeToken, domain.PermManageTokens, false)
	s.staffRoute(http.MethodGet, "/settings/tax", s.showSettings(taxTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/tax", s.saveTaxRate, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/tax/:id", s.saveTaxRate, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/tax/:id/delete", s.deleteTaxRate, domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/shipping", s.showSettings(shippingTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/shipping", s.saveShippingRate, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/shipping/:id", s.saveShippingRate, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/shipping/:id/delete", s.deleteShippingRate, domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/coupons", s.showSettings(couponsTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/coupons", s.saveCoupon, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/coupons/:id", s.saveCoupon, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/coupons/:id/delete", s.deleteCoupon, domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/emails", s.showSettings(emailsTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/emails/:kind", s.showSettings(emailsTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/emails/:kind", s.saveEmail, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/emails/:kind/preview", s.previewEmail, domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/webhooks", s.showSettings(webhooksTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/webhooks", s.createWebhook, domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/webhooks/:id", s.showSettings(webhooksTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/webhooks/:id/delete", s.deleteWebhook, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/webhooks/:id/enable", s.enableWebhook, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/webhooks/:id/deliveries/:delivery/redeliver", s.redeliverWebhook, domain.PermManageSettings, false)
	s.staffRoute(http.MethodGet, "/settings/deadlines", s.showSettings(deadlinesTab), domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/settings/deadlines", s.saveDeadlines, domain.PermManageSettings, false)
	s.staffRoute(http.MethodPost, "/account/late-digest", s.setLateDigest, domain.PermViewDashboard, false)
	s.staffRoute(http.MethodGet, "/activity", s.activityPage, domain.PermViewActivity, false)
	s.staffRoute(http.MethodGet, "/activity/export", s.exportActivity, domain.PermViewActivity, false)
}

// staffRoute registers a staff page or form: session, CSRF, a logged-in user and perm;
// once: a form that moves money or stock, acting once per form drawn (oneTimeForm). The
// route and its permission go into s.permissions, the matrix the tests walk, so that no
// staff route exists without a row in it.
func (s *Server) staffRoute(method, path string, h echo.HandlerFunc, perm domain.Permission, once bool) {
	mw := s.staffPage(perm)
	if once {
		mw = append(mw, s.oneTimeForm)
	}
	s.echo.Add(method, path, h, mw...)
	s.permissions[method+" "+path] = perm
}
