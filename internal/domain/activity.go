package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The store-wide activity log (issue 28): every order history row, and every change
// staff make outside orders, newest first.

// Activity kinds: order (an order's history row; its own kind is in the details), and
// the changes outside orders.
const (
	ActivityOrder           = "order"
	ActivitySettings        = "settings"
	ActivityUser            = "user"
	ActivityToken           = "token"
	ActivityWebhookEndpoint = "webhook_endpoint"
	ActivityStock           = "stock"
	ActivityLogin           = "login"
	ActivityLoginFailed     = "login_failed"
)

// ActivityKinds are every kind, in the order the log's filter lists them.
var ActivityKinds = []string{ActivityOrder, ActivitySettings, ActivityUser, ActivityToken, ActivityWebhookEndpoint,
	ActivityStock, ActivityLogin, ActivityLoginFailed}

// LogName is how the activity log names an actor: a staff user by email (names repeat),
// a token by its name, otherwise "customer", "system" or "cli" (a customer's own name
// or email stays with their orders). Migration 00031's index computes the same for
// history rows.
func (a Actor) LogName() string {
	switch {
	case a.Type == ActorStaff && a.Email != "":
		return a.Email
	case a.Type == ActorCustomer || a.Type == ActorSystem || a.Type == ActorCLI:
		return string(a.Type)
	}
	return a.Name
}

// ActivityEntry is one line of the log.
type ActivityEntry struct {
	ID          string
	At          time.Time
	Actor       string // LogName
	ActorType   ActorType
	Kind        string
	OrderID     string // kind order only
	OrderNumber string
	Summary     string
	Details     map[string]any
}

// ActivityFilter selects entries of the log; zero values match everything.
type ActivityFilter struct {
	Actor   string // exactly
	Kind    string
	OrderID string
	From    *time.Time
	To      *time.Time // exclusive
	Cursor  string
	Limit   int
}

// Validate checks the filter; field names are the API's query parameters.
func (f *ActivityFilter) Validate() error {
	fe := FieldErrors{}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		fe.Add("limit", "must be between 1 and 200")
	}
	if f.Kind != "" && !containsString(ActivityKinds, f.Kind) {
		fe.Add("kind", "must be one of "+strings.Join(ActivityKinds, ", "))
	}
	if f.OrderID != "" && f.Kind != "" && f.Kind != ActivityOrder {
		fe.Add("order_id", "only entries of kind order have an order")
	}
	validateText(fe, "actor", f.Actor, MaxName, false)
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		fe.Add("to", "must not be before from")
	}
	return fe.Err()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// historyLabels name the kinds of an order's history rows.
var historyLabels = map[string]string{"status": "Status", "payment": "Payment", "fulfillment": "Shipment",
	"refund": "Refund", "return": "Return", "comment": "Comment", "notification": "Notification", "tags": "Tags",
	"hold": "Hold", "edit": "Edit"}

// maxSummary bounds an entry's one-line summary (notes can be 5,000 characters).
const maxSummary = 300

// HistorySummary is an order history row as the log's one line: "Status: paid — paid in full".
func HistorySummary(kind, status, note string) string {
	s := historyLabels[kind]
	if s == "" {
		s = kind
	}
	if status != "" {
		s += ": " + strings.ReplaceAll(status, "_", " ")
	}
	if note = strings.Join(strings.Fields(note), " "); note != "" {
		s += " — " + note
	}
	return ClipText(s, maxSummary)
}

// ClipText cuts s to at most n characters, marking the cut with an ellipsis.
func ClipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
