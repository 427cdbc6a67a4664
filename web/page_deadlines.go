package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// Settings → Shipping deadlines: the shop's time zone, working hours, holidays and the
// rule; saving recomputes the open orders' deadlines (the tab follows a long one).

var deadlinesTab = settingsTab{"deadlines", (*Server).fillDeadlines}

func (s *Server) fillDeadlines(c echo.Context, v *views.SettingsView) error {
	d, err := s.svc.DeadlineSettings(c.Request().Context())
	if err != nil {
		return err
	}
	v.Deadlines = views.DeadlinesStatus{Enabled: d.Rules.Enabled(),
		LocalNow: time.Now().In(d.Rules.Location).Format("Monday 15:04 MST")}
	if r := d.Recompute; r != nil {
		v.Deadlines.Recompute = &views.RecomputeView{State: r.State, Done: r.Done, Total: r.Total}
	}
	if len(v.Form.Values) > 0 {
		return nil // the form sent, drawn again with its errors
	}
	in := d.Rules.Input()
	v.Form.Values = map[string]string{"time_zone": in.TimeZone, "ship_within_hours": in.ShipWithin,
		"at_risk_hours": in.AtRisk, "holidays": strings.Join(in.Holidays, "\n")}
	for _, day := range domain.Weekdays {
		key := domain.WeekdayKey(day)
		if h, ok := in.Hours[key]; ok {
			v.Form.Values["works_"+key] = "on"
			v.Form.Values["open_"+key], v.Form.Values["close_"+key] = h[0], h[1]
		}
	}
	return nil
}

// saveDeadlines is POST /settings/deadlines.
func (s *Server) saveDeadlines(c echo.Context) error {
	f := views.Form{Values: map[string]string{}}
	for _, n := range []string{"time_zone", "ship_within_hours", "at_risk_hours", "holidays"} {
		f.Values[n] = c.FormValue(n)
	}
	in := domain.DeadlineInput{TimeZone: f.V("time_zone"), ShipWithin: f.V("ship_within_hours"), AtRisk: f.V("at_risk_hours"),
		Hours: map[string][2]string{}, Holidays: strings.Fields(strings.ReplaceAll(f.V("holidays"), ",", " "))}
	for _, day := range domain.Weekdays {
		key := domain.WeekdayKey(day)
		for _, n := range []string{"works_", "open_", "close_"} {
			f.Values[n+key] = c.FormValue(n + key)
		}
		if f.Checked("works_" + key) {
			in.Hours[key] = [2]string{f.V("open_" + key), f.V("close_" + key)}
			if in.Hours[key] == [2]string{"", ""} {
				in.Hours[key] = [2]string{"", "-"} // ticked without times: say so at that day
			}
		}
	}
	d, err := s.svc.SaveDeadlineSettings(c.Request().Context(), in)
	if err != nil {
		fail, ferr := s.formErrors(c, err)
		if ferr != nil {
			return ferr
		}
		for k, m := range fail.Errors {
			if strings.HasPrefix(k, "holidays[") {
				fail.Errors["holidays"] = m
			}
		}
		f.Errors = fail.Errors
		return s.renderSettings(c, fail.Status, deadlinesTab, f, nil)
	}
	msg := "Shipping deadlines saved."
	if r := d.Recompute; r != nil && r.Running() {
		msg += " The deadlines of the open orders are being recomputed in the background."
	} else if r != nil {
		msg += " The deadlines of " + views.Plural(r.Total, "open order", "open orders") + " were recomputed."
	}
	s.flashSuccess(c, msg)
	return c.Redirect(http.StatusSeeOther, "/settings/deadlines")
}
