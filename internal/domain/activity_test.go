package domain

import (
	"strings"
	"testing"
)

func TestHistorySummary(t *testing.T) {
	for _, c := range []struct{ kind, status, note, want string }{
		{"status", "paid", "paid in full", "Status: paid — paid in full"},
		{"fulfillment", "partially_fulfilled", "", "Shipment: partially fulfilled"},
		{"comment", "", "call\nthe customer", "Comment — call the customer"},
		{"other", "x", "", "other: x"},
	} {
		if got := HistorySummary(c.kind, c.status, c.note); got != c.want {
			t.Errorf("HistorySummary(%q, %q, %q) = %q, want %q", c.kind, c.status, c.note, got, c.want)
		}
	}
	if got := HistorySummary("comment", "", strings.Repeat("é", 400)); len([]rune(got)) != maxSummary || !strings.HasSuffix(got, "…") {
		t.Errorf("a long note is not clipped: %d runes", len([]rune(got)))
	}
}

func TestActivityFilterValidate(t *testing.T) {
	f := ActivityFilter{}
	if err := f.Validate(); err != nil || f.Limit != DefaultPageSize {
		t.Fatalf("empty filter: %v, limit %d", err, f.Limit)
	}
	for field, f := range map[string]ActivityFilter{
		"kind":     {Kind: "orders"},
		"limit":    {Limit: 500},
		"order_id": {Kind: ActivityLogin, OrderID: "x"},
	} {
		if e, ok := f.Validate().(*Error); !ok || e.Fields[field] == "" {
			t.Errorf("%s: want a message for it, got %v", field, e)
		}
	}
}

func TestViewChangeValidate(t *testing.T) {
	name, query, share := "  Late   VIP ", "sla=late&tag=vip", "support"
	c := ViewChange{Name: &name, Query: &query, SharedWith: &share}
	if err := c.Validate(true); err != nil || *c.Name != "Late VIP" {
		t.Fatalf("valid view: %v %q", err, *c.Name)
	}
	bad := "team"
	if e, ok := (&ViewChange{SharedWith: &bad}).Validate(true).(*Error); !ok || e.Fields["name"] == "" || e.Fields["query"] == "" || e.Fields["shared_with"] == "" {
		t.Errorf("missing name and query, unknown sharing: %v", e)
	}
	if err := (&ViewChange{}).Validate(false); err != nil {
		t.Errorf("an empty change: %v", err)
	}
}
