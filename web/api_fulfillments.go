package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

type fulfillmentRequestJSON struct {
	Items          *[]lineQuantityJSON `json:"items"`
	Carrier        string              `json:"carrier"`
	TrackingNumber string              `json:"tracking_number"`
	NotifyCustomer *bool               `json:"notify_customer"`
}

func (s *Server) apiCreateFulfillment(c echo.Context) error {
	var req fulfillmentRequestJSON
	if err := bind(c, &req); err != nil {
		return err
	}
	in := domain.FulfillmentRequest{Carrier: req.Carrier, TrackingNumber: req.TrackingNumber, NotifyCustomer: true}
	if req.NotifyCustomer != nil {
		in.NotifyCustomer = *req.NotifyCustomer
	}
	// Omitted (or null) items ship everything left; an empty list is a mistake, not "all".
	if req.Items != nil {
		in.Items = make([]domain.LineQuantity, len(*req.Items))
		for i, it := range *req.Items {
			in.Items[i] = domain.LineQuantity{OrderItemID: it.OrderItemID, Quantity: it.Quantity}
		}
	}
	f, o, err := s.svc.Fulfill(c.Request().Context(), actorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	setETag(c, o.Version)
	return c.JSON(http.StatusCreated, toFulfillmentJSON(f))
}

type trackingEventRequestJSON struct {
	Status      string `json:"status"`
	Description string `json:"description"`
	At          string `json:"at"` // RFC 3339; empty means now
	// NotifyCustomer false: a delivery this event completes emails nobody.
	NotifyCustomer *bool `json:"notify_customer"`
}

type trackingEventResultJSON struct {
	ID                string    `json:"id"`
	FulfillmentID     string    `json:"fulfillment_id"`
	Status            string    `json:"status"`
	Description       string    `json:"description"`
	At                time.Time `json:"at"`
	FulfillmentStatus string    `json:"fulfillment_status"`
	OrderStatus       string    `json:"order_status"`
	CreatedAt         time.Time `json:"created_at"`
}

func (s *Server) apiAddTrackingEvent(c echo.Context) error {
	var req trackingEventRequestJSON
	if err := bind(c, &req); err != nil {
		return err
	}
	in := domain.TrackingEventRequest{Status: req.Status, Description: req.Description}
	if req.At != "" {
		at, err := time.Parse(time.RFC3339, req.At)
		if err != nil {
			return domain.FieldErrors{"at": "must be an RFC 3339 time such as 2026-11-25T14:03:00Z"}.Err()
		}
		in.At = at
	}
	r, err := s.svc.AddTrackingEvent(notifyCtx(c, req.NotifyCustomer), actorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	setETag(c, r.OrderVersion)
	return c.JSON(http.StatusCreated, trackingEventResultJSON{ID: r.ID, FulfillmentID: r.FulfillmentID,
		Status: r.Event.Status, Description: r.Event.Description, At: r.Event.At.UTC(),
		FulfillmentStatus: r.FulfillmentStatus, OrderStatus: string(r.OrderStatus), CreatedAt: r.CreatedAt.UTC()})
}

type orderTrackingJSON struct {
	OrderNumber       string            `json:"order_number"`
	Status            string            `json:"status"`
	FulfillmentStatus string            `json:"fulfillment_status"`
	History           []historyJSON     `json:"history"`
	Fulfillments      []fulfillmentJSON `json:"fulfillments"`
}

// apiOrderTracking is the staff and integration view of an order's journey: its whole
// history and every shipment with its carrier events.
func (s *Server) apiOrderTracking(c echo.Context) error {
	o, err := s.svc.GetOrder(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	full := toOrderJSON(o)
	return c.JSON(http.StatusOK, orderTrackingJSON{OrderNumber: full.OrderNumber, Status: full.Status,
		FulfillmentStatus: full.FulfillmentStatus, History: full.History, Fulfillments: full.Fulfillments})
}
