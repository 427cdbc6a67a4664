package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// Shipping deadline settings through the API: GET with any valid token, PUT with the
// scope settings:write.

type deadlinesJSON struct {
	TimeZone        string                `json:"time_zone"`
	Hours           map[string]*[2]string `json:"hours"` // every weekday; null: closed
	Holidays        []string              `json:"holidays"`
	ShipWithinHours *json.Number          `json:"ship_within_hours"` // null: no deadlines
	AtRiskHours     json.Number           `json:"at_risk_hours"`
	ShippingRates   []rateDeadlineJSON    `json:"shipping_rates"` // read-only: set in Settings → Shipping
	Version         int                   `json:"version"`
	UpdatedAt       apiTime               `json:"updated_at"`
	Recompute       *recomputeJSON        `json:"recompute"` // the latest recomputation of the open orders
}

// rateDeadlineJSON is a shipping rate with deadline hours of its own.
type rateDeadlineJSON struct {
	Country         string      `json:"country"`
	Currency        string      `json:"currency"`
	ShipWithinHours json.Number `json:"ship_within_hours"`
}

type recomputeJSON struct {
	State string `json:"state"` // queued, running, done, superseded
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

func toDeadlinesJSON(d service.DeadlineSettings) deadlinesJSON {
	in := d.Rules.Input()
	out := deadlinesJSON{TimeZone: in.TimeZone, Hours: map[string]*[2]string{}, Holidays: append([]string{}, in.Holidays...),
		AtRiskHours: json.Number(in.AtRisk), Version: d.Version, UpdatedAt: apiTime(d.UpdatedAt), ShippingRates: []rateDeadlineJSON{}}
	for _, r := range d.Rates {
		out.ShippingRates = append(out.ShippingRates, rateDeadlineJSON{Country: r.Country, Currency: r.Currency,
			ShipWithinHours: json.Number(r.ShipWithin.Decimal.String())})
	}
	for _, day := range domain.Weekdays {
		key := domain.WeekdayKey(day)
		if h, ok := in.Hours[key]; ok {
			out.Hours[key] = &h
		} else {
			out.Hours[key] = nil
		}
	}
	if in.ShipWithin != "" {
		n := json.Number(in.ShipWithin)
		out.ShipWithinHours = &n
	}
	if r := d.Recompute; r != nil {
		out.Recompute = &recomputeJSON{State: r.State, Done: r.Done, Total: r.Total}
	}
	return out
}

// apiGetDeadlines is GET /settings/deadlines.
func (s *Server) apiGetDeadlines(c echo.Context) error {
	d, err := s.svc.DeadlineSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDeadlinesJSON(d))
}

// apiPutDeadlines is PUT /settings/deadlines: the fields sent replace the current ones
// (hours as a whole), the others stay; ship_within_hours null switches deadlines off.
func (s *Server) apiPutDeadlines(c echo.Context) error {
	var req struct {
		TimeZone        *string              `json:"time_zone"`
		Hours           *map[string][]string `json:"hours"`
		Holidays        *[]string            `json:"holidays"`
		ShipWithinHours json.RawMessage      `json:"ship_within_hours"`
		AtRiskHours     json.RawMessage      `json:"at_risk_hours"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	cur, err := s.svc.DeadlineSettings(c.Request().Context())
	if err != nil {
		return err
	}
	in := cur.Rules.Input()
	if req.TimeZone != nil {
		in.TimeZone = *req.TimeZone
	}
	if req.Holidays != nil {
		in.Holidays = *req.Holidays
	}
	fe := domain.FieldErrors{}
	if req.Hours != nil {
		in.Hours = map[string][2]string{}
		for day, pair := range *req.Hours {
			switch len(pair) {
			case 0: // null: closed
			case 2:
				in.Hours[day] = [2]string{pair[0], pair[1]}
			default:
				fe.Add("hours."+day, `must be [open, close] such as ["09:00", "17:00"], or null when closed`)
			}
		}
	}
	if err := hoursNumber(req.ShipWithinHours, "ship_within_hours", true, &in.ShipWithin); err != nil {
		return err
	}
	if err := hoursNumber(req.AtRiskHours, "at_risk_hours", false, &in.AtRisk); err != nil {
		return err
	}
	if err := fe.Err(); err != nil {
		return err
	}
	d, err := s.svc.SaveDeadlineSettings(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDeadlinesJSON(d))
}

// hoursNumber reads a number of hours sent as a JSON number into *dst; absent leaves it,
// null empties it where nullable.
func hoursNumber(raw json.RawMessage, field string, nullable bool, dst *string) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return nil
	case string(raw) == "null" && nullable:
		*dst = ""
		return nil
	}
	var n json.Number
	if raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		want := "a number of hours"
		if nullable {
			want += ", or null"
		}
		return &domain.Error{Code: domain.CodeBadRequest, Message: field + " must be " + want, Fields: map[string]string{field: "must be " + want}}
	}
	// The one reader of numbers from outside: an exponent or a malformed number is a
	// wrong value (400), too many digits a value the settings cannot hold (422).
	if _, err := domain.ParseDecimal(n.String(), domain.HoursDigits); err != nil {
		var de *domain.DecimalError
		if errors.As(err, &de) && !de.Malformed {
			return domain.FieldErrors{field: de.Msg}.Err()
		}
		return &domain.Error{Code: domain.CodeBadRequest, Message: field + " " + err.Error(), Fields: map[string]string{field: err.Error()}}
	}
	*dst = n.String()
	return nil
}
