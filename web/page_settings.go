package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// settingsForm collects the named inputs of a submitted form, to re-render them.
func settingsForm(c echo.Context, names ...string) views.Form {
	f := views.Form{Values: map[string]string{}}
	for _, n := range names {
		f.Values[n] = c.FormValue(n)
	}
	return f
}

// settingsTab is one tab of Settings: its name and how it fills the page.
type settingsTab struct {
	name string
	fill func(s *Server, c echo.Context, v *views.SettingsView) error
}

var (
	staffTab    = settingsTab{"staff", (*Server).fillStaff}
	tokensTab   = settingsTab{"tokens", (*Server).fillTokens}
	taxTab      = settingsTab{"tax", (*Server).fillTaxRates}
	shippingTab = settingsTab{"shipping", (*Server).fillShippingRates}
	couponsTab  = settingsTab{"coupons", (*Server).fillCoupons}
)

// renderSettings draws a tab with form f (the add form when f is empty; with f.ID and no
// errors, the edit form of that record).
func (s *Server) renderSettings(c echo.Context, status int, tab settingsTab, f views.Form, extra func(*views.SettingsView)) error {
	v := views.SettingsView{Tab: tab.name, Form: f}
	if v.Form.Values == nil {
		v.Form.Values = map[string]string{}
	}
	if err := tab.fill(s, c, &v); err != nil {
		return err
	}
	if extra != nil {
		extra(&v)
	}
	return render(c, status, views.SettingsPage(s.page(c, "Settings", "settings"), v))
}

// editing reports whether v's form should show record id's current values.
func editing(v *views.SettingsView, id string) bool {
	return v.Form.ID == id && len(v.Form.Errors) == 0
}

func (s *Server) fillStaff(c echo.Context, v *views.SettingsView) error {
	users, err := s.svc.ListStaffUsers(c.Request().Context())
	if err != nil {
		return err
	}
	if me, ok := staffOf(c); ok {
		v.SelfID = me.ID
	}
	for _, u := range users {
		v.Staff = append(v.Staff, views.StaffRow{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role,
			Disabled: u.Disabled, LastLoginAt: u.LastLoginAt})
	}
	if v.Form.Values["role"] == "" {
		v.Form.Values["role"] = string(domain.RoleSupport)
	}
	return nil
}

func (s *Server) fillTokens(c echo.Context, v *views.SettingsView) error {
	tokens, err := s.svc.ListTokens(c.Request().Context())
	if err != nil {
		return err
	}
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, views.TokenRow{ID: t.ID.String(), Name: t.Name, Prefix: t.Prefix,
			CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, Scopes: t.Scopes})
	}
	return nil
}

func (s *Server) fillTaxRates(c echo.Context, v *views.SettingsView) error {
	rates, err := s.svc.ListTaxRates(c.Request().Context())
	if err != nil {
		return err
	}
	for _, r := range rates {
		row := views.TaxRateRow{ID: r.ID.String(), Country: r.Country, Region: r.Region, Name: r.Name,
			Percent: r.Rate.Mul(decimal.NewFromInt(100)).String()}
		v.TaxRates = append(v.TaxRates, row)
		if editing(v, row.ID) {
			v.Form.Values = map[string]string{"country": row.Country, "region": row.Region, "rate": row.Percent, "name": row.Name}
		}
	}
	return nil
}

func (s *Server) fillShippingRates(c echo.Context, v *views.SettingsView) error {
	rates, err := s.svc.ListShippingRates(c.Request().Context())
	if err != nil {
		return err
	}
	for _, r := range rates {
		row := views.ShippingRateRow{ID: r.ID.String(), Country: r.Country, Currency: r.Currency, Name: r.Name,
			Amount: r.Amount, FreeAbove: r.FreeAbove, ShipWithin: r.ShipWithin}
		v.ShippingRates = append(v.ShippingRates, row)
		if editing(v, row.ID) {
			v.Form.Values = map[string]string{"country": r.Country, "currency": r.Currency, "name": r.Name,
				"amount": domain.FormatAmount(r.Amount, r.Currency)}
			if r.FreeAbove.Valid {
				v.Form.Values["free_above"] = domain.FormatAmount(r.FreeAbove.Decimal, r.Currency)
			}
			if r.ShipWithin.Valid {
				v.Form.Values["ship_within_hours"] = r.ShipWithin.Decimal.String()
			}
		}
	}
	return nil
}

