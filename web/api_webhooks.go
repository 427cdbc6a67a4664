package web

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// Webhook endpoints through the API (scope webhooks), and the body of the events sent
// to them.

type webhookEndpointJSON struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Enabled        bool     `json:"enabled"`
	DisabledReason *string  `json:"disabled_reason"`
	CreatedAt      apiTime  `json:"created_at"`
	Secret         string   `json:"secret,omitempty"` // only when created
}

func toWebhookEndpointJSON(ep service.WebhookEndpoint) webhookEndpointJSON {
	out := webhookEndpointJSON{ID: ep.ID.String(), URL: ep.URL, Events: make([]string, len(ep.Events)),
		Enabled: ep.Enabled, CreatedAt: apiTime(ep.CreatedAt)}
	for i, e := range ep.Events {
		out.Events[i] = string(e)
	}
	if !ep.Enabled {
		out.DisabledReason = &ep.DisabledReason
	}
	return out
}

// apiListWebhookEndpoints is GET /webhook_endpoints.
func (s *Server) apiListWebhookEndpoints(c echo.Context) error {
	eps, err := s.svc.ListWebhookEndpoints(c.Request().Context())
	if err != nil {
		return err
	}
	out := struct {
		Endpoints []webhookEndpointJSON `json:"webhook_endpoints"`
	}{Endpoints: make([]webhookEndpointJSON, len(eps))}
	for i, ep := range eps {
		out.Endpoints[i] = toWebhookEndpointJSON(ep)
	}
	return c.JSON(http.StatusOK, out)
}

// apiCreateWebhookEndpoint is POST /webhook_endpoints: 201 with the secret, shown once.
func (s *Server) apiCreateWebhookEndpoint(c echo.Context) error {
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	ep, secret, err := s.svc.CreateWebhookEndpoint(c.Request().Context(), req.URL, req.Events)
	if err != nil {
		return err
	}
	out := toWebhookEndpointJSON(ep)
	out.Secret = secret
	return c.JSON(http.StatusCreated, out)
}

// apiDeleteWebhookEndpoint is DELETE /webhook_endpoints/{id}.
func (s *Server) apiDeleteWebhookEndpoint(c echo.Context) error {
	if err := s.svc.DeleteWebhookEndpoint(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// eventJSON is a webhook's body: the event and the order as the API shows it, with the
// fulfillment, return or refund the event is about.
type eventJSON struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	CreatedAt apiTime       `json:"created_at"`
	Data      eventDataJSON `json:"data"`
}

type eventDataJSON struct {
	Order       orderJSON        `json:"order"`
	Changed     []string         `json:"changed,omitempty"` // order.updated
	Fulfillment *fulfillmentJSON `json:"fulfillment,omitempty"`
	Return      *returnJSON      `json:"return,omitempty"`
	Refund      *refundJSON      `json:"refund,omitempty"`
}

// eventBody is the service's EventEncoder.
func eventBody(ev service.WebhookEvent) ([]byte, error) {
	o := ev.Order
	data := eventDataJSON{Order: toOrderJSON(o), Changed: ev.Changed}
	if ev.RefID != "" {
		switch ev.Type {
		case domain.EventFulfillmentCreated, domain.EventFulfillmentUpdated:
			if f := o.FulfillmentByID(ev.RefID); f != nil {
				j := toFulfillmentJSON(*f)
				data.Fulfillment = &j
			}
		case domain.EventReturnRequested, domain.EventReturnApproved, domain.EventReturnRejected, domain.EventReturnReceived:
			if r := o.ReturnByID(ev.RefID); r != nil {
				j := toReturnJSON(*r, o.Currency)
				data.Return = &j
			}
		case domain.EventRefundCreated, domain.EventRefundUpdated:
			if r := o.RefundByID(ev.RefID); r != nil {
				j := toRefundJSON(*r, o.Currency)
				data.Refund = &j
			}
		}
	}
	return json.Marshal(eventJSON{ID: ev.ID, Type: string(ev.Type), CreatedAt: apiTime(ev.CreatedAt), Data: data})
}
