package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	// Shops name any IANA time zone; the binary carries the database so that business
	// hours mean the same on a machine without /usr/share/zoneinfo (the Docker image).
	_ "time/tzdata"

	"github.com/shopspring/decimal"
)

// Shipping deadlines (issue 28): a paid order must ship within a number of business
// hours of its payment, counted in the shop's working hours and time zone, skipping
// holidays. Everything here is arithmetic on times; the service stores the result as the
// order's ship_by.

// Weekdays are the days of the working-hours table, in the order the contract and the
// settings page list them.
var Weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday,
	time.Saturday, time.Sunday}

// WeekdayKey is a day's key in the contract's hours object: "mon".
func WeekdayKey(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }

// Limits of the deadline settings: they keep AddBusinessHours bounded (at least an hour a
// week, at most MaxDeadlineHours to add, at most MaxHolidays to skip).
const (
	MaxDeadlineHours = 1000
	MaxHolidays      = 400
	minWeeklyMinutes = 60
	dayMinutes       = 24 * 60
)

// DayHours is one day's working hours, in minutes after local midnight: Open before Close,
// Close at most 24:00 (the end of the day).
type DayHours struct {
	Open, Close int
}

// String is the pair as the contract writes it: ["09:00", "17:00"].
func (h DayHours) String() string { return clock(h.Open) + "–" + clock(h.Close) }

// Pair is the day as the contract's JSON writes it.
func (h DayHours) Pair() [2]string { return [2]string{clock(h.Open), clock(h.Close)} }

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// DeadlineRules are the shop's business hours and its shipping deadline rule.
type DeadlineRules struct {
	TimeZone string
	Location *time.Location
	Hours    [7]*DayHours // by time.Weekday; nil: closed all day
	Holidays []string     // local dates, YYYY-MM-DD, sorted
	// ShipWithin is how many business hours after payment an order must ship by; not
	// Valid: no deadlines.
	ShipWithin decimal.NullDecimal
	// AtRisk: an order is at risk when its deadline is this many business hours away or
	// fewer (and it is not late yet).
	AtRisk decimal.Decimal
}

// DefaultDeadlineRules are what a new shop has: weekdays 09:00–17:00 UTC, no holidays, no
// deadlines, at risk 4 business hours before the deadline.
func DefaultDeadlineRules() DeadlineRules {
	r := DeadlineRules{TimeZone: "UTC", Location: time.UTC, AtRisk: decimal.NewFromInt(4)}
	for _, d := range Weekdays[:5] {
		r.Hours[d] = &DayHours{Open: 9 * 60, Close: 17 * 60}
	}
	return r
}

// Enabled tells whether orders have deadlines.
func (r DeadlineRules) Enabled() bool { return r.ShipWithin.Valid }

// ShipBy is the deadline of an order paid at paidAt; nil when there are no deadlines.
func (r DeadlineRules) ShipBy(paidAt time.Time) *time.Time {
	return r.ShipByWithin(paidAt, decimal.NullDecimal{})
}

// ShipByWithin is ShipBy for an order whose shipping rate has hours of its own (rate,
// when valid): they replace the shop's rule, which still says whether there are
// deadlines at all.
func (r DeadlineRules) ShipByWithin(paidAt time.Time, rate decimal.NullDecimal) *time.Time {
	if !r.Enabled() {
		return nil
	}
	within := r.ShipWithin.Decimal
	if rate.Valid {
		within = rate.Decimal
	}
	t := r.AddBusinessHours(paidAt, hoursDuration(within))
	return &t
}

// AtRiskBefore is the bound of the at-risk orders at now: an order not late whose
// deadline is before it is at risk.
func (r DeadlineRules) AtRiskBefore(now time.Time) time.Time {
	return r.AddBusinessHours(now, hoursDuration(r.AtRisk))
}

