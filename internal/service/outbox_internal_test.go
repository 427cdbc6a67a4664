package service

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/queries"
)

// The outbox is the change's own transaction: a change that rolls back publishes nothing
// (no message, no job, no history row); one that commits has each message with its job.
func TestPublishIsPartOfTheChangesTransaction(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	svc := New(pool, Config{WebhooksAllowPrivate: true})
	staff := domain.Actor{Type: domain.ActorStaff, ID: "t", Name: "Tester"}
	if _, _, err := svc.PutProduct(ctx, domain.Product{SKU: "MUG", Name: "Mug", Price: decimal.RequireFromString("9.50"),
		Currency: "USD", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetOnHand(ctx, staff, "MUG", 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateWebhookEndpoint(ctx, "http://127.0.0.1:9/hook", []string{"order.paid", "order.created"}); err != nil {
		t.Fatal(err)
	}
	o, _, err := svc.CreateOrder(ctx, staff, domain.NewOrder{Customer: domain.Customer{Email: "ann@example.com", Name: "Ann"},
		ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St", City: "Springfield",
			Region: "IL", PostalCode: "62701", Country: "US"},
		Items: []domain.ItemRequest{{SKU: "MUG", Quantity: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := func() (messages, jobs, history int) {
		t.Helper()
		err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM messages WHERE order_id = $1),
			(SELECT count(*) FROM river_job WHERE kind = 'deliver_message'),
			(SELECT count(*) FROM order_history WHERE order_id = $1 AND kind = 'notification')`, o.ID).Scan(&messages, &jobs, &history)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	// Order creation's one statement wrote order.created for the endpoint, with its job.
	if m, j, h := counts(); m != 1 || j != 1 || h != 0 {
		t.Fatalf("after create: %d messages, %d jobs, %d history rows; want 1, 1, 0", m, j, h)
	}
	n := news{email: domain.EmailOrderConfirmed, events: []domain.EventType{domain.EventOrderPaid}}
	boom := errors.New("boom")
	err = svc.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, o.ID)
		if err != nil {
			return err
		}
		if err := publish(ctx, q, row.ID, n); err != nil {
			return err
		}
		return boom // the change fails after publishing
	})
	if !errors.Is(err, boom) {
		t.Fatalf("inTx: %v", err)
	}
	if m, j, h := counts(); m != 1 || j != 1 || h != 0 {
		t.Fatalf("after a rollback: %d messages, %d jobs, %d history rows; want what was there (1, 1, 0)", m, j, h)
	}
	err = svc.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, o.ID)
		if err != nil {
			return err
		}
		return publish(ctx, q, row.ID, n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, j, h := counts(); m != 3 || j != 3 || h != 1 {
		t.Fatalf("after a commit: %d messages, %d jobs, %d history rows; want 3 (the email and the webhook), 3, 1 (email queued)", m, j, h)
	}
	// Quietly: the webhook still goes, the customer is not emailed.
	err = svc.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		return publish(Quietly(ctx), q, uuid.MustParse(o.ID), n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, j, h := counts(); m != 4 || j != 4 || h != 1 {
		t.Fatalf("after a quiet change: %d messages, %d jobs, %d history rows; want 4, 4, 1", m, j, h)
	}
	// Done with for longer than MessageKeep: forgotten; still to send or recent: kept.
	if _, err := pool.Exec(ctx, `UPDATE messages SET state = 'sent', updated_at = now() - interval '31 days'
		WHERE id = (SELECT min(id) FROM messages)`); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.DeleteOldMessages(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteOldMessages: %d, %v; want 1", n, err)
	}
	if m, _, h := counts(); m != 3 || h != 1 {
		t.Fatalf("after clean-up: %d messages, %d history rows; want 3, 1", m, h)
	}
}
