package domain

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// rulesOf parses deadline settings for a test, failing it when they are invalid.
func rulesOf(t *testing.T, in DeadlineInput) DeadlineRules {
	t.Helper()
	if in.AtRisk == "" {
		in.AtRisk = "4"
	}
	r, err := in.Parse()
	if err != nil {
		t.Fatalf("rules %+v: %v", in, err)
	}
	return r
}

func everyDay(open, close string) map[string][2]string {
	out := map[string][2]string{}
	for _, d := range Weekdays {
		out[WeekdayKey(d)] = [2]string{open, close}
	}
	return out
}

func weekdays(open, close string) map[string][2]string {
	out := map[string][2]string{}
	for _, d := range Weekdays[:5] {
		out[WeekdayKey(d)] = [2]string{open, close}
	}
	return out
}

// Business hours, as a table: each case adds hours to a moment in the shop's time zone
// and names the moment it must reach, in the same zone's wall clock (the zone's offset
// on that date says which instant that is).
func TestAddBusinessHours(t *testing.T) {
	berlin := rulesOf(t, DeadlineInput{TimeZone: "Europe/Berlin", Hours: weekdays("09:00", "17:00"),
		Holidays: []string{"2026-12-31", "2026-12-24", "2026-12-25"}})
	tokyo := rulesOf(t, DeadlineInput{TimeZone: "Asia/Tokyo", Hours: weekdays("09:00", "17:00")})
	newYork := rulesOf(t, DeadlineInput{TimeZone: "America/New_York", Hours: weekdays("09:00", "17:00")})
	// 01:00–05:00 spans the hour the clocks skip (29 March) or repeat (25 October) in Berlin.
	night := rulesOf(t, DeadlineInput{TimeZone: "Europe/Berlin", Hours: everyDay("01:00", "05:00")})
	evening := rulesOf(t, DeadlineInput{TimeZone: "Europe/Berlin", Hours: weekdays("20:00", "24:00")})
	always := rulesOf(t, DeadlineInput{TimeZone: "Europe/Berlin", Hours: everyDay("00:00", "24:00")})

	cases := []struct {
		name  string
		rules DeadlineRules
		from  string // local wall clock in the rules' zone
		hours string
		want  string // local wall clock in the rules' zone
	}{
		{"within the day", berlin, "2026-11-24 10:00", "4", "2026-11-24 14:00"},
		{"paid before opening starts at opening", berlin, "2026-11-24 06:00", "2", "2026-11-24 11:00"},
		{"paid after closing starts next morning", berlin, "2026-11-24 18:00", "2", "2026-11-25 11:00"},
		{"a deadline at closing is that closing", berlin, "2026-11-24 09:00", "8", "2026-11-24 17:00"},
		{"carries over to the next day", berlin, "2026-11-24 15:00", "3", "2026-11-25 10:00"},
		{"over the weekend", berlin, "2026-11-27 16:00", "2", "2026-11-30 10:00"},
		{"paid on a Saturday", berlin, "2026-11-28 12:00", "1", "2026-11-30 10:00"},
		{"paid on Sunday night", berlin, "2026-11-29 23:59", "1", "2026-11-30 10:00"},
		{"a fraction of an hour", berlin, "2026-11-24 09:00", "1.5", "2026-11-24 10:30"},
		{"zero hours", berlin, "2026-11-28 12:00", "0", "2026-11-28 12:00"},
		{"a week of work", berlin, "2026-11-23 09:00", "40", "2026-11-27 17:00"},
		// Wed 15–17 (2h), the 24th and 25th are holidays, then the weekend, Mon 28 (8h), Tue 29 6h.
		{"crossing two holidays and a weekend", berlin, "2026-12-23 15:00", "16", "2026-12-29 15:00"},
		{"paid on a holiday", berlin, "2026-12-25 10:00", "1", "2026-12-28 10:00"},
		{"the year's last day is a holiday", berlin, "2026-12-30 16:00", "2", "2027-01-01 10:00"},
		{"another zone's hours", tokyo, "2026-11-24 18:00", "1", "2026-11-25 10:00"},
		{"New York after hours", newYork, "2026-11-24 20:00", "2", "2026-11-25 11:00"},
		// The clocks go from 02:00 to 03:00: 01:00–05:00 is three hours long that night.
		{"spring forward shortens the night", night, "2026-03-29 01:00", "4", "2026-03-30 02:00"},
		{"spring forward, within the short night", night, "2026-03-29 01:00", "3", "2026-03-29 05:00"},
		// The clocks go from 03:00 back to 02:00: the same hours are five hours long.
		{"fall back lengthens the night", night, "2026-10-25 01:00", "5", "2026-10-25 05:00"},
		{"fall back, an hour before closing", night, "2026-10-25 01:00", "4", "2026-10-25 04:00"},
		{"New York's spring forward weekend", newYork, "2026-03-06 16:00", "2", "2026-03-09 10:00"},
		// 24:00 ends the day: the hour before midnight counts, the next day starts at 20:00.
		{"24:00 closes at midnight", evening, "2026-11-23 23:00", "2", "2026-11-24 21:00"},
		{"open round the clock", always, "2026-11-27 22:00", "5", "2026-11-28 03:00"},
		{"round the clock over spring forward", always, "2026-03-28 12:00", "24", "2026-03-29 13:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, err := time.ParseInLocation("2006-01-02 15:04", c.from, c.rules.Location)
			if err != nil {
				t.Fatal(err)
			}
			want, err := time.ParseInLocation("2006-01-02 15:04", c.want, c.rules.Location)
			if err != nil {
				t.Fatal(err)
			}
			got := c.rules.AddBusinessHours(from.UTC(), hoursDuration(decimal.RequireFromString(c.hours)))
			if !got.Equal(want) {
				t.Errorf("%s + %sh = %s, want %s", c.from, c.hours, got.In(c.rules.Location).Format("2006-01-02 15:04 MST"),
					want.Format("2006-01-02 15:04 MST"))
			}
		})
	}
}

