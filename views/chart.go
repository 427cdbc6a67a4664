package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ChartDay is one day of the dashboard chart.
type ChartDay struct {
	Day     time.Time
	Orders  int
	Revenue decimal.Decimal
}

// Chart is a server-rendered SVG bar (orders) and line (revenue) chart; every coordinate
// is computed here so that the template only draws.
type Chart struct {
	Width, Height int
	Currency      string
	Bars          []ChartBar
	Line          string // polyline points of revenue
	Dots          []ChartDot
	Grid          []ChartTick // horizontal grid lines with the orders scale
	Labels        []ChartTick // x-axis day labels
	TotalOrders   int
	TotalRevenue  decimal.Decimal
}

// ChartBar is one day's orders bar; Title is its tooltip.
type ChartBar struct {
	X, Y, W, H float64
	Title      string
}

// ChartDot is a point on the revenue line.
type ChartDot struct{ X, Y float64 }

// ChartTick is a labelled position.
type ChartTick struct {
	X, Y  float64
	Label string
}

const (
	chartPadLeft   = 36.0
	chartPadRight  = 12.0
	chartPadTop    = 12.0
	chartPadBottom = 26.0
)

// NewChart lays out days (oldest first) in a width x height box.
func NewChart(days []ChartDay, currency string, width, height int) Chart {
	c := Chart{Width: width, Height: height, Currency: currency, TotalRevenue: decimal.Zero}
	if len(days) == 0 {
		return c
	}
	maxOrders := 1
	maxRevenue := decimal.NewFromInt(1)
	for _, d := range days {
		maxOrders = max(maxOrders, d.Orders)
		if d.Revenue.GreaterThan(maxRevenue) {
			maxRevenue = d.Revenue
		}
		c.TotalOrders += d.Orders
		c.TotalRevenue = c.TotalRevenue.Add(d.Revenue)
	}
	step := niceStep(maxOrders)
	top := ((maxOrders + step - 1) / step) * step
	plotW := float64(width) - chartPadLeft - chartPadRight
	plotH := float64(height) - chartPadTop - chartPadBottom
	slot := plotW / float64(len(days))
	for v := 0; v <= top; v += step {
		y := chartPadTop + plotH - plotH*float64(v)/float64(top)
		c.Grid = append(c.Grid, ChartTick{X: chartPadLeft - 6, Y: y, Label: Count(v)})
	}
	var points []string
	for i, d := range days {
		h := plotH * float64(d.Orders) / float64(top)
		x := chartPadLeft + slot*float64(i)
		c.Bars = append(c.Bars, ChartBar{X: x + slot*0.15, Y: chartPadTop + plotH - h, W: slot * 0.7, H: h,
			Title: fmt.Sprintf("%s: %s, %s", FormatDay(d.Day), Plural(d.Orders, "order", "orders"), FormatMoney(d.Revenue, currency))})
		ry, _ := d.Revenue.Div(maxRevenue).Float64()
		dot := ChartDot{X: x + slot/2, Y: chartPadTop + plotH - plotH*ry}
		c.Dots = append(c.Dots, dot)
		points = append(points, fmt.Sprintf("%.1f,%.1f", dot.X, dot.Y))
		if i%7 == 0 || (i == len(days)-1 && i%7 >= 3) {
			c.Labels = append(c.Labels, ChartTick{X: x + slot/2, Y: float64(height) - 8, Label: FormatDay(d.Day)})
		}
	}
	c.Line = strings.Join(points, " ")
	return c
}

// niceStep picks a grid step giving at most about four lines.
func niceStep(maxValue int) int {
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000} {
		if maxValue/s <= 4 {
			return s
		}
	}
	return maxValue / 4
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
