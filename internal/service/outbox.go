package service

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Telling customers and other systems: every change that someone outside may want to
// hear about is published in its own transaction, as rows of the outbox (messages) with
// the jobs that send them (DeliverMessage, in deliver.go). A change that rolls back
// publishes nothing; one that commits is sent even if the process dies right after.

// quietKey marks a context whose changes email nobody.
type quietKey struct{}

// Quietly returns a context whose changes send the customer no email (a change made with
// notify_customer: false); webhooks are still sent: they tell systems, not people.
func Quietly(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

func quiet(ctx context.Context) bool { v, _ := ctx.Value(quietKey{}).(bool); return v }

// news is one change to publish: the customer's email (if any) and the webhook events.
type news struct {
	email   domain.EmailKind
	events  []domain.EventType
	ref     uuid.UUID // the fulfillment, return or refund it is about; uuid.Nil: the order
	changed []string  // order.updated: the order's fields the change touched
}

// updatedNews is order.updated for a change of the fields named.
func updatedNews(changed ...string) news {
	return news{events: []domain.EventType{domain.EventOrderUpdated}, changed: changed}
}

// publish queues what n tells about an order (locked by the caller, which is what keeps
// one order's messages in commit order).
func publish(ctx context.Context, q *queries.Queries, orderID uuid.UUID, n news) error {
	events := make([]string, len(n.events))
	for i, ev := range n.events {
		events[i] = string(ev)
	}
	err := q.EnqueueMessages(ctx, queries.EnqueueMessagesParams{OrderID: orderID, EmailKind: string(n.email),
		Notify: n.email != "" && !quiet(ctx), Events: events, RefID: uuid.NullUUID{UUID: n.ref, Valid: n.ref != uuid.Nil},
		Changed: n.changed})
	if err != nil {
		return fmt.Errorf("publish %v of order %s: %w", n.events, orderID, err)
	}
	return nil
}

// statusNews is what a move to status tells: every move is order.status_changed; some
// also email the customer, and becoming paid and cancelling are events of their own. An
// order becomes paid once (the transition table never leads back to it), so order.paid
// fires once per order, however its payment status moves later (an edit, a refund).
func statusNews(to domain.Status) news {
	n := news{events: []domain.EventType{domain.EventOrderStatusChanged}}
	switch to {
	case domain.StatusPaid:
		n.email = domain.EmailOrderConfirmed
		n.events = append(n.events, domain.EventOrderPaid)
	case domain.StatusDelivered:
		n.email = domain.EmailDelivered
	case domain.StatusCancelled:
		n.email = domain.EmailCancelled
		n.events = append(n.events, domain.EventOrderCancelled)
	}
	return n
}
