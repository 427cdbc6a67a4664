package views

import (
	"encoding/json"

	"github.com/oms/oms/internal/domain"
)

// Page is what the layout needs on every page.
type Page struct {
	Title    string
	ShopName string
	User     *User // nil when nobody is logged in (login page, some error pages)
	CSRF     string
	Flashes  []Flash
	Active   string // the nav item to highlight: "dashboard", "orders", "fulfillment", ...
	Search   string // the global search box's value
}

// User is the logged-in staff member.
type User struct {
	ID    string
	Name  string
	Email string
	Role  domain.Role
}

// Can reports whether the logged-in user may do p; pages show only the actions it allows
// (the server checks again on every request).
func (p Page) Can(perm domain.Permission) bool { return p.User != nil && p.User.Role.Can(perm) }

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // "success", "error" or "info"
	Message string
}

// Errors are per-field messages of a form, keyed by the input's name.
type Errors map[string]string

// NavItem is an entry of the left navigation.
type NavItem struct {
	Key, Label, Href string
	Icon             string
}

// Nav returns the navigation entries the user may use.
func (p Page) Nav() []NavItem {
	all := []struct {
		item NavItem
		perm domain.Permission
	}{
		{NavItem{Key: "dashboard", Label: "Dashboard", Href: "/", Icon: "M3 12l9-9 9 9M5 10v10h5v-6h4v6h5V10"}, domain.PermViewDashboard},
		{NavItem{Key: "orders", Label: "Orders", Href: "/orders", Icon: "M6 2h12l2 5v15H4V7zM4 7h16M9 11h6"}, domain.PermViewOrders},
		{NavItem{Key: "fulfillment", Label: "Fulfillment", Href: "/fulfillment", Icon: "M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10"}, domain.PermFulfill},
		{NavItem{Key: "returns", Label: "Returns", Href: "/returns", Icon: "M9 14L4 9l5-5M4 9h11a5 5 0 010 10h-4"}, domain.PermViewReturns},
		{NavItem{Key: "products", Label: "Products", Href: "/products", Icon: "M20 12l-8 8-9-9V3h8zM7.5 7.5h.01"}, domain.PermViewProducts},
		{NavItem{Key: "activity", Label: "Activity", Href: "/activity", Icon: "M12 8v4l3 2M12 21a9 9 0 110-18 9 9 0 010 18z"}, domain.PermViewActivity},
		{NavItem{Key: "settings", Label: "Settings", Href: "/settings", Icon: "M12 15a3 3 0 100-6 3 3 0 000 6zM19.4 15a1.7 1.7 0 00.3 1.8l.1.1a2 2 0 11-2.8 2.8l-.1-.1a1.7 1.7 0 00-1.8-.3 1.7 1.7 0 00-1 1.5V21a2 2 0 11-4 0v-.1a1.7 1.7 0 00-1.1-1.5 1.7 1.7 0 00-1.8.3l-.1.1a2 2 0 11-2.8-2.8l.1-.1a1.7 1.7 0 00.3-1.8 1.7 1.7 0 00-1.5-1H3a2 2 0 110-4h.1a1.7 1.7 0 001.5-1.1 1.7 1.7 0 00-.3-1.8l-.1-.1a2 2 0 112.8-2.8l.1.1a1.7 1.7 0 001.8.3H9a1.7 1.7 0 001-1.5V3a2 2 0 114 0v.1a1.7 1.7 0 001 1.5 1.7 1.7 0 001.8-.3l.1-.1a2 2 0 112.8 2.8l-.1.1a1.7 1.7 0 00-.3 1.8V9a1.7 1.7 0 001.5 1H21a2 2 0 110 4h-.1a1.7 1.7 0 00-1.5 1z"}, domain.PermManageSettings},
	}
	var out []NavItem
	for _, e := range all {
		if p.Can(e.perm) {
			out = append(out, e.item)
		}
	}
	return out
}

// csrfHeaders is the hx-headers value that makes every htmx request carry the CSRF token.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

// htmxConfig keeps htmx within the CSP (no injected indicator styles, no eval) and lets
// 422 responses (a form re-rendered with its errors) be swapped in like successes.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

func initials(name string) string {
	out := []rune{}
	prev := ' '
	for _, r := range name {
		if prev == ' ' && r != ' ' && len(out) < 2 {
			out = append(out, r)
		}
		prev = r
	}
	return string(out)
}

// Form is a submitted or pre-filled form: its values by input name and its errors
// (Errors[""] is a message for the whole form). ID names the edited record; empty for new.
type Form struct {
	ID      string
	Values  map[string]string
	Errors  Errors
	Changed []string // the order changed since the form was drawn: what changed (StaleChanges)
}

// V is the value of input name.
func (f Form) V(name string) string { return f.Values[name] }

// Checked reports whether checkbox name was ticked.
func (f Form) Checked(name string) bool { return f.Values[name] == "on" }

// QuantityLine is one order line of a form that asks how many of each line (ship, return):
// its input is qty_<ItemID>, from 0 to Most.
type QuantityLine struct {
	ItemID, SKU, Name string
	Ordered, Done     int // ordered, and already shipped
	Most              int
	Quantity          string // as typed
	Error             string
}
