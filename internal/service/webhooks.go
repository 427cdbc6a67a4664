package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/webhook"
	"github.com/oms/oms/queries"
)

// DeliverMessageArgs is the job that sends one outbox message (internal/jobs works it).
// The database inserts these jobs itself, with their messages (migration 00013's
// trigger); Redeliver inserts one here.
type DeliverMessageArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind names the job in the queue.
func (DeliverMessageArgs) Kind() string { return "deliver_message" }

// InsertOpts: as the trigger inserts them.
func (DeliverMessageArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1000} }

// WebhookEndpoint is where another system hears about orders.
type WebhookEndpoint struct {
	ID             uuid.UUID
	URL            string
	Events         []domain.EventType
	Enabled        bool
	DisabledReason string
	FailingSince   *time.Time
	CreatedAt      time.Time
}

// CreateWebhookEndpoint adds an endpoint and returns it with its signing secret, the only
// time the secret is shown.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, rawURL string, events []string) (WebhookEndpoint, string, error) {
	rawURL = strings.TrimSpace(rawURL)
	fe := domain.FieldErrors{}
	if rawURL == "" {
		fe["url"] = "is required"
	} else if err := webhook.CheckURL(rawURL, s.cfg.WebhooksAllowPrivate); err != nil {
		fe["url"] = strings.TrimPrefix(err.Error(), "url ")
	}
	types, err := domain.ParseEventTypes(events)
	if err != nil {
		var de *domain.Error
		if !errors.As(err, &de) {
			return WebhookEndpoint{}, "", err
		}
		for k, v := range de.Fields {
			fe[k] = v
		}
	}
	if err := fe.Err(); err != nil {
		return WebhookEndpoint{}, "", err
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	stored := make([]string, len(types))
	for i, t := range types {
		stored[i] = string(t)
	}
	var row queries.WebhookEndpoint
	err = s.audited(ctx, domain.ActivityWebhookEndpoint, func(q *queries.Queries) (string, map[string]any, error) {
		if row, err = q.InsertWebhookEndpoint(ctx, queries.InsertWebhookEndpointParams{ID: newID(), Url: rawURL,
			Events: stored, Secret: secret}); err != nil {
			return "", nil, fmt.Errorf("create webhook endpoint: %w", err)
		}
		return "Added webhook endpoint " + rawURL, map[string]any{"endpoint_id": row.ID, "url": rawURL, "events": stored}, nil
	})
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	return endpointFromRow(row), secret, nil
}

// ListWebhookEndpoints returns every endpoint, oldest first.
func (s *Service) ListWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := queries.New(s.pool).ListWebhookEndpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out := make([]WebhookEndpoint, len(rows))
	for i, r := range rows {
		out[i] = endpointFromRow(r)
	}
	return out, nil
}

// GetWebhookEndpoint returns one endpoint.
func (s *Service) GetWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return WebhookEndpoint{}, domain.NotFound("webhook endpoint")
	}
	row, err := queries.New(s.pool).GetWebhookEndpoint(ctx, uid)
	if err != nil {
		return WebhookEndpoint{}, notFound(err, "webhook endpoint")
	}
	return endpointFromRow(row), nil
}

// DeleteWebhookEndpoint removes an endpoint, its messages not yet sent and its log.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.NotFound("webhook endpoint")
	}
	return s.audited(ctx, domain.ActivityWebhookEndpoint, func(q *queries.Queries) (string, map[string]any, error) {
		ep, err := q.GetWebhookEndpoint(ctx, uid)
		if err != nil {
			return "", nil, notFound(err, "webhook endpoint")
		}
		n, err := q.DeleteWebhookEndpoint(ctx, uid)
		if err != nil {
			return "", nil, fmt.Errorf("delete webhook endpoint: %w", err)
		}
		if n == 0 {
			return "", nil, domain.NotFound("webhook endpoint")
		}
		return "Removed webhook endpoint " + ep.Url, map[string]any{"endpoint_id": uid, "url": ep.Url}, nil
	})
}

// EnableWebhookEndpoint turns a disabled endpoint on again; what it missed while disabled
// can be redelivered from its log.
func (s *Service) EnableWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return WebhookEndpoint{}, domain.NotFound("webhook endpoint")
	}
	var row queries.WebhookEndpoint
	err = s.audited(ctx, domain.ActivityWebhookEndpoint, func(q *queries.Queries) (string, map[string]any, error) {
		if row, err = q.EnableWebhookEndpoint(ctx, uid); err != nil {
			return "", nil, notFound(err, "webhook endpoint")
		}
		return "Enabled webhook endpoint " + row.Url, map[string]any{"endpoint_id": uid, "url": row.Url}, nil
	})
	if err != nil {
		return WebhookEndpoint{}, err
	}
	return endpointFromRow(row), nil
}

