package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/emails"
	"github.com/oms/oms/queries"
)

// ListEmailTemplates returns every kind of customer email, in Settings' order.
func (s *Service) ListEmailTemplates(ctx context.Context) ([]domain.EmailTemplate, error) {
	kinds := make([]string, len(domain.EmailKinds))
	for i, k := range domain.EmailKinds {
		kinds[i] = string(k)
	}
	rows, err := queries.New(s.pool).ListEmailTemplates(ctx, kinds)
	if err != nil {
		return nil, fmt.Errorf("list email templates: %w", err)
	}
	out := make([]domain.EmailTemplate, len(rows))
	for i, r := range rows {
		out[i] = templateFromRow(r)
	}
	return out, nil
}

// SaveEmailTemplate switches a kind on or off and sets its subject and text; emails
// already queued keep what they were written with at their first attempt.
func (s *Service) SaveEmailTemplate(ctx context.Context, t domain.EmailTemplate) (domain.EmailTemplate, error) {
	t.Subject, t.Body = strings.TrimSpace(t.Subject), strings.TrimSpace(t.Body)
	if err := t.Check(); err != nil {
		return t, err
	}
	var row queries.EmailTemplate
	err := s.audited(ctx, domain.ActivitySettings, func(q *queries.Queries) (string, map[string]any, error) {
		var err error
		if row, err = q.UpdateEmailTemplate(ctx, queries.UpdateEmailTemplateParams{Kind: string(t.Kind),
			Enabled: t.Enabled, Subject: t.Subject, Body: t.Body}); err != nil {
			return "", nil, notFound(err, "email kind")
		}
		state := "off"
		if t.Enabled {
			state = "on"
		}
		return "Saved the " + t.Kind.Label() + " email (" + state + ")", map[string]any{"setting": "email_template",
			"kind": t.Kind, "enabled": t.Enabled, "subject": t.Subject}, nil
	})
	if err != nil {
		return t, err
	}
	return templateFromRow(row), nil
}

// PreviewEmail renders t for a made-up order (no customer's data is shown), as Settings
// previews it.
func (s *Service) PreviewEmail(ctx context.Context, t domain.EmailTemplate) (emails.Email, error) {
	if err := t.Check(); err != nil {
		return emails.Email{}, err
	}
	now := s.now()
	o := domain.Order{Number: "1001", Currency: "EUR", Customer: domain.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items: []domain.OrderItem{
			{ID: "tee", SKU: "TEE-M", Name: "T-shirt, medium", Quantity: 2, UnitPrice: decimal.RequireFromString("19.00"), Total: decimal.RequireFromString("38.00")},
			{ID: "mug", SKU: "MUG", Name: "Mug", Quantity: 1, UnitPrice: decimal.RequireFromString("12.00"), Total: decimal.RequireFromString("12.00")}},
		Subtotal: decimal.RequireFromString("50.00"), Shipping: decimal.RequireFromString("4.90"),
		Tax: decimal.RequireFromString("9.52"), Total: decimal.RequireFromString("64.42"), CreatedAt: now}
	d := emails.Data{ShopName: s.cfg.ShopName, PublicURL: s.cfg.PublicURL, Order: o}
	switch t.Kind {
	case domain.EmailShipped:
		d.Shipment = &domain.Fulfillment{Carrier: "dhl", TrackingNumber: "00340434161234567890",
			TrackingURL: domain.TrackingURL("dhl", "00340434161234567890"), ShippedAt: &now}
	case domain.EmailRefundIssued:
		d.Refund = &domain.Refund{Amount: decimal.RequireFromString("12.00"), Status: "succeeded", CreatedAt: now}
	case domain.EmailReturnRequested, domain.EmailReturnApproved, domain.EmailReturnReceived:
		d.Return = &domain.Return{Status: domain.ReturnRequested, CreatedAt: now,
			Items: []domain.LineQuantity{{OrderItemID: "tee", Quantity: 1, Reason: "too small"}}}
	}
	return emails.Render(ctx, t, d)
}

func templateFromRow(r queries.EmailTemplate) domain.EmailTemplate {
	return domain.EmailTemplate{Kind: domain.EmailKind(r.Kind), Enabled: r.Enabled, Subject: r.Subject, Body: r.Body}
}
