package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

func (s *Server) dashboardPage(c echo.Context) error {
	d, err := s.svc.Dashboard(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.Dashboard{LowStockBelow: d.LowStockBelow, AwaitingTotal: d.AwaitingTotal, Deadlines: d.Deadlines,
		Late: listCountText(d.Late), AtRisk: listCountText(d.AtRisk)}
	if me, ok := staffOf(c); ok && d.Deadlines {
		if v.Digest, err = s.svc.LateDigest(c.Request().Context(), me.ID); err != nil {
			return err
		}
	}
	for _, t := range d.Today {
		v.Today = append(v.Today, views.CurrencyAmount{Currency: t.Currency, Orders: t.Orders, Revenue: t.Revenue})
	}
	for _, st := range domain.Statuses {
		v.StatusCounts = append(v.StatusCounts, views.StatusCount{Status: string(st), Count: d.StatusCounts[st]})
	}
	days := make([]views.ChartDay, len(d.Daily))
	for i, day := range d.Daily {
		days[i] = views.ChartDay{Day: day.Day, Orders: day.Orders, Revenue: day.Revenue}
	}
	v.Chart = views.NewChart(days, d.ChartCurrency, 900, 220)
	for _, l := range d.LowStock {
		v.LowStock = append(v.LowStock, views.StockRow{SKU: l.SKU, Name: l.Name, OnHand: l.OnHand, Reserved: l.Reserved, Available: l.Available()})
	}
	for _, o := range d.Awaiting {
		name := o.CustomerName
		if name == "" {
			name = o.CustomerEmail
		}
		v.Awaiting = append(v.Awaiting, views.AwaitingRow{Number: o.OrderNumber, Customer: name, Email: o.CustomerEmail,
			Total: o.Total, Currency: o.Currency, Items: o.Items, Country: o.Country, CreatedAt: o.CreatedAt})
	}
	return render(c, http.StatusOK, views.DashboardPage(s.page(c, "Dashboard", "dashboard"), v))
}

// listCountText is a count as lists show it: "1,234", or "10,000+" beyond what is counted.
func listCountText(n service.ListCount) string {
	return views.ListCount{Total: n.N, Exact: n.Exact && n.N < domain.ExactCountLimit}.TotalText()
}

// setLateDigest switches the user's daily email of late orders on or off
// (POST /account/late-digest, on=true|false), from the dashboard.
func (s *Server) setLateDigest(c echo.Context) error {
	me, _ := staffOf(c)
	on := c.FormValue("on") == "true"
	if err := s.svc.SetLateDigest(c.Request().Context(), me.ID, on); err != nil {
		return err
	}
	msg := "You will get an email of the late orders each working day."
	if !on {
		msg = "You will no longer get the daily email of late orders."
	}
	s.flashSuccess(c, msg)
	return c.Redirect(http.StatusSeeOther, "/")
}
