package views

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// ChartDay is one day of the dashboard chart.
type ChartDay struct {
	Day     time.Time
	Orders  int
	Revenue decimal.Decimal
}

// Chart is a server-rendered SVG bar (orders) and line (revenue) chart; every coordinate
// is computed here so that the template only draws. Both series share the horizontal
// grid lines: the orders scale is labelled on the left, the revenue scale (money) on the
// right.
type Chart struct {
	Width, Height       int
	Currency            string
	PlotLeft, PlotRight float64 // where the grid lines start and end
	Bars                []ChartBar
	Line                string // polyline points of revenue
	Dots                []ChartDot
	Grid                []ChartTick // horizontal grid lines with the orders scale (left)
	RevenueGrid         []ChartTick // the same lines' revenue scale (right)
	Labels              []ChartTick // x-axis day labels
	TotalOrders         int
	TotalRevenue        decimal.Decimal
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
	chartPadRight  = 12.0 // beyond the revenue labels
	chartPadTop    = 12.0
	chartPadBottom = 26.0

	chartLabelGap  = 6.0 // between a grid line and its label
	chartCharWidth = 6.5 // a label character at the chart's 11px, generously
)

// NewChart lays out days (oldest first) in a width x height box.
func NewChart(days []ChartDay, currency string, width, height int) Chart {
	c := Chart{Width: width, Height: height, Currency: currency, TotalRevenue: decimal.Zero}
	if len(days) == 0 {
		return c
	}
	maxOrders := 1
	maxRevenue := decimal.Zero
	for _, d := range days {
		maxOrders = max(maxOrders, d.Orders)
		if d.Revenue.GreaterThan(maxRevenue) {
			maxRevenue = d.Revenue
		}
		c.TotalOrders += d.Orders
		c.TotalRevenue = c.TotalRevenue.Add(d.Revenue)
	}
	// Three or four intervals, each a round number of orders and a round amount of money.
	step := niceStep(maxOrders)
	n := max((maxOrders+step-1)/step, 3)
	top := n * step
	revStep := niceMoneyStep(maxRevenue.Div(decimal.NewFromInt(int64(n))))
	revTop := revStep.Mul(decimal.NewFromInt(int64(n)))

	revLabels := make([]string, n+1)
	widest := 0
	for i := range revLabels {
		revLabels[i] = axisMoney(revStep.Mul(decimal.NewFromInt(int64(i))), currency)
		widest = max(widest, utf8.RuneCountInString(revLabels[i]))
	}
	c.PlotLeft = chartPadLeft
	c.PlotRight = float64(width) - chartPadRight - chartLabelGap - chartCharWidth*float64(widest)
	plotW := c.PlotRight - c.PlotLeft
	plotH := float64(height) - chartPadTop - chartPadBottom
	slot := plotW / float64(len(days))
	for i := 0; i <= n; i++ {
		y := chartPadTop + plotH - plotH*float64(i)/float64(n)
		c.Grid = append(c.Grid, ChartTick{X: c.PlotLeft - chartLabelGap, Y: y, Label: Count(i * step)})
		c.RevenueGrid = append(c.RevenueGrid, ChartTick{X: c.PlotRight + chartLabelGap, Y: y, Label: revLabels[i]})
	}
	var points []string
	for i, d := range days {
		h := plotH * float64(d.Orders) / float64(top)
		x := c.PlotLeft + slot*float64(i)
		c.Bars = append(c.Bars, ChartBar{X: x + slot*0.15, Y: chartPadTop + plotH - h, W: slot * 0.7, H: h,
			Title: fmt.Sprintf("%s: %s, %s", FormatDay(d.Day), Plural(d.Orders, "order", "orders"), FormatMoney(d.Revenue, currency))})
		ry, _ := d.Revenue.Div(revTop).Float64()
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

// niceStep picks a round grid step giving at most four intervals up to maxValue.
func niceStep(maxValue int) int {
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000} {
		if (maxValue+s-1)/s <= 4 {
			return s
		}
	}
	return (maxValue + 3) / 4
}

// niceMoneyStep is the smallest round amount (1, 2, 5, 10, 20, 25, 50, 100, ... whole
// units of the currency) of at least perInterval.
func niceMoneyStep(perInterval decimal.Decimal) decimal.Decimal {
	ten := decimal.NewFromInt(10)
	for mag := decimal.NewFromInt(1); ; mag = mag.Mul(ten) {
		for _, m := range []float64{1, 2, 2.5, 5} {
			if m == 2.5 && mag.Equal(decimal.NewFromInt(1)) {
				continue // 2.50 would need cents on the axis
			}
			if s := mag.Mul(decimal.NewFromFloat(m)); s.GreaterThanOrEqual(perInterval) {
				return s
			}
		}
	}
}

// axisMoney is a whole amount as an axis shows it: FormatMoney without the zero minor
// units ("$1,250", "¥1,200", "KWD 5").
func axisMoney(amount decimal.Decimal, currency string) string {
	s := FormatMoney(amount, currency)
	if i := strings.LastIndexByte(s, '.'); i >= 0 && i < len(s)-1 && strings.Trim(s[i+1:], "0") == "" {
		s = s[:i]
	}
	return s
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
