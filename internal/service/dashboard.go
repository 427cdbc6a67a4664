package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Dashboard is what the back-office home page shows.
type Dashboard struct {
	Today         []CurrencyTotal // orders and revenue placed today, per currency
	StatusCounts  map[domain.Status]int
	ChartCurrency string
	Daily         []DayTotal // the last 30 days, oldest first, in ChartCurrency
	LowStock      []StockLevel
	Awaiting      []AwaitingOrder // oldest first
	AwaitingTotal int
	LowStockBelow int
}

// CurrencyTotal is a count of orders and their revenue in one currency.
type CurrencyTotal struct {
	Currency string
	Orders   int
	Revenue  decimal.Decimal
}

// DayTotal is one day of the chart.
type DayTotal struct {
	Day     time.Time
	Orders  int
	Revenue decimal.Decimal
}

// StockLevel is a SKU's stock as lists show it.
type StockLevel struct {
	SKU      string
	Name     string
	OnHand   int
	Reserved int
}

// Available is on hand minus reserved.
func (l StockLevel) Available() int { return l.OnHand - l.Reserved }

// AwaitingOrder is a paid order that has not fully shipped.
type AwaitingOrder struct {
	OrderNumber   string
	CustomerName  string
	CustomerEmail string
	Currency      string
	Total         decimal.Decimal
	Items         int
	Country       string
	CreatedAt     time.Time
}

// LowStockThreshold is the available quantity at or below which a SKU counts as low.
const LowStockThreshold = 5

// Dashboard gathers the home page's numbers; "today" starts at midnight UTC.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	q := queries.New(s.pool)
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since := today.AddDate(0, 0, -29)
	d := Dashboard{StatusCounts: map[domain.Status]int{}, LowStockBelow: LowStockThreshold}

	todayRows, err := q.DashboardToday(ctx, today)
	if err != nil {
		return d, fmt.Errorf("dashboard today: %w", err)
	}
	for _, r := range todayRows {
		d.Today = append(d.Today, CurrencyTotal{Currency: r.Currency, Orders: int(r.Orders), Revenue: r.Revenue})
	}
	counts, err := q.DashboardStatusCounts(ctx)
	if err != nil {
		return d, fmt.Errorf("dashboard status counts: %w", err)
	}
	for _, r := range counts {
		d.StatusCounts[domain.Status(r.Status)] = int(r.Orders)
	}
	d.ChartCurrency, err = q.DashboardTopCurrency(ctx, since)
	if errors.Is(err, pgx.ErrNoRows) {
		d.ChartCurrency, err = "USD", nil
	}
	if err != nil {
		return d, fmt.Errorf("dashboard currency: %w", err)
	}
	daily, err := q.DashboardDaily(ctx, queries.DashboardDailyParams{Since: since, Currency: d.ChartCurrency})
	if err != nil {
		return d, fmt.Errorf("dashboard daily: %w", err)
	}
	for _, r := range daily {
		d.Daily = append(d.Daily, DayTotal{Day: r.Day, Orders: int(r.Orders), Revenue: r.Revenue})
	}
	low, err := q.LowStock(ctx, queries.LowStockParams{Threshold: LowStockThreshold, Lim: 10})
	if err != nil {
		return d, fmt.Errorf("dashboard low stock: %w", err)
	}
	for _, r := range low {
		d.LowStock = append(d.LowStock, StockLevel{SKU: r.Sku, Name: r.Name, OnHand: int(r.OnHand), Reserved: int(r.Reserved)})
	}
	awaiting, err := q.DashboardAwaitingFulfillment(ctx, 10)
	if err != nil {
		return d, fmt.Errorf("dashboard awaiting fulfillment: %w", err)
	}
	for _, r := range awaiting {
		d.AwaitingTotal = int(r.TotalCount)
		d.Awaiting = append(d.Awaiting, AwaitingOrder{OrderNumber: r.OrderNumber, CustomerName: r.CustomerName,
			CustomerEmail: r.CustomerEmail, Currency: r.Currency, Total: r.Total, Items: int(r.ItemCount),
			Country: r.Country, CreatedAt: r.CreatedAt})
	}
	return d, nil
}