func (s *Server) fillCoupons(c echo.Context, v *views.SettingsView) error {
	coupons, err := s.svc.ListCoupons(c.Request().Context())
	if err != nil {
		return err
	}
	for _, cp := range coupons {
		row := views.CouponRow{ID: cp.ID.String(), Code: cp.Code, Percent: cp.Percent, Value: cp.Value,
			Currency: cp.Currency, MinSubtotal: cp.MinSubtotal, UsedCount: cp.UsedCount, Active: cp.Active}
		if cp.StartsAt != nil {
			row.StartsOn = cp.StartsAt.UTC().Format("2006-01-02")
		}
		if cp.EndsAt != nil {
			row.EndsOn = cp.EndsAt.UTC().AddDate(0, 0, -1).Format("2006-01-02")
		}
		if cp.UsageLimit != nil {
			n := int(*cp.UsageLimit)
			row.UsageLimit = &n
		}
		v.Coupons = append(v.Coupons, row)
		if editing(v, row.ID) {
			v.Form.Values = couponValues(row)
		}
	}
	if v.Form.ID == "" && len(v.Form.Errors) == 0 && len(v.Form.Values) == 0 {
		v.Form.Values = map[string]string{"kind": "percent", "active": "on"}
	}
	return nil
}

// couponValues fills the coupon form with row, to edit it.
func couponValues(row views.CouponRow) map[string]string {
	kind := "fixed"
	if row.Percent {
		kind = "percent"
	}
	out := map[string]string{"code": row.Code, "kind": kind, "value": row.Value.String(),
		"currency": row.Currency, "starts_on": row.StartsOn, "ends_on": row.EndsOn}
	if row.MinSubtotal.Valid {
		out["min_subtotal"] = row.MinSubtotal.Decimal.String()
	}
	if row.UsageLimit != nil {
		out["usage_limit"] = views.Count(*row.UsageLimit)
	}
	if row.Active {
		out["active"] = "on"
	}
	return out
}

// showSettings is GET of a tab; ?edit=<id> opens the edit form of that record.
func (s *Server) showSettings(tab settingsTab) echo.HandlerFunc {
	return func(c echo.Context) error {
		f := views.Form{}
		if id := c.QueryParam("edit"); id != "" {
			if _, err := uuid.Parse(id); err != nil {
				return domain.NotFound("record")
			}
			f.ID = id
		}
		return s.renderSettings(c, http.StatusOK, tab, f, nil)
	}
}

// settingsResult finishes a settings form: on success a flash and a redirect to the tab,
// on a validation error the tab again with the input and the messages.
func (s *Server) settingsResult(c echo.Context, tab settingsTab, href string, f views.Form, err error, success string) error {
	if err == nil {
		s.flashSuccess(c, success)
		return c.Redirect(http.StatusSeeOther, href)
	}
	fail, err := s.formErrors(c, err)
	if err != nil {
		return err
	}
	f.Errors = fail.Errors
	return s.renderSettings(c, fail.Status, tab, f, nil)
}

// settingsAction finishes a row action (delete, revoke, disable): errors become a flash,
// since there is no form to show them by.
func (s *Server) settingsAction(c echo.Context, href string, err error, success string) error {
	if err != nil {
		de := s.toDomainError(c, err)
		if de.Code == domain.CodeInternal {
			return err
		}
		s.flashError(c, sentence(de.Message))
	} else {
		s.flashSuccess(c, success)
	}
	return c.Redirect(http.StatusSeeOther, href)
}

// recordID reads the :id of a settings route.
func recordID(c echo.Context, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, domain.NotFound(what)
	}
	return id, nil
}

func (s *Server) createStaff(c echo.Context) error {
	f := settingsForm(c, "name", "email", "role")
	u, err := s.svc.CreateStaffUser(c.Request().Context(), f.V("email"), f.V("name"), domain.Role(f.V("role")), c.FormValue("password"))
	return s.settingsResult(c, staffTab, "/settings", f, err, "Added "+u.Name+" as "+string(u.Role)+".")
}

func (s *Server) changeStaffRole(c echo.Context) error {
	me, _ := staffOf(c)
	u, err := s.svc.SetStaffRole(c.Request().Context(), me.Actor(), c.Param("id"), domain.Role(c.FormValue("role")))
	return s.settingsAction(c, "/settings", err, u.Name+" is now "+string(u.Role)+".")
}

func (s *Server) changeStaffStatus(c echo.Context) error {
	me, _ := staffOf(c)
	disable := c.FormValue("disabled") == "true"
	u, err := s.svc.SetStaffDisabled(c.Request().Context(), me.Actor(), c.Param("id"), disable)
	msg := u.Name + " can log in again."
	if disable {
		msg = u.Name + " is disabled and logged out."
	}
	return s.settingsAction(c, "/settings", err, msg)
}

