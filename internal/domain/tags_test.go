package domain

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNormalizeTags(t *testing.T) {
	got, err := NormalizeTags([]string{" VIP ", "gift   Wrap", "vip", "b2b:eu", "rush_1-a"})
	if err != nil || !slices.Equal(got, []string{"b2b:eu", "gift wrap", "rush_1-a", "vip"}) {
		t.Errorf("NormalizeTags = %q, %v", got, err)
	}
	if got, err := NormalizeTags(nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no tags: %q, %v; want an empty list", got, err)
	}
	for _, tc := range []struct {
		in    []string
		field string
	}{
		{[]string{strings.Repeat("a", MaxTagLength+1)}, "tags[0]"},
		{[]string{"ok", ""}, "tags[1]"},
		{[]string{"ÉTÉ"}, "tags[0]"},
		{[]string{"a/b"}, "tags[0]"},
		{slices.Repeat([]string{"x"}, 200), "tags"},
	} {
		_, err := NormalizeTags(tc.in)
		e, _ := err.(*Error)
		if e == nil || e.Fields[tc.field] == "" {
			t.Errorf("%.40q: error %v, want one on %s", tc.in, err, tc.field)
		}
	}
	var many []string
	for i := range MaxTags + 1 {
		many = append(many, strings.Repeat("t", i+1))
	}
	if _, err := NormalizeTags(many); err == nil {
		t.Error("21 distinct tags accepted")
	}
	if _, err := NormalizeTags(append(many[:MaxTags:MaxTags], many[0])); err != nil {
		t.Errorf("20 tags and a repeat: %v", err)
	}
}

func TestTagChange(t *testing.T) {
	if got := TagChange([]string{"a", "b"}, []string{"b", "c"}); got != "added c; removed a" {
		t.Errorf("TagChange = %q", got)
	}
	if got := TagChange([]string{"a"}, []string{"a"}); got != "" {
		t.Errorf("no change = %q", got)
	}
}

func TestHoldRules(t *testing.T) {
	held := &Hold{Reason: "fraud check", By: "Ann", At: time.Now()}
	for _, st := range Statuses {
		err := CheckHold(Order{Number: "ORD-1", Status: st})
		want := slices.Contains([]Status{StatusCreated, StatusPending, StatusPaid, StatusProcessing}, st)
		if (err == nil) != want {
			t.Errorf("hold a %s order: %v", st, err)
		}
	}
	if ErrorCode(CheckHold(Order{Status: StatusPaid, Hold: held})) != CodeInvalidTransition {
		t.Error("a held order held again")
	}
	if ErrorCode(CheckRelease(Order{Status: StatusPaid})) != CodeInvalidTransition || CheckRelease(Order{Hold: held}) != nil {
		t.Error("release rules")
	}
	if err := CheckNotHeld(Order{Number: "ORD-1", Hold: held}); ErrorCode(err) != CodeOnHold || !strings.Contains(err.Error(), "fraud check") {
		t.Errorf("CheckNotHeld = %v", err)
	}
	if CheckHoldReason("") == nil || CheckHoldReason(strings.Repeat("x", MaxHoldReason+1)) == nil || CheckHoldReason("ok") != nil {
		t.Error("hold reason rules")
	}
}
