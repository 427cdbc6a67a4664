package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tag and hold limits from the contract.
const (
	MaxTags       = 20
	MaxTagLength  = 40
	MaxHoldReason = 500
)

// Hold is why an order must not ship, who said so and when; an order without one ships.
type Hold struct {
	Reason string
	By     string
	ByRole string // what kind of holder placed it (HolderRole): who may release it depends on it
	At     time.Time
}

// NormalizeTags reads tags as staff and clients type them: trimmed, lower case, runs of
// spaces made one, repeats dropped; sorted, so that an order's tags read the same
// wherever they are shown. A tag is letters a-z, digits, "-", "_", ":" and single inner
// spaces: nothing that needs escaping in a URL, a CSV cell or a comma-separated input.
// Errors name the input's index (tags[3]).
func NormalizeTags(raw []string) ([]string, error) {
	fe := FieldErrors{}
	if len(raw) > 4*MaxTags { // not worth reading one by one
		fe.Add("tags", fmt.Sprintf("must be at most %d tags", MaxTags))
		return nil, fe.Err()
	}
	out := make([]string, 0, len(raw))
	for i, t := range raw {
		t = strings.Join(strings.Fields(strings.ToLower(t)), " ")
		field := fmt.Sprintf("tags[%d]", i)
		switch {
		case t == "":
			fe.Add(field, "must not be empty")
		case len(t) > MaxTagLength:
			fe.Add(field, fmt.Sprintf("must be at most %d characters", MaxTagLength))
		case strings.Trim(t, "abcdefghijklmnopqrstuvwxyz0123456789-_: ") != "":
			fe.Add(field, "may contain only letters a-z, digits, spaces, - _ and :")
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		fe.Add("tags", fmt.Sprintf("must be at most %d tags", MaxTags))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// TagChange says what a change of tags added and removed, for history: "added vip, gift;
// removed rush"; empty when nothing changed.
func TagChange(before, after []string) string {
	var added, removed []string
	for _, t := range after {
		if !slices.Contains(before, t) {
			added = append(added, t)
		}
	}
	for _, t := range before {
		if !slices.Contains(after, t) {
			removed = append(removed, t)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+strings.Join(removed, ", "))
	}
	return strings.Join(parts, "; ")
}

// CheckHoldReason checks the reason an order is put on hold: required, short text.
func CheckHoldReason(reason string) error {
	fe := FieldErrors{}
	validateText(fe, "reason", reason, MaxHoldReason, true)
	return fe.Err()
}

// CheckHold tells whether an order may be put on hold: only one that can still ship
// (not cancelled, not shipped or later), and not one already on hold, whose hold says
// who holds it and why (two people holding it at once would otherwise lose a reason).
func CheckHold(o Order) error {
	if o.Hold != nil {
		return Errorf(CodeInvalidTransition, "order %s is already on hold (%s, by %s): release it first to change the reason",
			o.Number, o.Hold.Reason, o.Hold.By)
	}
	if !slices.Contains([]Status{StatusCreated, StatusPending, StatusPaid, StatusProcessing}, o.Status) {
		return Errorf(CodeInvalidTransition, "order %s is %s: only an order that can still ship can be put on hold", o.Number, o.Status)
	}
	return nil
}

// Kinds of holders besides the staff roles (HolderRole).
const (
	HolderToken  = "token"
	HolderSystem = "system"
)

// HolderRole is the kind of holder an actor is when it places a hold: a staff user's
// role, an API token, or the system. A staff actor without a role counts as an admin,
// whose holds only an admin releases.
func HolderRole(a Actor) string {
	switch a.Type {
	case ActorStaff:
		if a.Role.Valid() {
			return string(a.Role)
		}
		return string(RoleAdmin)
	case ActorToken:
		return HolderToken
	}
	return HolderSystem
}

// holdRank orders the staff roles by the holds they may release: warehouse staff hold
// what they find wrong with the goods; support's and an integration's holds (a fraud
// check through the API) are about the money or the customer, which the warehouse is not
// to overrule; an admin's only an admin releases. A hold of a kind not listed ranks as
// an admin's.
var holdRank = map[string]int{string(RoleWarehouse): 1, string(RoleSupport): 2, HolderToken: 2, string(RoleAdmin): 3}

// CheckRelease tells whether actor a may release order o: only one on hold
// (invalid_transition), and only with the right to place that kind of hold (forbidden,
// saying who may): staff whose role ranks at least as the holder's (holdRank); an API
// token only a hold placed through the API, since an integration must not overrule a
// person's decision (such holds are released on the order page); the system any.
func CheckRelease(o Order, a Actor) error {
	h := o.Hold
	if h == nil {
		return Errorf(CodeInvalidTransition, "order %s is not on hold", o.Number)
	}
	rank := func(kind string) int {
		if r, ok := holdRank[kind]; ok {
			return r
		}
		return holdRank[string(RoleAdmin)]
	}
	var why string
	switch a.Type {
	case ActorSystem:
		return nil
	case ActorToken:
		if h.ByRole == HolderToken {
			return nil
		}
		why = "an API token releases only holds placed through the API; staff release this one on the order page"
	default:
		if a.Type == ActorStaff && a.Role.Valid() && rank(string(a.Role)) >= rank(h.ByRole) {
			return nil
		}
		var may []string
		for _, r := range []Role{RoleWarehouse, RoleSupport, RoleAdmin} {
			if rank(string(r)) >= rank(h.ByRole) {
				may = append(may, map[Role]string{RoleWarehouse: "the warehouse", RoleSupport: "support", RoleAdmin: "an admin"}[r])
			}
		}
		why = "only " + may[0] + " may release it"
		if n := len(may); n > 1 {
			why = "only " + strings.Join(may[:n-1], ", ") + " or " + may[n-1] + " may release it"
		}
	}
	by := h.ByRole
	if by == HolderToken {
		by = "API token"
	}
	return Errorf(CodeForbidden, "order %s was put on hold by %s (%s): %s", o.Number, h.By, by, why)
}

// CheckNotHeld refuses to ship an order on hold (on_hold), naming the reason.
func CheckNotHeld(o Order) error {
	if o.Hold == nil {
		return nil
	}
	return Errorf(CodeOnHold, "order %s is on hold (%s, by %s): release it before shipping", o.Number, o.Hold.Reason, o.Hold.By)
}
