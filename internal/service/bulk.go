package service

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// MaxBulkOrders is the most orders one bulk action may name.
const MaxBulkOrders = 500

// bulkParallelism is how many orders a bulk action changes at once: enough to finish
// 500 orders quickly, few enough to leave the pool to other requests.
const bulkParallelism = 4

// BulkResult says, per order, whether a bulk action succeeded. IDs are as the caller
// gave them (UUIDs or order numbers), in the caller's order.
type BulkResult struct {
	Succeeded []string
	Failed    []BulkFailure
}

// BulkFailure is an order the action could not change, and why (usually a domain error:
// not_found, invalid_transition).
type BulkFailure struct {
	ID  string
	Err error
}

// BulkTransition moves each order to status to, each in its own transaction through the
// same rules as Transition; one order failing does not stop the others. A repeated id
// counts once. The request as a whole is refused (validation_failed) when it names no
// order, more than MaxBulkOrders, an unknown status or a note that is too long.
func (s *Service) BulkTransition(ctx context.Context, actor domain.Actor, ids []string, to domain.Status, note string) (BulkResult, error) {
	fe := domain.FieldErrors{}
	domain.ValidateNote(fe, "note", note)
	switch {
	case to == "":
		fe.Add("status", "is required")
	case !to.Valid():
		fe.Add("status", "unknown status "+string(to))
	}
	return s.bulk(ctx, ids, fe, func(id string) error { return s.transitionOne(ctx, actor, id, to, note) })
}

// bulk runs one on each of ids (repeats once), a few at a time, unless fe (the action's
// own refusals) or the ids themselves refuse the whole request.
func (s *Service) bulk(ctx context.Context, ids []string, fe domain.FieldErrors, one func(id string) error) (BulkResult, error) {
	ids, err := checkBulkIDs(ids, fe)
	if err != nil {
		return BulkResult{}, err
	}
	errs := make([]error, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(bulkParallelism, len(ids)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = one(ids[i])
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()

	res := BulkResult{Succeeded: []string{}, Failed: []BulkFailure{}}
	for i, id := range ids {
		if errs[i] != nil {
			res.Failed = append(res.Failed, BulkFailure{ID: id, Err: errs[i]})
		} else {
			res.Succeeded = append(res.Succeeded, id)
		}
	}
	return res, nil
}

// checkBulkIDs are ids without blanks and repeats, unless they (or fe, the action's own
// refusals) refuse the whole request.
func checkBulkIDs(ids []string, fe domain.FieldErrors) ([]string, error) {
	ids = uniqueIDs(ids)
	switch {
	case len(ids) == 0:
		fe.Add("order_ids", "must name at least one order")
	case len(ids) > MaxBulkOrders:
		fe.Add("order_ids", fmt.Sprintf("must name at most %d orders", MaxBulkOrders))
	}
	return ids, fe.Err()
}

// transitionOne is Transition without reading the whole order back.
func (s *Service) transitionOne(ctx context.Context, actor domain.Actor, idOrNumber string, to domain.Status, note string) error {
	return s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		_, err = s.changeStatus(ctx, q, row, to, actor, note)
		return err
	})
}

// uniqueIDs trims the ids and drops blanks and repeats, keeping the first occurrence.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}