func hoursDuration(h decimal.Decimal) time.Duration {
	return time.Duration(h.Mul(decimal.NewFromInt(int64(time.Hour))).IntPart())
}

// AddBusinessHours is the moment d of working time after from: time passes only while the
// shop is open (its hours of the local weekday, not on a holiday), as elapsed time, so a
// day whose clocks change (daylight saving) is an hour shorter or longer when its hours
// span the change. A moment outside the hours starts at the next opening; a deadline
// that falls exactly on a closing is that closing. d = 0 is from itself.
func (r DeadlineRules) AddBusinessHours(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	t := from.In(loc)
	left := d
	y, m, day := t.Date()
	// Validation keeps a deadline within MaxDeadlineHours of at least an hour a week and
	// at most MaxHolidays skipped days; the bound only stops a rule that slipped past it.
	for range (MaxDeadlineHours+1)*7 + MaxHolidays {
		date := time.Date(y, m, day, 0, 0, 0, 0, loc)
		next := time.Date(y, m, day+1, 0, 0, 0, 0, loc)
		if h := r.Hours[date.Weekday()]; h != nil && !r.holiday(date) {
			open := time.Date(y, m, day, h.Open/60, h.Open%60, 0, 0, loc)
			closing := next
			if h.Close < dayMinutes {
				closing = time.Date(y, m, day, h.Close/60, h.Close%60, 0, 0, loc)
			}
			if t.Before(open) {
				t = open
			}
			if avail := closing.Sub(t); avail > 0 {
				if left <= avail {
					return t.Add(left)
				}
				left -= avail
			}
		}
		y, m, day = next.Date()
		t = next
	}
	return t
}

// OpeningOn is when the shop opens on t's local day; false when it is closed all day
// (no hours that weekday, or a holiday).
func (r DeadlineRules) OpeningOn(t time.Time) (time.Time, bool) {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, loc)
	h := r.Hours[date.Weekday()]
	if h == nil || r.holiday(date) {
		return time.Time{}, false
	}
	return time.Date(y, m, d, h.Open/60, h.Open%60, 0, 0, loc), true
}

func (r DeadlineRules) holiday(date time.Time) bool {
	_, found := slices.BinarySearch(r.Holidays, date.Format(time.DateOnly))
	return found
}

// DeadlineInput is the deadline settings as text, from the settings form or the API.
type DeadlineInput struct {
	TimeZone string
	// Hours per day key ("mon"): {open, close}; a day that is absent, or both empty, is
	// closed.
	Hours      map[string][2]string
	Holidays   []string
	ShipWithin string // "": no deadlines
	AtRisk     string
}

// Input is the rules as the settings form shows them.
func (r DeadlineRules) Input() DeadlineInput {
	in := DeadlineInput{TimeZone: r.TimeZone, Hours: map[string][2]string{}, Holidays: slices.Clone(r.Holidays),
		AtRisk: r.AtRisk.String()}
	for _, d := range Weekdays {
		if h := r.Hours[d]; h != nil {
			in.Hours[WeekdayKey(d)] = h.Pair()
		}
	}
	if r.ShipWithin.Valid {
		in.ShipWithin = r.ShipWithin.Decimal.String()
	}
	return in
}

