package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oms/oms/internal/mail"
)

// config is every setting, read from the environment with sane defaults (see README).
type config struct {
	DatabaseURL    string
	Addr           string
	Jobs           bool
	ReservationTTL time.Duration
	ShopName       string
	SecureCookies  string // "auto", "on" or "off"
	StripeKey      string
	StripeAPIBase  string
	StripeWebhook  string
	TrackRate      float64 // public tracking lookups per second per client address
	TrackBurst     int
	TrustedProxies []*net.IPNet // peers whose X-Forwarded-For is believed
	MetricsAddr    string       // where /metrics is served; empty: on Addr, to loopback clients
	Mailer         *mail.Sender // nil: OMS_SMTP_URL is not set, emails stay queued
	PublicURL      string       // where customers reach the OMS, for the links in emails
	// WebhooksAllowPrivate lets webhook endpoints be on loopback or private addresses.
	WebhooksAllowPrivate bool
	ReadDatabaseURL      string        // a streaming replica for lists, search, dashboard, exports; "" none
	ReadMaxLag           time.Duration // how far behind it may be and still be read
	// DrainDelay: on SIGTERM, how long /readyz answers 503 while requests are still served,
	// before the listener closes (OMS_DRAIN_DELAY; 0: close at once).
	DrainDelay time.Duration
	// DirectDatabaseURL reaches the same database as DatabaseURL without a transaction
	// pooler in between, for what needs a session of its own: migrations and the demo
	// loader (advisory locks), the live updates' LISTEN, the job queue (its LISTEN).
	// OMS_DIRECT_DATABASE_URL; empty: DatabaseURL (see directURL).
	DirectDatabaseURL string
	// ReturnWindow: how long after delivery customers may ask for a return themselves.
	ReturnWindow time.Duration
}

// directURL is where session-bound work connects: OMS_DIRECT_DATABASE_URL, or DATABASE_URL.
func (c config) directURL() string {
	if c.DirectDatabaseURL != "" {
		return c.DirectDatabaseURL
	}
	return c.DatabaseURL
}

func loadConfig() (config, error) {
	c := config{
		DatabaseURL:   os.Getenv("DATABASE_URL"),
		Addr:          envOr("OMS_ADDR", ":8080"),
		Jobs:          os.Getenv("OMS_JOBS") != "off",
		ShopName:      envOr("OMS_SHOP_NAME", "Demo Shop"),
		SecureCookies: envOr("OMS_SECURE_COOKIES", "auto"),
		StripeKey:     os.Getenv("STRIPE_SECRET_KEY"),
		StripeAPIBase: os.Getenv("STRIPE_API_BASE"),
		StripeWebhook: os.Getenv("STRIPE_WEBHOOK_SECRET"),
		MetricsAddr:   os.Getenv("OMS_METRICS_ADDR"),
	}
	if c.DatabaseURL == "" {
		return c, errors.New("DATABASE_URL is not set (make run sets it up for you)")
	}
	ttl, err := time.ParseDuration(envOr("OMS_RESERVATION_TTL", "30m"))
	if err != nil || ttl <= 0 {
		return c, fmt.Errorf("OMS_RESERVATION_TTL must be a positive duration such as 30m, got %q", os.Getenv("OMS_RESERVATION_TTL"))
	}
	c.ReservationTTL = ttl
	if c.TrackRate, err = strconv.ParseFloat(envOr("OMS_TRACK_RATE", "10"), 64); err != nil || c.TrackRate <= 0 {
		return c, fmt.Errorf("OMS_TRACK_RATE must be a positive number of requests per second, got %q", os.Getenv("OMS_TRACK_RATE"))
	}
	if c.TrackBurst, err = strconv.Atoi(envOr("OMS_TRACK_BURST", "20")); err != nil || c.TrackBurst < 1 {
		return c, fmt.Errorf("OMS_TRACK_BURST must be a positive whole number, got %q", os.Getenv("OMS_TRACK_BURST"))
	}
	days, err := strconv.Atoi(envOr("OMS_RETURN_WINDOW", "30"))
	if err != nil || days < 1 || days > 3650 {
		return c, fmt.Errorf("OMS_RETURN_WINDOW must be a whole number of days from 1 to 3650, got %q", os.Getenv("OMS_RETURN_WINDOW"))
	}
	c.ReturnWindow = time.Duration(days) * 24 * time.Hour
	if c.TrustedProxies, err = parseCIDRs(os.Getenv("OMS_TRUSTED_PROXIES")); err != nil {
		return c, fmt.Errorf("OMS_TRUSTED_PROXIES: %w", err)
	}
	if smtp := os.Getenv("OMS_SMTP_URL"); smtp != "" {
		if c.Mailer, err = mail.New(mail.Config{URL: smtp, From: envOr("OMS_MAIL_FROM", c.ShopName+" <shop@localhost>")}); err != nil {
			return c, fmt.Errorf("OMS_SMTP_URL / OMS_MAIL_FROM: %w", err)
		}
	}
	c.PublicURL = os.Getenv("OMS_PUBLIC_URL")
	if c.PublicURL == "" {
		_, port, _ := net.SplitHostPort(c.Addr)
		c.PublicURL = "http://localhost:" + port
	} else if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("OMS_PUBLIC_URL must be an absolute http(s) URL such as https://shop.example.com, got %q", c.PublicURL)
	}
	if c.DrainDelay, err = time.ParseDuration(envOr("OMS_DRAIN_DELAY", "0s")); err != nil || c.DrainDelay < 0 {
		return c, fmt.Errorf("OMS_DRAIN_DELAY must be a duration such as 10s, got %q", os.Getenv("OMS_DRAIN_DELAY"))
	}
	c.ReadDatabaseURL = os.Getenv("OMS_READ_DATABASE_URL")
	if c.ReadMaxLag, err = time.ParseDuration(envOr("OMS_READ_MAX_LAG", "5s")); err != nil || c.ReadMaxLag <= 0 {
		return c, fmt.Errorf("OMS_READ_MAX_LAG must be a positive duration such as 5s, got %q", os.Getenv("OMS_READ_MAX_LAG"))
	}
	switch v := os.Getenv("OMS_WEBHOOKS_ALLOW_PRIVATE"); v {
	case "", "false":
	case "true":
		c.WebhooksAllowPrivate = true
	default:
		return c, fmt.Errorf("OMS_WEBHOOKS_ALLOW_PRIVATE must be true or false, got %q", v)
	}
	c.DirectDatabaseURL = os.Getenv("OMS_DIRECT_DATABASE_URL")
	return c, nil
}

// parseCIDRs reads a comma-separated list of CIDRs ("10.0.0.0/8, 192.0.2.7/32"); a bare
// address stands for itself alone.
func parseCIDRs(s string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip := net.ParseIP(part)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", part)
			}
			bits := 128
			if ip.To4() != nil {
				bits = 32
			}
			part = fmt.Sprintf("%s/%d", part, bits)
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", part)
		}
		out = append(out, n)
	}
	return out, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
