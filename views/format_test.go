package views

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		amount, currency, want string
	}{
		{"1234.5", "USD", "$1,234.50"},
		{"1200", "JPY", "¥1,200"},
		{"0", "USD", "$0.00"},
		{"-3.1", "EUR", "-€3.10"},
		{"1234567.891", "KWD", "KWD 1,234,567.891"},
		{"99", "SEK", "SEK 99.00"},
		{"100", "USD", "$100.00"},
	} {
		if got := FormatMoney(decimal.RequireFromString(tc.amount), tc.currency); got != tc.want {
			t.Errorf("FormatMoney(%s, %s) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC)
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{3 * time.Minute, "3 min ago"},
		{5 * time.Hour, "5 h ago"},
		{30 * time.Hour, "yesterday"},
		{4 * 24 * time.Hour, "4 days ago"},
	} {
		if got := RelativeTime(now.Add(-tc.ago), now); got != tc.want {
			t.Errorf("RelativeTime(-%s) = %q, want %q", tc.ago, got, tc.want)
		}
	}
}

func TestHumanize(t *testing.T) {
	if got := Humanize("partially_paid"); got != "Partially paid" {
		t.Errorf("Humanize = %q", got)
	}
}
