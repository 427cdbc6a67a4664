package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// SetTags replaces an order's tags (normalized: domain.NormalizeTags) and records what
// was added and removed in its history; setting the tags it already has changes nothing.
// It returns the order after it.
func (s *Service) SetTags(ctx context.Context, actor domain.Actor, idOrNumber string, tags []string) (domain.Order, error) {
	tags, err := domain.NormalizeTags(tags)
	if err != nil {
		return domain.Order{}, err
	}
	return s.changeOrder(ctx, idOrNumber, func(q *queries.Queries, row queries.Order) error {
		return setTags(ctx, q, row, tags, actor)
	})
}

// EditTags adds some tags to an order and removes others, under the order's lock (two
// people adding a tag each keep both). Errors about add name the field "tag".
func (s *Service) EditTags(ctx context.Context, actor domain.Actor, idOrNumber string, add, remove []string) (domain.Order, error) {
	add, err := domain.NormalizeTags(add)
	if err != nil {
		return domain.Order{}, domain.FieldErrors{"tag": "tags are at most 40 letters a-z, digits, spaces, - _ and :, separated by commas"}.Err()
	}
	return s.changeOrder(ctx, idOrNumber, func(q *queries.Queries, row queries.Order) error {
		return editTags(ctx, q, row, add, remove, actor)
	})
}

// BulkTag adds a tag to (or, with remove, takes it off) each order, each in its own
// transaction like BulkTransition: one order failing does not stop the others. An order
// that would pass domain.MaxTags fails alone.
func (s *Service) BulkTag(ctx context.Context, actor domain.Actor, ids []string, tag string, remove bool) (BulkResult, error) {
	fe := domain.FieldErrors{}
	norm, err := domain.NormalizeTags([]string{tag})
	if err != nil {
		fe.Add("tag", "must be a tag: at most 40 letters a-z, digits, spaces, - _ and :")
	}
	add, drop := norm, []string(nil)
	if remove {
		add, drop = nil, norm
	}
	return s.bulk(ctx, ids, fe, func(id string) error {
		return s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
			row, err := lockOrder(ctx, q, id)
			if err != nil {
				return err
			}
			return editTags(ctx, q, row, add, drop, actor)
		})
	})
}

// editTags adds normalized tags to a locked order and removes others.
func editTags(ctx context.Context, q *queries.Queries, row queries.Order, add, remove []string, actor domain.Actor) error {
	tags := slices.DeleteFunc(slices.Clone(row.Tags), func(t string) bool { return slices.Contains(remove, t) })
	tags, err := domain.NormalizeTags(append(tags, add...))
	if err != nil {
		return domain.Errorf(domain.CodeValidationFailed, "order %s would have more than %d tags, the most an order may have",
			row.OrderNumber, domain.MaxTags)
	}
	return setTags(ctx, q, row, tags, actor)
}

// setTags writes an order's normalized tags and a history row, unless they are the same.
func setTags(ctx context.Context, q *queries.Queries, row queries.Order, tags []string, actor domain.Actor) error {
	change := domain.TagChange(row.Tags, tags)
	if change == "" {
		return nil
	}
	row, err := q.SetOrderTags(ctx, queries.SetOrderTagsParams{ID: row.ID, Tags: tags})
	if err != nil {
		return fmt.Errorf("tags of %s: %w", row.OrderNumber, err)
	}
	if err := addHistory(ctx, q, row, domain.HistoryTags, "", change, actor); err != nil {
		return err
	}
	return publish(ctx, q, row.ID, updatedNews("tags"))
}

// Hold puts an order that can still ship on hold, with a reason: until it is released,
// Fulfill refuses it (on_hold) and it leaves the warehouse queue and packing slips.
// Holding it does not stop it from expiring unpaid or being cancelled: a hold is about
// shipping, and a held order that nobody pays should give its stock back all the same.
func (s *Service) Hold(ctx context.Context, actor domain.Actor, idOrNumber, reason string) (domain.Order, error) {
	if err := domain.CheckHoldReason(reason); err != nil {
		return domain.Order{}, err
	}
	return s.changeOrder(ctx, idOrNumber, func(q *queries.Queries, row queries.Order) error {
		o, err := orderFromRow(row)
		if err != nil {
			return err
		}
		if err := domain.CheckHold(o); err != nil {
			return err
		}
		if row, err = q.HoldOrder(ctx, queries.HoldOrderParams{ID: row.ID, Reason: reason, HeldBy: actor.Name,
			HeldByRole: domain.HolderRole(actor)}); err != nil {
			return fmt.Errorf("hold %s: %w", row.OrderNumber, err)
		}
		if err := addHistory(ctx, q, row, domain.HistoryHold, "on_hold", reason, actor); err != nil {
			return err
		}
		return publish(ctx, q, row.ID, updatedNews("hold"))
	})
}

// Release takes an order off hold, if actor may release that kind of hold
// (domain.CheckRelease); its history keeps the reason it was held for.
func (s *Service) Release(ctx context.Context, actor domain.Actor, idOrNumber string) (domain.Order, error) {
	return s.changeOrder(ctx, idOrNumber, func(q *queries.Queries, row queries.Order) error {
		o, err := orderFromRow(row)
		if err != nil {
			return err
		}
		if err := domain.CheckRelease(o, actor); err != nil {
			return err
		}
		if row, err = q.ReleaseOrder(ctx, row.ID); err != nil {
			return fmt.Errorf("release %s: %w", row.OrderNumber, err)
		}
		if err := addHistory(ctx, q, row, domain.HistoryHold, "released",
			fmt.Sprintf("held since %s by %s: %s", o.Hold.At.UTC().Format("2006-01-02 15:04 UTC"), o.Hold.By, o.Hold.Reason), actor); err != nil {
			return err
		}
		return publish(ctx, q, row.ID, updatedNews("hold"))
	})
}

// changeOrder locks an order, applies change and returns the order after it, all in one
// transaction.
func (s *Service) changeOrder(ctx context.Context, idOrNumber string, change func(q *queries.Queries, row queries.Order) error) (domain.Order, error) {
	var out domain.Order
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		if err := change(q, row); err != nil {
			return err
		}
		out, err = s.getOrder(ctx, q, row.ID.String())
		return err
	})
	return out, err
}