// The deadline is the payment plus the rule's business hours; without a rule there is none.
func TestShipByAndAtRisk(t *testing.T) {
	r := rulesOf(t, DeadlineInput{TimeZone: "Europe/Berlin", Hours: weekdays("09:00", "17:00"), ShipWithin: "16", AtRisk: "2"})
	paid := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) // Friday 16:00 in Berlin
	got := r.ShipBy(paid)
	want := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC) // Fri 1h, Mon 8h, Tue 7h: Tuesday 16:00 Berlin
	if got == nil || !got.Equal(want) {
		t.Fatalf("ShipBy = %v, want %v", got, want)
	}
	if at := r.AtRiskBefore(want); !at.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("AtRiskBefore = %v", at) // Tue 16:00 + 2h: 1h on Tuesday, Wednesday 10:00
	}
	r.ShipWithin = decimal.NullDecimal{}
	if r.ShipBy(paid) != nil {
		t.Error("a deadline without a rule")
	}
}

func TestDeadlineInputParse(t *testing.T) {
	r, err := DeadlineInput{TimeZone: " America/Chicago ", Hours: map[string][2]string{"mon": {"08:30", "24:00"}, "sat": {"", ""}},
		Holidays: []string{"2026-12-25", "2026-07-04", "2026-12-25"}, ShipWithin: "16.5", AtRisk: "0"}.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if r.TimeZone != "America/Chicago" || r.Hours[time.Monday] == nil || r.Hours[time.Monday].Pair() != [2]string{"08:30", "24:00"} ||
		r.Hours[time.Saturday] != nil || len(r.Holidays) != 2 || r.Holidays[0] != "2026-07-04" || r.ShipWithin.Decimal.String() != "16.5" {
		t.Fatalf("parsed %+v", r)
	}
	if back, err := r.Input().Parse(); err != nil || back.Input().Hours["mon"] != r.Input().Hours["mon"] {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for field, in := range map[string]DeadlineInput{
		"time_zone":         {TimeZone: "Mars/Olympus", Hours: weekdays("09:00", "17:00"), AtRisk: "4"},
		"hours.mon":         {TimeZone: "UTC", Hours: map[string][2]string{"mon": {"17:00", "09:00"}}, AtRisk: "4"},
		"hours.tue":         {TimeZone: "UTC", Hours: map[string][2]string{"mon": {"09:00", "17:00"}, "tue": {"24:00", "24:00"}}, AtRisk: "4"},
		"hours.wed":         {TimeZone: "UTC", Hours: map[string][2]string{"mon": {"09:00", "17:00"}, "wed": {"9", "17"}}, AtRisk: "4"},
		"hours":             {TimeZone: "UTC", Hours: map[string][2]string{"mon": {"09:00", "09:30"}}, AtRisk: "4"},
		"holidays[1]":       {TimeZone: "UTC", Hours: weekdays("09:00", "17:00"), Holidays: []string{"2026-12-25", "Christmas"}, AtRisk: "4"},
		"ship_within_hours": {TimeZone: "UTC", Hours: weekdays("09:00", "17:00"), ShipWithin: "0", AtRisk: "4"},
		"at_risk_hours":     {TimeZone: "UTC", Hours: weekdays("09:00", "17:00"), AtRisk: "1.255"},
	} {
		_, err := in.Parse()
		if e, ok := err.(*Error); !ok || e.Code != CodeValidationFailed || e.Fields[field] == "" {
			t.Errorf("%s: err = %v, want a message for %s", field, err, field)
		}
	}
	if _, err := (DeadlineInput{TimeZone: "UTC", Hours: map[string][2]string{"monday": {"09:00", "17:00"}, "tue": {"09:00", "17:00"}},
		AtRisk: "4", ShipWithin: "1001"}).Parse(); err == nil || err.(*Error).Fields["hours"] == "" || err.(*Error).Fields["ship_within_hours"] == "" {
		t.Errorf("unknown day and too many hours: %v", err)
	}
}