// Delivery is one webhook message in an endpoint's log, with its attempts.
type Delivery struct {
	ID           int64
	Type         string
	PublicID     string
	OrderNumber  string
	State        string
	Attempts     []DeliveryAttempt
	LastError    string
	ResponseCode *int32
	CreatedAt    time.Time
	SentAt       *time.Time
}

// DeliveryAttempt is one request made.
type DeliveryAttempt struct {
	At           time.Time
	ResponseCode *int32
	Error        string
	Duration     time.Duration
}

// DeliveryPage is a page of an endpoint's log, newest first; Next is the cursor of the
// next (older) page, 0 at the end.
type DeliveryPage struct {
	Deliveries []Delivery
	Next       int64
}

// ListDeliveries returns an endpoint's log, newest first, limit at a time, older than
// the message before (0: from the newest).
func (s *Service) ListDeliveries(ctx context.Context, endpointID uuid.UUID, before int64, limit int) (DeliveryPage, error) {
	q := queries.New(s.pool)
	var cursor *int64
	if before > 0 {
		cursor = &before
	}
	rows, err := q.ListEndpointDeliveries(ctx, queries.ListEndpointDeliveriesParams{EndpointID: uuid.NullUUID{UUID: endpointID, Valid: true},
		Before: cursor, Limit: int32(limit + 1)})
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("deliveries: %w", err)
	}
	var page DeliveryPage
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = rows[limit-1].ID
	}
	ids := make([]int64, len(rows))
	byID := map[int64]int{}
	for i, r := range rows {
		ids[i] = r.ID
		byID[r.ID] = i
		page.Deliveries = append(page.Deliveries, Delivery{ID: r.ID, Type: r.Kind, PublicID: r.PublicID, OrderNumber: r.OrderNumber,
			State: r.State, LastError: r.LastError, ResponseCode: r.ResponseCode, CreatedAt: r.CreatedAt, SentAt: r.SentAt})
	}
	attempts, err := q.ListAttempts(ctx, ids)
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("delivery attempts: %w", err)
	}
	for _, a := range attempts {
		d := &page.Deliveries[byID[a.MessageID]]
		d.Attempts = append(d.Attempts, DeliveryAttempt{At: a.AttemptedAt, ResponseCode: a.ResponseCode, Error: a.Error,
			Duration: time.Duration(a.DurationMs) * time.Millisecond})
	}
	return page, nil
}

// Redeliver sends a webhook message again (with the same webhook-id, so that the
// receiver can tell it is a repeat), whatever became of it.
func (s *Service) Redeliver(ctx context.Context, endpointID uuid.UUID, messageID int64) error {
	return s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		m, err := q.RequeueMessage(ctx, queries.RequeueMessageParams{ID: messageID, EndpointID: uuid.NullUUID{UUID: endpointID, Valid: true}})
		if err != nil {
			return notFound(err, "delivery")
		}
		if _, err := s.queue.InsertTx(ctx, tx, DeliverMessageArgs{MessageID: m.ID}, nil); err != nil {
			return fmt.Errorf("enqueue delivery %d: %w", m.ID, err)
		}
		return nil
	})
}

func endpointFromRow(r queries.WebhookEndpoint) WebhookEndpoint {
	out := WebhookEndpoint{ID: r.ID, URL: r.Url, Enabled: r.Enabled, FailingSince: r.FailingSince, CreatedAt: r.CreatedAt}
	if r.DisabledReason != nil {
		out.DisabledReason = *r.DisabledReason
	}
	for _, e := range r.Events {
		out.Events = append(out.Events, domain.EventType(e))
	}
	return out
}

// MessageKeep is how long sent or given-up messages (and their delivery log) are kept.
const MessageKeep = 30 * 24 * time.Hour

// DeleteOldMessages forgets up to 10000 messages done with longer than MessageKeep ago.
func (s *Service) DeleteOldMessages(ctx context.Context) (int64, error) {
	return queries.New(s.pool).DeleteOldMessages(ctx, s.now().Add(-MessageKeep))
}
