package web

import (
	"bytes"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// Default rate of the public tracking lookups per client address.
const (
	defaultTrackRate  = 10 // per second
	defaultTrackBurst = 20
)

// clientKey is what a per-client limit counts by: an IPv4 address, or the /64 network of
// an IPv6 one (one customer line gets a whole /64 and could otherwise walk through it).
func clientKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// trackLimiter limits the public tracking lookups and customers' return requests (API
// and page share one budget) per client address, so that nobody can walk through order
// numbers and emails, or file returns in customers' names by guessing. The budget is kept
// in PostgreSQL, shared by every process; a request costs one UPSERT into an unlogged
// table, which keeps a lookup cheap.
func (s *Server) trackLimiter() echo.MiddlewareFunc {
	limit := service.RateLimit{Rate: s.cfg.TrackRate, Burst: s.cfg.TrackBurst}
	if limit.Rate <= 0 {
		limit.Rate = defaultTrackRate
	}
	if limit.Burst <= 0 {
		limit.Burst = defaultTrackBurst
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			allowed, wait, err := s.svc.TakeRequest(c.Request().Context(), "track:"+clientKey(c.RealIP()), limit)
			if err != nil {
				return err
			}
			if allowed {
				return next(c)
			}
			retryAfter := strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
			c.Response().Header().Set("Retry-After", retryAfter)
			if isAPI(c) {
				return domain.Errorf(domain.CodeRateLimited, "too many tracking lookups from this address; retry in %s s", retryAfter)
			}
			return s.renderTrack(c, http.StatusTooManyRequests, views.TrackPage{RateLimited: true})
		}
	}
}

type publicTrackingJSON struct {
	OrderNumber  string                    `json:"order_number"`
	Status       string                    `json:"status"`
	PlacedAt     time.Time                 `json:"placed_at"`
	Items        []publicItemJSON          `json:"items"`
	Fulfillments []publicFulfillmentJSON   `json:"fulfillments"`
	Timeline     []publicTimelineEntryJSON `json:"timeline"`
	Returns      []publicReturnJSON        `json:"returns"`
	ReturnsUntil *apiTime                  `json:"returns_until"`
}

type publicItemJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Quantity   int    `json:"quantity"`
	Returnable int    `json:"returnable"`
}

type publicFulfillmentJSON struct {
	Carrier        string              `json:"carrier"`
	TrackingNumber string              `json:"tracking_number"`
	TrackingURL    *string             `json:"tracking_url"`
	Status         string              `json:"status"`
	ShippedAt      *apiTime            `json:"shipped_at"`
	DeliveredAt    *apiTime            `json:"delivered_at"`
	Events         []trackingEventJSON `json:"events"`
}

type publicTimelineEntryJSON struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

func toPublicTrackingJSON(v domain.TrackingView) publicTrackingJSON {
	out := publicTrackingJSON{OrderNumber: v.OrderNumber, Status: string(v.Status), PlacedAt: v.PlacedAt.UTC(),
		Items: []publicItemJSON{}, Fulfillments: []publicFulfillmentJSON{}, Timeline: []publicTimelineEntryJSON{},
		Returns: []publicReturnJSON{}, ReturnsUntil: utcPtr(v.ReturnsUntil)}
	for _, it := range v.Items {
		out.Items = append(out.Items, publicItemJSON{ID: it.ID, Name: it.Name, Quantity: it.Quantity, Returnable: it.Returnable})
	}
	for _, r := range v.Returns {
		pr := publicReturnJSON{ID: r.ID, Status: r.Status, Reason: r.Reason, CreatedAt: apiTime(r.CreatedAt), Items: []publicReturnItemJSON{}}
		for _, it := range r.Items {
			pr.Items = append(pr.Items, publicReturnItemJSON{ItemID: it.ItemID, Quantity: it.Quantity, Reason: it.Reason})
		}
		out.Returns = append(out.Returns, pr)
	}
	for _, f := range v.Fulfillments {
		pf := publicFulfillmentJSON{Carrier: f.Carrier, TrackingNumber: f.TrackingNumber, Status: f.Status,
			ShippedAt: utcPtr(f.ShippedAt), DeliveredAt: utcPtr(f.DeliveredAt), Events: []trackingEventJSON{}}
		if f.TrackingURL != "" {
			pf.TrackingURL = &f.TrackingURL
		}
		for _, e := range f.Events {
			pf.Events = append(pf.Events, trackingEventJSON{Status: e.Status, Description: e.Description, At: apiTime(e.At.UTC())})
		}
		out.Fulfillments = append(out.Fulfillments, pf)
	}
	for _, t := range v.Timeline {
		out.Timeline = append(out.Timeline, publicTimelineEntryJSON{Status: string(t.Status), At: t.At.UTC()})
	}
	return out
}

// apiPublicTracking is GET /api/v1/track/{order_number}?email=: no token, rate limited,
// and one 404 for both an unknown order and a wrong email.
func (s *Server) apiPublicTracking(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	v, err := s.svc.TrackOrder(c.Request().Context(), c.Param("order_number"), c.QueryParam("email"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPublicTrackingJSON(v))
}

// pageTrack is GET/POST /track: the lookup form, and the order once both fields are
// given (by the form's POST, which keeps the email out of the address bar, or by a
// GET link with ?order_number=&email=).
func (s *Server) pageTrack(c echo.Context) error {
	p := views.TrackPage{
		OrderNumber: strings.TrimSpace(c.FormValue("order_number")),
		Email:       strings.TrimSpace(c.FormValue("email")),
	}
	if c.Request().Method == http.MethodGet && p.OrderNumber == "" && p.Email == "" {
		return s.renderTrack(c, http.StatusOK, p)
	}
	if p.OrderNumber == "" || p.Email == "" {
		p.Invalid = "Enter both your order number and your email address."
		return s.renderTrack(c, http.StatusUnprocessableEntity, p)
	}
	v, err := s.svc.TrackOrder(c.Request().Context(), p.OrderNumber, p.Email)
	if errors.Is(err, service.ErrTrackingNotFound) {
		p.NotFound = true
		return s.renderTrack(c, http.StatusNotFound, p)
	}
	if err != nil {
		return err
	}
	p.ReturnRequested = c.QueryParam("return") == "requested"
	return s.renderTrackedOrder(c, http.StatusOK, p, v, nil)
}

// renderTrack draws the tracking page. It is public and may show an order, so it is
// never cached and never sends its address (which may hold the email) to carriers.
func (s *Server) renderTrack(c echo.Context, status int, p views.TrackPage) error {
	p.ShopName = s.cfg.ShopName
	h := c.Response().Header()
	h.Set("Content-Security-Policy", trackCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	var buf bytes.Buffer
	if err := views.Track(p).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// trackCSP is the tracking page's policy: its own stylesheet and icon, nothing else.
const trackCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
