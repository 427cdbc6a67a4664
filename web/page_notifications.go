package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Settings: customer emails (on/off, subject, text, preview) and webhook endpoints (add,
// delete, the delivery log, redeliver, enable again).

var (
	emailsTab   = settingsTab{"emails", (*Server).fillEmails}
	webhooksTab = settingsTab{"webhooks", (*Server).fillWebhooks}
)

func (s *Server) fillEmails(c echo.Context, v *views.SettingsView) error {
	ts, err := s.svc.ListEmailTemplates(c.Request().Context())
	if err != nil {
		return err
	}
	v.EmailTemplates = ts
	kind := domain.EmailKind(c.Param("kind"))
	if kind == "" {
		return nil
	}
	for _, t := range ts {
		if t.Kind == kind {
			v.EmailEditor = &views.EmailEditor{Kind: kind}
			if v.Form.Values["subject"] == "" && len(v.Form.Errors) == 0 && v.Form.ID == "" {
				v.Form.Values = map[string]string{"subject": t.Subject, "body": t.Body, "enabled": onIf(t.Enabled)}
				s.previewInto(c, v, t, "As saved, for a made-up order.")
			}
			return nil
		}
	}
	return domain.NotFound("email kind")
}

func onIf(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// emailInput is the editor's form as a template.
func emailInput(c echo.Context) (views.Form, domain.EmailTemplate) {
	f := settingsForm(c, "subject", "body", "enabled")
	return f, domain.EmailTemplate{Kind: domain.EmailKind(c.Param("kind")), Enabled: f.Checked("enabled"),
		Subject: f.V("subject"), Body: f.V("body")}
}

// saveEmail is POST /settings/emails/{kind}.
func (s *Server) saveEmail(c echo.Context) error {
	f, t := emailInput(c)
	_, err := s.svc.SaveEmailTemplate(c.Request().Context(), t)
	return s.settingsResult(c, emailsTab, "/settings/emails/"+url.PathEscape(string(t.Kind)), f, err, t.Kind.Label()+" email saved.")
}

// previewEmail is POST /settings/emails/{kind}/preview: the editor again, with what was
// typed rendered (nothing is saved).
func (s *Server) previewEmail(c echo.Context) error {
	f, t := emailInput(c)
	f.ID = "preview" // keeps fillEmails from replacing the input with the saved text
	if err := t.Check(); err != nil {
		return s.settingsResult(c, emailsTab, "", f, err, "")
	}
	return s.renderSettings(c, http.StatusOK, emailsTab, f, func(v *views.SettingsView) {
		s.previewInto(c, v, t, "Not saved yet: this is the text above, for a made-up order.")
	})
}

func (s *Server) previewInto(c echo.Context, v *views.SettingsView, t domain.EmailTemplate, note string) {
	e, err := s.svc.PreviewEmail(c.Request().Context(), t)
	if err != nil || v.EmailEditor == nil {
		return // the form shows the input's errors
	}
	v.EmailEditor.Preview = &views.EmailPreview{Subject: e.Subject, Text: e.Text, HTML: e.HTML}
	v.EmailEditor.PreviewNote = note
}

func (s *Server) fillWebhooks(c echo.Context, v *views.SettingsView) error {
	ctx := c.Request().Context()
	if id := c.Param("id"); id != "" {
		ep, err := s.svc.GetWebhookEndpoint(ctx, id)
		if err != nil {
			return err
		}
		row := webhookRow(ep)
		v.Endpoint = &row
		before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
		page, err := s.svc.ListDeliveries(ctx, ep.ID, max(before, 0), 50)
		if err != nil {
			return err
		}
		for _, d := range page.Deliveries {
			v.Deliveries = append(v.Deliveries, deliveryRow(d))
		}
		if page.Next != 0 {
			v.DeliveriesNext = "/settings/webhooks/" + ep.ID.String() + "?before=" + strconv.FormatInt(page.Next, 10)
		}
		return nil
	}
	eps, err := s.svc.ListWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		v.Webhooks = append(v.Webhooks, webhookRow(ep))
	}
	return nil
}

func webhookRow(ep service.WebhookEndpoint) views.WebhookRow {
	return views.WebhookRow{ID: ep.ID.String(), URL: ep.URL, Events: ep.Events, Enabled: ep.Enabled,
		DisabledReason: ep.DisabledReason, FailingSince: ep.FailingSince, CreatedAt: ep.CreatedAt}
}

func deliveryRow(d service.Delivery) views.DeliveryRow {
	row := views.DeliveryRow{ID: d.ID, Type: d.Type, PublicID: d.PublicID, OrderNo: d.OrderNumber, State: d.State,
		LastError: d.LastError, CreatedAt: d.CreatedAt}
	for _, a := range d.Attempts {
		ar := views.AttemptRow{At: a.At, Error: a.Error, Duration: a.Duration.String()}
		if a.ResponseCode != nil {
			ar.Code = strconv.Itoa(int(*a.ResponseCode))
		}
		row.Attempts = append(row.Attempts, ar)
	}
	return row
}

// createWebhook is POST /settings/webhooks.
func (s *Server) createWebhook(c echo.Context) error {
	f := settingsForm(c, "url")
	form, _ := c.FormParams()
	f.Values["events"] = strings.Join(form["events"], ",")
	_, secret, err := s.svc.CreateWebhookEndpoint(c.Request().Context(), f.V("url"), form["events"])
	if err != nil {
		return s.settingsResult(c, webhooksTab, "/settings/webhooks", f, err, "")
	}
	// The secret exists only in this response: render instead of redirecting.
	return s.renderSettings(c, http.StatusCreated, webhooksTab, views.Form{}, func(v *views.SettingsView) {
		v.NewSecret = secret
	})
}

// deleteWebhook is POST /settings/webhooks/{id}/delete.
func (s *Server) deleteWebhook(c echo.Context) error {
	err := s.svc.DeleteWebhookEndpoint(c.Request().Context(), c.Param("id"))
	return s.settingsAction(c, "/settings/webhooks", err, "Endpoint deleted.")
}

// enableWebhook is POST /settings/webhooks/{id}/enable.
func (s *Server) enableWebhook(c echo.Context) error {
	ep, err := s.svc.EnableWebhookEndpoint(c.Request().Context(), c.Param("id"))
	return s.settingsAction(c, "/settings/webhooks/"+url.PathEscape(c.Param("id")), err,
		"Endpoint enabled: new events go to "+ep.URL+" again.")
}

// redeliverWebhook is POST /settings/webhooks/{id}/deliveries/{delivery}/redeliver.
func (s *Server) redeliverWebhook(c echo.Context) error {
	back := "/settings/webhooks/" + url.PathEscape(c.Param("id"))
	ep, err := s.svc.GetWebhookEndpoint(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil {
		return domain.NotFound("delivery")
	}
	err = s.svc.Redeliver(c.Request().Context(), ep.ID, id)
	return s.settingsAction(c, back, err, "Queued again: it is sent within seconds.")
}
