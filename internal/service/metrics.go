package service

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Business metrics, counted where the change commits so that every path (API, pages,
// jobs) is counted once.
var (
	ordersCreated = promauto.NewCounter(prometheus.CounterOpts{
		Name: "oms_orders_created_total", Help: "Orders created."})
	outOfStock = promauto.NewCounter(prometheus.CounterOpts{
		Name: "oms_out_of_stock_total", Help: "Order creations refused for lack of stock."})
	transitions = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "oms_order_transitions_total", Help: "Order status changes."}, []string{"from", "to"})
)
