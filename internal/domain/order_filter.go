package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Order list sorts.
const (
	SortCreatedAsc  = "created_at"
	SortCreatedDesc = "-created_at"
	SortTotalAsc    = "total"
	SortTotalDesc   = "-total"
	// SortShipBy: the soonest shipping deadline first (the warehouse queue); orders
	// without one come after.
	SortShipBy = "ship_by"
)

// List page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	// ExactCountLimit is how many matches the list counts exactly; beyond, it estimates.
	ExactCountLimit = 10_000
)

// OrderFilter is a view of the order list: what to match, how to sort, which page.
type OrderFilter struct {
	Q                   string
	Statuses            []Status
	PaymentStatuses     []PaymentStatus
	FulfillmentStatuses []FulfillmentStatus
	Email               string
	CreatedFrom         *time.Time
	CreatedTo           *time.Time // exclusive
	TotalMin            decimal.NullDecimal
	TotalMax            decimal.NullDecimal
	IDs                 []string // only these orders (bulk export of a selection)
	Tag                 string   // only orders with this tag
	Held                *bool    // only orders on hold (true) or not (false)
	SLA                 string   // SLALate or SLAAtRisk: only orders whose shipping deadline passed, or is near
	Sort                string
	Limit               int
	Cursor              string
}

// Normalize fills the defaults.
func (f *OrderFilter) Normalize() {
	if f.Sort == "" {
		f.Sort = SortCreatedDesc
	}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	f.Tag = strings.Join(strings.Fields(strings.ToLower(f.Tag)), " ")
}

// Validate checks the filter; field names are the list's query parameters.
func (f OrderFilter) Validate() error {
	fe := FieldErrors{}
	for _, s := range f.Statuses {
		if !s.Valid() {
			fe.Add("status", "unknown status "+quote(string(s)))
		}
	}
	for _, s := range f.PaymentStatuses {
		if !slices.Contains(PaymentStatuses, s) {
			fe.Add("payment_status", "unknown payment status "+quote(string(s)))
		}
	}
	for _, s := range f.FulfillmentStatuses {
		if !slices.Contains(FulfillmentStatuses, s) {
			fe.Add("fulfillment_status", "unknown fulfillment status "+quote(string(s)))
		}
	}
	validateText(fe, "q", f.Q, MaxName, false)
	validateText(fe, "email", f.Email, MaxName, false)
	if f.Tag != "" {
		if _, err := NormalizeTags([]string{f.Tag}); err != nil {
			fe.Add("tag", "must be a tag: at most 40 letters a-z, digits, spaces, - _ and :")
		}
	}
	if !slices.Contains([]string{SortCreatedAsc, SortCreatedDesc, SortTotalAsc, SortTotalDesc, SortShipBy}, f.Sort) {
		fe.Add("sort", "must be one of created_at, -created_at, total, -total, ship_by")
	}
	if f.SLA != "" && f.SLA != SLALate && f.SLA != SLAAtRisk {
		fe.Add("sla", "must be late or at_risk")
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		fe.Add("limit", "must be between 1 and 200")
	}
	if f.CreatedFrom != nil && f.CreatedTo != nil && f.CreatedTo.Before(*f.CreatedFrom) {
		fe.Add("created_to", "must not be before created_from")
	}
	if f.TotalMin.Valid && f.TotalMax.Valid && f.TotalMax.Decimal.LessThan(f.TotalMin.Decimal) {
		fe.Add("total_max", "must not be less than total_min")
	}
	return fe.Err()
}

// HasStatusFilter tells whether f filters on any of the three statuses.
func (f OrderFilter) HasStatusFilter() bool {
	return len(f.Statuses) > 0 || len(f.PaymentStatuses) > 0 || len(f.FulfillmentStatuses) > 0
}
