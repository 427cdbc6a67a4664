package service

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Transition moves an order to another status, as the transition table and the status's
// guard allow. Moving to cancelled releases the order's reserved stock.
func (s *Service) Transition(ctx context.Context, actor domain.Actor, idOrNumber string, to domain.Status, note string) (domain.Order, error) {
	if err := domain.CheckNote("note", note); err != nil {
		return domain.Order{}, err
	}
	var out domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if _, err := s.changeStatus(ctx, q, row, to, actor, note); err != nil {
			return err
		}
		out, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	return out, err
}

// lockOrder finds an order by id or number and locks its row for the rest of the
// transaction: the first step of every change to an order. The context's precondition
// (IfMatch) is checked here, under the lock.
func lockOrder(ctx context.Context, q *queries.Queries, idOrNumber string) (queries.Order, error) {
	id, err := resolveOrderID(ctx, q, idOrNumber)
	if err != nil {
		return queries.Order{}, err
	}
	row, err := q.LockOrder(ctx, id)
	if err != nil {
		return queries.Order{}, notFound(err, "order")
	}
	return row, checkFirstLock(ctx, q, row)
}

// changeStatus is the one place an order's status changes: it checks the transition
// table and the guard, writes the status with its timestamp (and, on payment, the
// shipping deadline; SetOrderStatus clears it once the order ships) and a history row, and
// releases reserved stock (and has open card payments cancelled at Stripe) on
// cancellation. The order row must be locked.
func (s *Service) changeStatus(ctx context.Context, q *queries.Queries, row queries.Order, to domain.Status, actor domain.Actor, note string) (queries.Order, error) {
	from := domain.Status(row.Status)
	if err := domain.CheckTransition(from, to); err != nil {
		return row, err
	}
	o, err := orderFromRow(row)
	if err != nil {
		return row, err
	}
	if err := domain.CheckStatusGuard(o, to); err != nil {
		return row, err
	}
	params := queries.SetOrderStatusParams{ID: row.ID, Status: string(to)}
	if to == domain.StatusPaid {
		if err := s.stampDeadline(ctx, q, row, &params); err != nil {
			return row, err
		}
	}
	updated, err := q.SetOrderStatus(ctx, params)
	if err != nil {
		return row, fmt.Errorf("set status of %s: %w", row.OrderNumber, err)
	}
	if err := addHistory(ctx, q, row, domain.HistoryStatus, string(to), note, actor); err != nil {
		return row, err
	}
	if err := publish(ctx, q, row.ID, statusNews(to)); err != nil {
		return row, err
	}
	if to == domain.StatusCancelled {
		if _, err := q.ReleaseOrderReservations(ctx, row.ID); err != nil {
			return row, fmt.Errorf("release stock of %s: %w", row.OrderNumber, err)
		}
		if err := s.cancelOpenIntents(ctx, q, row); err != nil {
			return row, err
		}
	}
	transitions.WithLabelValues(string(from), string(to)).Inc()
	return updated, nil
}

// historyEmail is what a history row keeps of its actor beside the name: a staff user's
// email, by which the activity log names them ("" for anyone else).
func historyEmail(a domain.Actor) string {
	if a.Type != domain.ActorStaff {
		return ""
	}
	return a.Email
}

// addHistory records one change of an order in its history, with the version it makes
// (orderChanged), and announces it (at commit) to every process, so that open detail
// pages update (see notify.go). Order creation writes its first history row without it:
// nobody can be watching a new order.
func addHistory(ctx context.Context, q *queries.Queries, row queries.Order, kind domain.HistoryKind, status, note string, actor domain.Actor) error {
	version, err := orderChanged(ctx, q, row.ID)
	if err != nil {
		return err
	}
	var email *string
	if e := historyEmail(actor); e != "" {
		email = &e
	}
	if err := q.InsertHistory(ctx, queries.InsertHistoryParams{OrderID: row.ID, Kind: string(kind), Status: status,
		Note: note, Actor: actor.Name, ActorType: string(actor.Type), Version: &version, ActorEmail: email}); err != nil {
		return fmt.Errorf("history of %s: %w", row.OrderNumber, err)
	}
	if err := q.NotifyOrderChanged(ctx, row.ID); err != nil {
		return fmt.Errorf("announce change of %s: %w", row.OrderNumber, err)
	}
	return nil
}
