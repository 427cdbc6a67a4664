package views

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func chartDays(orders []int, revenue []string) []ChartDay {
	day := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]ChartDay, len(orders))
	for i := range orders {
		out[i] = ChartDay{Day: day.AddDate(0, 0, i), Orders: orders[i], Revenue: decimal.RequireFromString(revenue[i])}
	}
	return out
}

// TestChartHasAMoneyScale: the revenue line has a scale of its own, on the same three or
// four grid lines as the orders, in round amounts of money, and the line is drawn on it.
func TestChartHasAMoneyScale(t *testing.T) {
	labels := func(ts []ChartTick) []string {
		var out []string
		for _, g := range ts {
			out = append(out, g.Label)
		}
		return out
	}
	for _, tc := range []struct {
		name             string
		orders           []int
		revenue          []string
		currency         string
		wantOrders, want []string
	}{
		{"small", []int{1, 0, 1}, []string{"45.00", "0", "12.50"}, "USD",
			[]string{"0", "1", "2", "3"}, []string{"$0", "$20", "$40", "$60"}},
		{"busy", []int{7, 12, 9}, []string{"1234.50", "3990.00", "2100.00"}, "USD",
			[]string{"0", "5", "10", "15"}, []string{"$0", "$2,000", "$4,000", "$6,000"}},
		{"four intervals", []int{4, 2}, []string{"7300", "100"}, "EUR",
			[]string{"0", "1", "2", "3", "4"}, []string{"€0", "€2,000", "€4,000", "€6,000", "€8,000"}},
		{"yen", []int{2}, []string{"1857"}, "JPY",
			[]string{"0", "1", "2", "3"}, []string{"¥0", "¥1,000", "¥2,000", "¥3,000"}},
		{"no revenue", []int{0, 0}, []string{"0", "0"}, "KWD",
			[]string{"0", "1", "2", "3"}, []string{"KWD 0", "KWD 1", "KWD 2", "KWD 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewChart(chartDays(tc.orders, tc.revenue), tc.currency, 900, 220)
			if got := labels(c.Grid); !slices.Equal(got, tc.wantOrders) {
				t.Errorf("orders scale = %q, want %q", got, tc.wantOrders)
			}
			if got := labels(c.RevenueGrid); !slices.Equal(got, tc.want) {
				t.Errorf("revenue scale = %q, want %q", got, tc.want)
			}
			for i, g := range c.RevenueGrid {
				if g.Y != c.Grid[i].Y || g.X <= c.PlotRight || c.Grid[i].X >= c.PlotLeft {
					t.Errorf("tick %d: revenue at (%.1f,%.1f), orders at (%.1f,%.1f), plot %.1f..%.1f",
						i, g.X, g.Y, c.Grid[i].X, c.Grid[i].Y, c.PlotLeft, c.PlotRight)
				}
			}
			// The label fits in the box; the line's highest point is within the top line.
			widest := 0
			for _, l := range tc.want {
				widest = max(widest, len([]rune(l)))
			}
			if end := c.PlotRight + chartLabelGap + chartCharWidth*float64(widest); end > float64(c.Width) {
				t.Errorf("revenue labels end at %.1f of %d", end, c.Width)
			}
			top, bottom := c.Grid[len(c.Grid)-1].Y, c.Grid[0].Y
			for _, d := range c.Dots {
				if d.Y < top-0.01 || d.Y > bottom+0.01 {
					t.Errorf("revenue dot at y %.1f outside the grid %.1f..%.1f", d.Y, top, bottom)
				}
			}
		})
	}
	// A day's revenue sits on the scale: $40 of a $0-$60 scale is two thirds up.
	c := NewChart(chartDays([]int{1, 1}, []string{"40", "60"}), "USD", 900, 220)
	bottom, top := c.Grid[0].Y, c.Grid[len(c.Grid)-1].Y
	if want := bottom - (bottom-top)*2/3; c.Dots[0].Y < want-0.01 || c.Dots[0].Y > want+0.01 {
		t.Errorf("$40 drawn at y %.2f, want %.2f", c.Dots[0].Y, want)
	}
	if n := len(strings.Fields(c.Line)); n != 2 {
		t.Errorf("line %q has %d points, want 2", c.Line, n)
	}
}
