package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// A bulk cancellation runs as a job: with refunds it moves money for up to 500 orders,
// more than one request should hold. Each order is cancelled in its own transaction,
// which also records the order as done, so a job that restarts goes on where it stopped
// and never cancels or refunds an order twice.

// BulkCancelArgs is the job that works through a bulk cancellation.
type BulkCancelArgs struct {
	BulkID uuid.UUID `json:"bulk_id"`
}

// Kind names the job in the queue.
func (BulkCancelArgs) Kind() string { return "bulk_cancel" }

// InsertOpts: retried after a failure (a lost connection); it goes on from the last
// order done.
func (BulkCancelArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: oncePerArgs}
}

// BulkCancellation is a bulk cancellation and how far it got.
type BulkCancellation struct {
	ID        string
	Reason    string
	Refund    bool
	Total     int
	Results   []BulkOutcome // one per order done, in order
	CreatedAt time.Time
	Finished  bool
}

// BulkOutcome is what happened to one order of a bulk cancellation.
type BulkOutcome struct {
	ID     string `json:"id"`     // as selected
	Number string `json:"number"` // empty when there is no such order
	Error  string `json:"error"`  // why it was not cancelled; empty when it was
}

// StartBulkCancel queues the cancellation of each of ids (same rules as Cancel: stock
// released, and what was paid refunded when refund is set) and returns it; the request
// as a whole is refused like BulkTransition's.
func (s *Service) StartBulkCancel(ctx context.Context, actor domain.Actor, ids []string, reason string, refund bool) (BulkCancellation, error) {
	fe := domain.FieldErrors{}
	domain.ValidateNote(fe, "reason", reason)
	ids, err := checkBulkIDs(ids, fe)
	if err != nil {
		return BulkCancellation{}, err
	}
	staffID, err := uuid.Parse(actor.ID)
	if err != nil || actor.Type != domain.ActorStaff {
		return BulkCancellation{}, domain.Errorf(domain.CodeForbidden, "bulk cancellations are made by staff")
	}
	id := newID()
	err = s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		if err := q.InsertBulkCancellation(ctx, queries.InsertBulkCancellationParams{ID: id, StaffID: staffID,
			ActorName: actor.Name, Reason: reason, Refund: refund, OrderIds: ids}); err != nil {
			return fmt.Errorf("insert bulk cancellation: %w", err)
		}
		if _, err := s.queue.InsertTx(ctx, tx, BulkCancelArgs{BulkID: id}, nil); err != nil {
			return fmt.Errorf("enqueue bulk cancellation: %w", err)
		}
		return nil
	})
	if err != nil {
		return BulkCancellation{}, err
	}
	return s.GetBulkCancellation(ctx, actor.ID, id.String())
}

// GetBulkCancellation returns a bulk cancellation of staff member staffID (anyone
// else's is not found).
func (s *Service) GetBulkCancellation(ctx context.Context, staffID, id string) (BulkCancellation, error) {
	bid, err := uuid.Parse(id)
	if err != nil {
		return BulkCancellation{}, domain.NotFound("bulk cancellation")
	}
	row, err := queries.New(s.pool).GetBulkCancellation(ctx, bid)
	if err != nil {
		return BulkCancellation{}, notFound(err, "bulk cancellation")
	}
	if row.StaffID.String() != staffID {
		return BulkCancellation{}, domain.NotFound("bulk cancellation")
	}
	out := BulkCancellation{ID: row.ID.String(), Reason: row.Reason, Refund: row.Refund, Total: len(row.OrderIds),
		CreatedAt: row.CreatedAt, Finished: row.FinishedAt != nil}
	if err := json.Unmarshal(row.Results, &out.Results); err != nil {
		return BulkCancellation{}, fmt.Errorf("bulk cancellation %s results: %w", id, err)
	}
	return out, nil
}

// RunBulkCancel works through a bulk cancellation from the first order not done. An
// order refused (already shipped, not found) is recorded with why; any other error stops
// the run, for the job to try again.
func (s *Service) RunBulkCancel(ctx context.Context, id uuid.UUID) error {
	row, err := queries.New(s.pool).GetBulkCancellation(ctx, id)
	if err != nil {
		return fmt.Errorf("bulk cancellation %s: %w", id, err)
	}
	actor := domain.Actor{Type: domain.ActorStaff, ID: row.StaffID.String(), Name: row.ActorName}
	for i := int(row.Done); i < len(row.OrderIds); i++ {
		orderID := row.OrderIds[i]
		err := s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
			o, _, err := s.cancelTx(ctx, tx, q, actor, orderID, row.Reason, row.Refund)
			if err != nil {
				return err
			}
			return advanceBulk(ctx, q, id, i, BulkOutcome{ID: orderID, Number: o.OrderNumber})
		})
		if err != nil && domain.ErrorCode(err) == domain.CodeInternal {
			return err
		}
		if err != nil {
			err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
				out := BulkOutcome{ID: orderID, Error: bulkRefusal(err)}
				if o, lerr := lockOrder(ctx, q, orderID); lerr == nil {
					out.Number = o.OrderNumber
				}
				return advanceBulk(ctx, q, id, i, out)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// bulkRefusal is why one order was not cancelled, in plain words.
func bulkRefusal(err error) string {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return "no such order"
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

// advanceBulk records order i of a bulk cancellation as done, once.
func advanceBulk(ctx context.Context, q *queries.Queries, id uuid.UUID, i int, out BulkOutcome) error {
	b, err := json.Marshal([]BulkOutcome{out})
	if err != nil {
		return err
	}
	n, err := q.AdvanceBulkCancellation(ctx, queries.AdvanceBulkCancellationParams{ID: id, Done: int32(i), Result: b})
	if err != nil {
		return fmt.Errorf("bulk cancellation %s progress: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("bulk cancellation %s: order %d was done by another run", id, i)
	}
	return nil
}
