// Package web is the HTTP face of the OMS: the JSON API, the staff back-office pages and
// the public tracking page. Handlers parse, call one service method and render.
package web

import (
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// Config holds the HTTP layer's settings.
type Config struct {
	ShopName      string
	SecureCookies bool

	// TrackRate and TrackBurst limit public tracking lookups per client address
	// (requests per second, and the burst above it); 0 means 10/s, burst 20.
	TrackRate  float64
	TrackBurst int

	// TrustedProxies are the peers (load balancers) whose X-Forwarded-For is believed;
	// anyone else's is ignored, and the client address is the connection's.
	TrustedProxies []*net.IPNet

	// MetricsElsewhere: /metrics is served on an address of its own (OMS_METRICS_ADDR),
	// not here. Otherwise it is served here to loopback clients only.
	MetricsElsewhere bool

	// LiveHeartbeat is how often an open live-update stream sends a heartbeat and checks
	// that its session still holds (default 20 s).
	LiveHeartbeat time.Duration
}

// clientIP is how a request's client address (rate limits, logs) is read: the
// connection's peer, unless the peer is one of the trusted proxies, which may name the
// client in X-Forwarded-For (the right-most address that is not a trusted proxy).
// Nothing is trusted by default: echo's own default believes any loopback or private
// peer, and its RealIP without an extractor believes any header (GO-2026-6872).
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Server holds the dependencies every handler needs.
type Server struct {
	cfg  Config
	svc  *service.Service
	log  *slog.Logger
	echo *echo.Echo
	// draining: shutting down; /readyz says so (Drain).
	draining atomic.Bool

	// renderErrorPage draws the HTML error page for browser requests (set by the pages).
	renderErrorPage func(c echo.Context, status int, de *domain.Error)

	// sessions holds staff logins (scs, stored in PostgreSQL); csrfMW guards the pages' forms.
	sessions *scs.SessionManager
	csrfMW   echo.MiddlewareFunc

	// live fans PostgreSQL's order-change announcements out to open detail pages (live.go).
	live *liveHub

	// permissions is the permission of every staff route, by "METHOD /path" (staffRoute).
	permissions map[string]domain.Permission
}

// New builds the server and its route table.
func New(cfg Config, svc *service.Service, log *slog.Logger) *Server {
	if cfg.ShopName == "" {
		cfg.ShopName = "Demo Shop"
	}
	s := &Server{cfg: cfg, svc: svc, log: log, permissions: map[string]domain.Permission{}}
	// Webhooks carry the order as this API writes it.
	svc.SetEventEncoder(eventBody)
	s.sessions = newSessionManager(svc.Pool(), cfg.SecureCookies)
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		log.Error("session store", slog.Any("err", err))
		http.Error(w, "session store unavailable, try again", http.StatusInternalServerError)
	}
	s.csrfMW = s.csrf()
	s.live = newLiveHub(s)
	s.renderErrorPage = s.renderError
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.JSONSerializer = jsonSerializer{}
	e.IPExtractor = clientIP(cfg.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	s.echo = e
	s.routes()
	return s
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// HTTPServer returns a server for addr with timeouts that keep slow clients from holding
// connections forever.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}
