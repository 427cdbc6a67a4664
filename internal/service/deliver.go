package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/emails"
	"github.com/oms/oms/internal/mail"
	"github.com/oms/oms/internal/webhook"
	"github.com/oms/oms/queries"
)

// Sending the outbox (see outbox.go): one job per message, worked by internal/jobs.

// Mailer sends one email (internal/mail.Sender does, over SMTP).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// WebhookEvent is one webhook request's content, for EventEncoder.
type WebhookEvent struct {
	ID        string // the webhook-id
	Type      domain.EventType
	CreatedAt time.Time
	Order     domain.Order
	RefID     string   // the fulfillment, return or refund it is about, in Order; "" none
	Changed   []string // order.updated: the order's fields the change touched
}

// EventEncoder writes a webhook's body: the API's own JSON of the order (the web package
// sets it, as the API's JSON is written there).
type EventEncoder func(WebhookEvent) ([]byte, error)

const (
	// MessageRetryFor is how long a message is retried; an endpoint failing that long is
	// disabled.
	MessageRetryFor = 72 * time.Hour
	// messageTimeout bounds one attempt (the webhook client has its own 10 s as well).
	messageTimeout = 30 * time.Second
	// earlierWait is how long a message waits for an earlier one of its order to go.
	earlierWait = time.Second
)

// ErrNoMailer says emails cannot be sent: OMS_SMTP_URL is not set. They stay queued.
var ErrNoMailer = errors.New("no SMTP server is configured (OMS_SMTP_URL): emails stay queued")

// SetEventEncoder sets how webhook bodies are written; until it is set, webhooks wait.
func (s *Service) SetEventEncoder(e EventEncoder) { s.encoder.Store(&e) }

// DeliverMessage sends one message of the outbox, outside any transaction, and records
// what happened. wait > 0: not now, ask again after wait (an earlier message of its order
// has not gone yet, or nothing can send it yet); an error: the attempt failed and is to be
// retried; nil: done (sent, given up, or nothing to do).
func (s *Service) DeliverMessage(ctx context.Context, id int64) (wait time.Duration, err error) {
	q := queries.New(s.pool)
	m, err := q.GetMessage(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // its order or endpoint was deleted
	}
	if err != nil {
		return 0, fmt.Errorf("message %d: %w", id, err)
	}
	if m.State == domain.MessageSent || m.State == domain.MessageFailed {
		return 0, nil // a repeated job
	}
	earlier, err := q.EarlierUnsent(ctx, queries.EarlierUnsentParams{OrderID: m.OrderID, Channel: m.Channel,
		EndpointID: m.EndpointID, ID: m.ID})
	if err != nil {
		return 0, fmt.Errorf("message %d: %w", id, err)
	}
	if earlier {
		return earlierWait, nil
	}
	if m.Channel == "email" {
		return s.sendEmail(ctx, q, m)
	}
	return s.sendWebhook(ctx, q, m)
}

func (s *Service) sendEmail(ctx context.Context, q *queries.Queries, m queries.GetMessageRow) (time.Duration, error) {
	if s.cfg.Mailer == nil {
		return time.Minute, ErrNoMailer
	}
	if m.Subject == nil {
		e, err := s.renderEmail(ctx, q, m)
		if err != nil {
			return 0, err
		}
		fixed, err := q.FixEmail(ctx, queries.FixEmailParams{ID: m.ID, Subject: &e.Subject, TextBody: &e.Text, HtmlBody: &e.HTML})
		if err != nil {
			return 0, fmt.Errorf("email %d: %w", m.ID, err)
		}
		m.Subject, m.TextBody, m.HtmlBody = fixed.Subject, fixed.TextBody, fixed.HtmlBody
	}
	sendCtx, cancel := context.WithTimeout(ctx, messageTimeout)
	headers := map[string]string{"X-OMS-Order": m.OrderNumber}
	if !m.OrderID.Valid {
		headers = nil // the staff's digest of late orders, about no one order
	}
	err := s.cfg.Mailer.Send(sendCtx, mail.Message{ID: "<" + m.PublicID + "@oms>", To: m.Recipient,
		Subject: *m.Subject, Text: *m.TextBody, HTML: *m.HtmlBody, Headers: headers})
	cancel()
	if err == nil && s.cfg.AfterGatewayCall != nil {
		if hookErr := s.cfg.AfterGatewayCall(); hookErr != nil {
			return 0, hookErr // as if the process died between sending and recording
		}
	}
	return 0, s.recordEmail(ctx, m, err)
}