// Parse validates the input; field names are the API's ("hours.mon", "holidays[2]").
func (in DeadlineInput) Parse() (DeadlineRules, error) {
	fe := FieldErrors{}
	r := DeadlineRules{TimeZone: strings.TrimSpace(in.TimeZone)}
	if loc, err := loadZone(r.TimeZone); err != nil {
		fe.Add("time_zone", "must be a time zone such as Europe/Berlin or America/New_York")
	} else {
		r.Location = loc
	}
	for key := range in.Hours {
		if !slices.ContainsFunc(Weekdays, func(d time.Weekday) bool { return WeekdayKey(d) == key }) {
			fe.Add("hours", fmt.Sprintf("unknown day %.20q; days are mon, tue, wed, thu, fri, sat, sun", key))
		}
	}
	weekly := 0
	for _, d := range Weekdays {
		pair, ok := in.Hours[WeekdayKey(d)]
		if !ok || strings.TrimSpace(pair[0]) == "" && strings.TrimSpace(pair[1]) == "" {
			continue
		}
		field := "hours." + WeekdayKey(d)
		open, okOpen := parseClock(pair[0], false)
		closing, okClose := parseClock(pair[1], true)
		switch {
		case !okOpen || !okClose:
			fe.Add(field, "must be two times such as 09:00 and 17:00 (24:00 ends the day)")
		case open >= closing:
			fe.Add(field, "must open before it closes")
		default:
			r.Hours[d] = &DayHours{Open: open, Close: closing}
			weekly += closing - open
		}
	}
	if weekly < minWeeklyMinutes {
		fe.Add("hours", "must have at least one hour of work a week")
	}
	if len(in.Holidays) > MaxHolidays {
		fe.Add("holidays", fmt.Sprintf("must be at most %d dates", MaxHolidays))
	}
	for i, s := range in.Holidays {
		if i >= MaxHolidays {
			break
		}
		s = strings.TrimSpace(s)
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			fe.Add(fmt.Sprintf("holidays[%d]", i), "must be a date such as 2026-12-25")
			continue
		}
		r.Holidays = append(r.Holidays, s)
	}
	slices.Sort(r.Holidays)
	r.Holidays = slices.Compact(r.Holidays)
	if s := strings.TrimSpace(in.ShipWithin); s != "" {
		if h, ok := parseHours(fe, "ship_within_hours", s); ok {
			if !h.IsPositive() {
				fe.Add("ship_within_hours", "must be more than 0, or empty for no deadlines")
			}
			r.ShipWithin = decimal.NewNullDecimal(h)
		}
	}
	if h, ok := parseHours(fe, "at_risk_hours", in.AtRisk); ok {
		r.AtRisk = h
	} else if strings.TrimSpace(in.AtRisk) == "" {
		fe["at_risk_hours"] = "is required (0 for none)"
	}
	return r, fe.Err()
}

// loadZone reads an IANA time zone; "Local" and "" are refused (they would mean the
// server's own, which differs between machines).
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("no time zone %q", name)
	}
	return time.LoadLocation(name)
}

// parseClock reads "HH:MM" as minutes after midnight; "24:00" only when end.
func parseClock(s string, end bool) (int, bool) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	switch {
	case err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59:
		return 0, false
	case h == 24 && m == 0 && end:
		return dayMinutes, true
	case h > 23:
		return 0, false
	}
	return h*60 + m, true
}

// HoursDigits is how a number of hours is written: up to MaxDeadlineHours, at most two
// decimals (deadline_settings' columns are NUMERIC(7,2)).
var HoursDigits = Digits{Int: 4, Frac: 2}

// parseHours reads a number of hours (FormDecimal, so ParseDecimal): from 0 to
// MaxDeadlineHours, at most two decimals.
func parseHours(fe FieldErrors, field, s string) (decimal.Decimal, bool) {
	d, ok := FormDecimal(fe, field, s, HoursDigits, false)
	switch {
	case !ok:
		return d, false
	case d.IsNegative() || d.GreaterThan(decimal.NewFromInt(MaxDeadlineHours)):
		fe.Add(field, fmt.Sprintf("must be a number of hours from 0 to %d", MaxDeadlineHours))
		return d, false
	}
	return d, true
}

// HasDeadline tells whether an order in status s is bound by a shipping deadline: paid
// and not yet shipped (processing is partly shipped), held or not.
func HasDeadline(s Status) bool { return s == StatusPaid || s == StatusProcessing }

// SLA filters of the order list: late (the deadline has passed) and at risk (not late,
// the deadline within the at-risk hours).
const (
	SLALate   = "late"
	SLAAtRisk = "at_risk"
)
