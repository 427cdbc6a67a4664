// Package views holds the back-office's templ components: the layout, reusable pieces
// (badges, money, dates, pagination, form fields) and the pages. View models are plain
// structs filled by the web package; views never see database rows.
package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// currencySymbols are the prefixes money is shown with; other currencies show their code.
var currencySymbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "CAD": "CA$", "AUD": "A$",
	"NZD": "NZ$", "INR": "₹", "KRW": "₩", "BRL": "R$", "MXN": "MX$", "HKD": "HK$", "SGD": "S$",
	"ILS": "₪", "VND": "₫", "PHP": "₱", "THB": "฿", "TRY": "₺", "PLN": "zł ", "CHF": "CHF ",
}

// FormatMoney renders amount in currency as people read it: "$1,234.50", "¥1,200",
// "-€3.10", "SEK 99.00".
func FormatMoney(amount decimal.Decimal, currency string) string {
	s := domain.FormatAmount(amount, currency)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency + " "
	}
	out := sym + b.String()
	if neg {
		out = "-" + out
	}
	return out
}

// FormatDate renders t as "Nov 25, 14:03" (with the year when it is not this year), in
// the server's time zone.
func FormatDate(t time.Time) string {
	t = t.Local()
	if t.Year() != time.Now().Year() {
		return t.Format("Jan 2 2006, 15:04")
	}
	return t.Format("Jan 2, 15:04")
}

// FormatDay renders t as "Nov 25".
func FormatDay(t time.Time) string { return t.Local().Format("Jan 2") }

// ISO is the exact time shown on hover.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// RelativeTime renders how long ago t was: "just now", "3 min ago", "5 h ago",
// "yesterday", "4 days ago", then the date.
func RelativeTime(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return FormatDate(t)
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	case d < 48*time.Hour:
		return "yesterday"
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return FormatDate(t)
}

// Duration renders a span as people say it: "45 min", "3 h 20 min", "2 days 4 h".
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	mins := int(d.Minutes())
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%s %d h", Plural(days, "day", "days"), hours)
	case days > 0:
		return Plural(days, "day", "days")
	case hours > 0 && m > 0:
		return fmt.Sprintf("%d h %d min", hours, m)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	}
	return fmt.Sprintf("%d min", m)
}

// Humanize turns a snake_case value into words: "partially_paid" -> "Partially paid".
func Humanize(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Count renders n with thousands separators: 12,345.
func Count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + Count(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Plural renders "1 order" or "3 orders".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}