// recordEmail writes an attempt's outcome, with a history row when the state changes
// (sent; retrying at the first failure; failed when given up).
func (s *Service) recordEmail(ctx context.Context, m queries.GetMessageRow, sendErr error) error {
	label := domain.EmailKind(m.Kind).Label() + " email to " + m.Recipient
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		if sendErr == nil {
			if _, err := q.MessageSent(ctx, queries.MessageSentParams{ID: m.ID}); err != nil {
				return notFound(err, "message")
			}
			return s.notificationHistory(ctx, q, m, domain.MessageSent, label)
		}
		state := domain.MessageRetrying
		if mail.Permanent(sendErr) || s.now().Sub(m.CreatedAt) > MessageRetryFor {
			state = domain.MessageFailed
		}
		if _, err := q.MessageFailed(ctx, queries.MessageFailedParams{ID: m.ID, State: state, LastError: clipError(sendErr)}); err != nil {
			return notFound(err, "message")
		}
		switch {
		case state == domain.MessageFailed:
			return s.notificationHistory(ctx, q, m, state, label+": given up ("+clipError(sendErr)+")")
		case m.State == domain.MessageQueued:
			return s.notificationHistory(ctx, q, m, state, label+": "+clipError(sendErr))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sendErr != nil && !mail.Permanent(sendErr) && s.now().Sub(m.CreatedAt) <= MessageRetryFor {
		return sendErr
	}
	return nil
}

func (s *Service) notificationHistory(ctx context.Context, q *queries.Queries, m queries.GetMessageRow, state, note string) error {
	if !m.OrderID.Valid {
		return nil // a digest to staff: no order's timeline to tell
	}
	if err := q.InsertNotificationHistory(ctx, queries.InsertNotificationHistoryParams{OrderID: m.OrderID.UUID, Status: state, Note: note}); err != nil {
		return fmt.Errorf("history of %s: %w", m.OrderNumber, err)
	}
	return q.NotifyOrderChanged(ctx, m.OrderID.UUID)
}

func (s *Service) renderEmail(ctx context.Context, q *queries.Queries, m queries.GetMessageRow) (emails.Email, error) {
	t, err := q.GetEmailTemplate(ctx, m.Kind)
	if err != nil {
		return emails.Email{}, fmt.Errorf("%s template: %w", m.Kind, err)
	}
	o, err := s.getOrder(ctx, q, m.OrderID.UUID.String())
	if err != nil {
		return emails.Email{}, err
	}
	d := emails.Data{ShopName: s.cfg.ShopName, PublicURL: s.cfg.PublicURL, Order: o}
	if m.RefID.Valid {
		ref := m.RefID.UUID.String()
		d.Shipment, d.Refund, d.Return = o.FulfillmentByID(ref), o.RefundByID(ref), o.ReturnByID(ref)
	}
	return emails.Render(ctx, domain.EmailTemplate{Kind: domain.EmailKind(t.Kind), Subject: t.Subject, Body: t.Body}, d)
}

func (s *Service) sendWebhook(ctx context.Context, q *queries.Queries, m queries.GetMessageRow) (time.Duration, error) {
	enc := s.encoder.Load()
	if enc == nil || s.cfg.Webhooks == nil {
		return time.Minute, errors.New("webhooks are not set up in this process")
	}
	ep, err := q.GetWebhookEndpoint(ctx, m.EndpointID.UUID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // deleted: its messages went with it
	}
	if err != nil {
		return 0, fmt.Errorf("endpoint of message %d: %w", m.ID, err)
	}
	if !ep.Enabled {
		_, err := q.MessageFailed(ctx, queries.MessageFailedParams{ID: m.ID, State: domain.MessageFailed,
			LastError: "the endpoint is disabled"})
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		return 0, err
	}
	if m.Payload == nil {
		o, err := s.getOrder(ctx, q, m.OrderID.UUID.String())
		if err != nil {
			return 0, err
		}
		ev := WebhookEvent{ID: m.PublicID, Type: domain.EventType(m.Kind), CreatedAt: m.CreatedAt, Order: o, Changed: m.Changed}
		if m.RefID.Valid {
			ev.RefID = m.RefID.UUID.String()
		}
		body, err := (*enc)(ev)
		if err != nil {
			return 0, fmt.Errorf("webhook %d body: %w", m.ID, err)
		}
		text := string(body)
		if m.Payload, err = q.FixPayload(ctx, queries.FixPayloadParams{ID: m.ID, Payload: &text}); err != nil {
			return 0, fmt.Errorf("webhook %d: %w", m.ID, err)
		}
	}
	res, sendErr := s.cfg.Webhooks.Deliver(ctx, ep.Url, ep.Secret, m.PublicID, s.now(), []byte(*m.Payload))
	if sendErr == nil && s.cfg.AfterGatewayCall != nil {
		if hookErr := s.cfg.AfterGatewayCall(); hookErr != nil {
			return 0, hookErr
		}
	}
	return 0, s.recordWebhook(ctx, m, res, sendErr)
}

// recordWebhook writes an attempt to the delivery log and the message's state; an
// endpoint failing for MessageRetryFor is disabled, with the reason, and what it still
// had to get is given up.
func (s *Service) recordWebhook(ctx context.Context, m queries.GetMessageRow, res webhook.Result, sendErr error) error {
	var code *int32
	if res.StatusCode != 0 {
		c := int32(res.StatusCode)
		code = &c
	}
	giveUp := sendErr != nil && s.now().Sub(m.CreatedAt) > MessageRetryFor
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		if err := q.InsertWebhookAttempt(ctx, queries.InsertWebhookAttemptParams{MessageID: m.ID, ResponseCode: code,
			Error: clipError(sendErr), DurationMs: int32(res.Duration.Milliseconds())}); err != nil {
			return fmt.Errorf("webhook attempt: %w", err)
		}
		if sendErr == nil {
			if _, err := q.MessageSent(ctx, queries.MessageSentParams{ID: m.ID, ResponseCode: code}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return q.EndpointDelivered(ctx, m.EndpointID.UUID)
		}
		state := domain.MessageRetrying
		if giveUp {
			state = domain.MessageFailed
		}
		if _, err := q.MessageFailed(ctx, queries.MessageFailedParams{ID: m.ID, State: state, LastError: clipError(sendErr),
			ResponseCode: code}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		reason := fmt.Sprintf("disabled on %s: every delivery failed for %s; the last: %s",
			s.now().UTC().Format("2006-01-02 15:04 MST"), "3 days", clipError(sendErr))
		ep, err := q.EndpointFailed(ctx, queries.EndpointFailedParams{ID: m.EndpointID.UUID,
			FailingBefore: s.now().Add(-MessageRetryFor), Reason: reason})
		if err != nil {
			return notFound(err, "webhook endpoint")
		}
		if !ep.Enabled {
			giveUp = true
			return q.GiveUpEndpointMessages(ctx, queries.GiveUpEndpointMessagesParams{EndpointID: m.EndpointID, LastError: "the endpoint was disabled"})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sendErr != nil && !giveUp {
		return sendErr
	}
	return nil
}

// clipError is an error as the outbox keeps it: one line, at most 500 characters.
func clipError(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if r := []rune(s); len(r) > 500 {
		s = string(r[:500]) + "…"
	}
	return s
}
