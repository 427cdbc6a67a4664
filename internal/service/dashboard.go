package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
	// Deadlines: the shop has shipping deadlines; Late and AtRisk count the orders past
	// theirs and near it (the list's sla filters).
	Deadlines    bool
	Late, AtRisk ListCount
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

// Dashboard gathers the home page's numbers; "today" starts at midnight UTC. It reads the
// order counters and a page of the warehouse queue, never the orders table as a whole,
// so it costs the same at any number of orders.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since := today.AddDate(0, 0, -(dashboardDays - 1))
	d := Dashboard{StatusCounts: map[domain.Status]int{}, LowStockBelow: LowStockThreshold}

	tx, err := s.reader(ctx).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	q := queries.New(tx)
	states, err := orderStates(ctx, q)
	if err != nil {
		return d, err
	}
	for _, c := range states {
		d.StatusCounts[domain.Status(c.state.Status)] += int(c.orders)
	}
	days, err := q.OrderDailyStats(ctx, since)
	if err != nil {
		return d, fmt.Errorf("dashboard daily: %w", err)
	}
	d.Today, d.ChartCurrency, d.Daily = dailyFigures(days, today, since)

	low, err := q.LowStock(ctx, queries.LowStockParams{Threshold: LowStockThreshold, Lim: 10})
	if err != nil {
		return d, fmt.Errorf("dashboard low stock: %w", err)
	}
	for _, r := range low {
		d.LowStock = append(d.LowStock, StockLevel{SKU: r.Sku, Name: r.Name, OnHand: int(r.OnHand), Reserved: int(r.Reserved)})
	}
	if err := tx.Commit(ctx); err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	awaiting, err := s.ListOrders(ctx, FulfillmentQueueFilter(dashboardAwaiting), RowsOnly)
	if err != nil {
		return d, fmt.Errorf("dashboard awaiting fulfillment: %w", err)
	}
	d.AwaitingTotal = int(awaiting.Total)
	row, err := queries.New(s.pool).GetDeadlineSettings(ctx)
	if err != nil {
		return d, fmt.Errorf("dashboard deadlines: %w", err)
	}
	rules, err := s.rulesOf(row)
	if err != nil {
		return d, err
	}
	if d.Deadlines = rules.Enabled(); d.Deadlines {
		counts, err := s.CountOrders(ctx, []domain.OrderFilter{{SLA: domain.SLALate}, {SLA: domain.SLAAtRisk}})
		if err != nil {
			return d, fmt.Errorf("dashboard deadlines: %w", err)
		}
		d.Late, d.AtRisk = counts[0], counts[1]
	}
	for _, o := range awaiting.Orders {
		d.Awaiting = append(d.Awaiting, AwaitingOrder{OrderNumber: o.Number, CustomerName: o.Customer.Name,
			CustomerEmail: o.Customer.Email, Currency: o.Currency, Total: o.Total, Items: o.ItemCount,
			Country: o.ShippingAddress.Country, CreatedAt: o.CreatedAt})
	}
	return d, nil
}

// dashboardDays is how many days the chart shows; dashboardAwaiting how many orders of
// the warehouse queue.
const (
	dashboardDays     = 30
	dashboardAwaiting = 10
)

// FulfillmentQueueFilter is the warehouse queue: paid and processing orders with items
// left to ship, not on hold, the soonest shipping deadline first (oldest first without
// deadlines).
func FulfillmentQueueFilter(limit int) domain.OrderFilter {
	return domain.OrderFilter{
		Statuses:            slices.Clone(domain.ShippingStatuses),
		FulfillmentStatuses: []domain.FulfillmentStatus{domain.FulfillmentUnfulfilled, domain.FulfillmentPartiallyFulfilled},
		Held:                new(false), // held orders must not ship
		Sort:                domain.SortShipBy, Limit: limit,
	}
}

// dailyFigures turns the daily counters into today's figures per currency (most orders
// first) and the chart: every day from since to today, in the currency with the most
// orders over those days (USD when there are none).
func dailyFigures(rows []queries.OrderDailyStatsRow, today, since time.Time) (todays []CurrencyTotal, currency string, chart []DayTotal) {
	perCurrency := map[string]int64{}
	for _, r := range rows {
		perCurrency[r.Currency] += r.Orders
		if r.Day.Equal(today) && r.Orders != 0 {
			todays = append(todays, CurrencyTotal{Currency: r.Currency, Orders: int(r.Orders), Revenue: r.Revenue})
		}
	}
	slices.SortFunc(todays, func(a, b CurrencyTotal) int {
		return cmp.Or(cmp.Compare(b.Orders, a.Orders), cmp.Compare(a.Currency, b.Currency))
	})
	currency = "USD"
	for c, n := range perCurrency {
		if best := perCurrency[currency]; n > best || n == best && n > 0 && c < currency {
			currency = c
		}
	}
	byDay := map[time.Time]queries.OrderDailyStatsRow{}
	for _, r := range rows {
		if r.Currency == currency {
			byDay[r.Day] = r
		}
	}
	for day := since; !day.After(today); day = day.AddDate(0, 0, 1) {
		r := byDay[day]
		chart = append(chart, DayTotal{Day: day, Orders: int(r.Orders), Revenue: r.Revenue})
	}
	return todays, currency, chart
}
