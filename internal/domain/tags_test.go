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
	if ErrorCode(CheckRelease(Order{Status: StatusPaid}, System)) != CodeInvalidTransition || CheckRelease(Order{Hold: held}, System) != nil {
		t.Error("release rules")
	}
	if err := CheckNotHeld(Order{Number: "ORD-1", Hold: held}); ErrorCode(err) != CodeOnHold || !strings.Contains(err.Error(), "fraud check") {
		t.Errorf("CheckNotHeld = %v", err)
	}
	if CheckHoldReason("") == nil || CheckHoldReason(strings.Repeat("x", MaxHoldReason+1)) == nil || CheckHoldReason("ok") != nil {
		t.Error("hold reason rules")
	}
}

// Releasing a hold needs the right to place that kind of hold: the warehouse releases
// the warehouse's holds, support also support's and the API's, an admin all; a token
// only holds placed through the API; the system any. Refusals are 403 naming who holds it.
func TestReleaseNeedsTheRightToPlaceThatKindOfHold(t *testing.T) {
	staff := func(r Role) Actor { return Actor{Type: ActorStaff, Name: "Test " + string(r), Role: r} }
	token := Actor{Type: ActorToken, Name: "ERP"}
	// may[holder] lists who may release a hold that holder placed: W, S, A staff, T token, Y system.
	may := map[string]string{"warehouse": "WSAY", "support": "SAY", "token": "SATY", "admin": "AY", "system": "AY", "": "AY"}
	releasers := map[byte]Actor{'W': staff(RoleWarehouse), 'S': staff(RoleSupport), 'A': staff(RoleAdmin), 'T': token, 'Y': System,
		'-': {Type: ActorStaff, Name: "no role"}, 'C': {Type: ActorCustomer, Name: "customer"}}
	for holder, allowed := range may {
		o := Order{Number: "ORD-1", Status: StatusPaid, Hold: &Hold{Reason: "fraud review", By: "Ann", ByRole: holder, At: time.Now()}}
		for letter, a := range releasers {
			err := CheckRelease(o, a)
			if want := strings.IndexByte(allowed, letter) >= 0; (err == nil) != want {
				t.Errorf("%s releasing a hold of %q: %v, want allowed %v", a.Name, holder, err, want)
			}
			if err != nil && (ErrorCode(err) != CodeForbidden || !strings.Contains(err.Error(), "put on hold by Ann")) {
				t.Errorf("%s releasing a hold of %q: %v, want forbidden naming who held it", a.Name, holder, err)
			}
		}
	}
	if got := []string{HolderRole(staff(RoleWarehouse)), HolderRole(token), HolderRole(System), HolderRole(Actor{Type: ActorStaff})}; !slices.Equal(got, []string{"warehouse", "token", "system", "admin"}) {
		t.Errorf("HolderRole = %v", got)
	}
}
