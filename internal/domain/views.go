package domain

import (
	"slices"
	"strings"
	"time"
)

// Saved views of the order list (issue 28): a list URL's query saved under a name, for
// its owner alone or shared with everyone or with one role.

// Sharing of a saved view: its owner alone, everyone, or the staff of one role.
const (
	ShareMe       = "me"
	ShareEveryone = "everyone"
)

// ViewShares are every sharing, in the order the forms list them.
var ViewShares = []string{ShareMe, ShareEveryone, string(RoleAdmin), string(RoleSupport), string(RoleWarehouse)}

// Saved view limits.
const (
	MaxViewName  = 60
	MaxViewQuery = 2000
	MaxViews     = 50 // per owner
)

// SavedView is a saved order-list view.
type SavedView struct {
	ID         string
	Name       string
	Query      string // the list's query string, canonical (web's canonicalQuery)
	SharedWith string
	Owner      Actor // Type, ID and Name of who saved it
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OwnedBy tells whether a is the view's owner, who alone may change or delete it.
func (v SavedView) OwnedBy(a Actor) bool {
	return a.ID != "" && a.Type == v.Owner.Type && a.ID == v.Owner.ID
}

// ViewChange is a new view, or the parts of a view to change (nil: unchanged).
type ViewChange struct {
	Name       *string
	Query      *string
	SharedWith *string
}

// Validate checks the parts given, all of them when create.
func (c *ViewChange) Validate(create bool) error {
	fe := FieldErrors{}
	if c.Name != nil {
		n := strings.Join(strings.Fields(*c.Name), " ")
		c.Name = &n
		validateText(fe, "name", n, MaxViewName, true)
	} else if create {
		fe.Add("name", "is required")
	}
	if c.Query != nil {
		validateText(fe, "query", *c.Query, MaxViewQuery, false)
	} else if create {
		fe.Add("query", "is required (\"\" for every order)")
	}
	if c.SharedWith != nil && !slices.Contains(ViewShares, *c.SharedWith) {
		fe.Add("shared_with", "must be one of "+strings.Join(ViewShares, ", "))
	}
	return fe.Err()
}