func (s *Server) resetStaffPassword(c echo.Context) error {
	u, err := s.svc.ResetStaffPassword(c.Request().Context(), c.Param("id"), c.FormValue("password"))
	if de, ok := err.(*domain.Error); ok && de.Fields["password"] != "" {
		err = domain.Errorf(de.Code, "the new password %s", de.Fields["password"])
	}
	return s.settingsAction(c, "/settings", err, "Password of "+u.Name+" changed.")
}

func (s *Server) createToken(c echo.Context) error {
	f := settingsForm(c, "name")
	form, _ := c.FormParams()
	f.Values["scopes"] = strings.Join(form["scopes"], ",")
	scopes, err := domain.ParseScopes(f.V("scopes"))
	var t service.APIToken
	var secret string
	if err == nil {
		t, secret, err = s.svc.CreateToken(c.Request().Context(), f.V("name"), scopes...)
	}
	if err != nil {
		return s.settingsResult(c, tokensTab, "/settings/tokens", f, err, "")
	}
	// The secret exists only in this response: render instead of redirecting.
	return s.renderSettings(c, http.StatusCreated, tokensTab, views.Form{}, func(v *views.SettingsView) {
		v.NewToken, v.NewTokenName = secret, t.Name
	})
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := recordID(c, "API token")
	if err == nil {
		err = s.svc.RevokeToken(c.Request().Context(), id)
	}
	return s.settingsAction(c, "/settings/tokens", err, "Token revoked.")
}

func (s *Server) saveTaxRate(c echo.Context) error {
	f := settingsForm(c, "country", "region", "rate", "name")
	id := uuid.Nil
	if c.Param("id") != "" {
		var err error
		if id, err = recordID(c, "tax rate"); err != nil {
			return err
		}
		f.ID = id.String()
	}
	r, err := s.svc.SaveTaxRate(c.Request().Context(), id, domain.TaxRateInput{Country: f.V("country"), Region: f.V("region"),
		RatePercent: f.V("rate"), Name: f.V("name")})
	where := r.Country
	if r.Region != "" {
		where += "/" + r.Region
	}
	return s.settingsResult(c, taxTab, "/settings/tax", f, err, "Tax rate for "+where+" saved.")
}

func (s *Server) deleteTaxRate(c echo.Context) error {
	id, err := recordID(c, "tax rate")
	if err == nil {
		err = s.svc.DeleteTaxRate(c.Request().Context(), id)
	}
	return s.settingsAction(c, "/settings/tax", err, "Tax rate deleted.")
}

func (s *Server) saveShippingRate(c echo.Context) error {
	f := settingsForm(c, "country", "currency", "amount", "free_above", "name", "ship_within_hours")
	id := uuid.Nil
	if c.Param("id") != "" {
		var err error
		if id, err = recordID(c, "shipping rate"); err != nil {
			return err
		}
		f.ID = id.String()
	}
	r, err := s.svc.SaveShippingRate(c.Request().Context(), id, domain.ShippingRateInput{Country: f.V("country"),
		Currency: f.V("currency"), Amount: f.V("amount"), FreeAbove: f.V("free_above"), Name: f.V("name"),
		ShipWithin: f.V("ship_within_hours")})
	return s.settingsResult(c, shippingTab, "/settings/shipping", f, err, "Shipping rate for "+r.Country+" saved.")
}

func (s *Server) deleteShippingRate(c echo.Context) error {
	id, err := recordID(c, "shipping rate")
	if err == nil {
		err = s.svc.DeleteShippingRate(c.Request().Context(), id)
	}
	return s.settingsAction(c, "/settings/shipping", err, "Shipping rate deleted.")
}

func (s *Server) saveCoupon(c echo.Context) error {
	f := settingsForm(c, "code", "kind", "value", "currency", "min_subtotal", "starts_on", "ends_on", "usage_limit", "active")
	id := uuid.Nil
	if c.Param("id") != "" {
		var err error
		if id, err = recordID(c, "coupon"); err != nil {
			return err
		}
		f.ID = id.String()
	}
	cp, err := s.svc.SaveCoupon(c.Request().Context(), id, domain.CouponInput{Code: f.V("code"), Kind: f.V("kind"),
		Value: f.V("value"), Currency: f.V("currency"), MinSubtotal: f.V("min_subtotal"), StartsOn: f.V("starts_on"),
		EndsOn: f.V("ends_on"), UsageLimit: strings.ReplaceAll(f.V("usage_limit"), ",", ""), Active: f.Checked("active")})
	return s.settingsResult(c, couponsTab, "/settings/coupons", f, err, "Coupon "+cp.Code+" saved.")
}

func (s *Server) deleteCoupon(c echo.Context) error {
	id, err := recordID(c, "coupon")
	if err == nil {
		err = s.svc.DeleteCoupon(c.Request().Context(), id)
	}
	return s.settingsAction(c, "/settings/coupons", err, "Coupon deleted.")
}
