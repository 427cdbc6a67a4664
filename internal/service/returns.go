package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// NewReturn is a customer's request to send items back.
type NewReturn struct {
	Items  []domain.LineQuantity
	Reason string
}

// RequestReturn opens a return for a delivered (or already returned) order. Each line's
// quantity is at most what was fulfilled, less what is returned and what other open
// returns ask for.
func (s *Service) RequestReturn(ctx context.Context, actor domain.Actor, orderIDOrNumber string, in NewReturn) (domain.OrderReturn, error) {
	return s.requestReturn(ctx, actor, in, func(q *queries.Queries, _ NewReturn) (queries.Order, error) {
		return lockOrder(ctx, q, orderIDOrNumber)
	})
}

// requestReturn opens a return of the order lock finds and locks in the return's
// transaction; lock may check more (see RequestCustomerReturn), given the valid request
// with its line ids spelled as stored.
func (s *Service) requestReturn(ctx context.Context, actor domain.Actor, in NewReturn,
	lock func(*queries.Queries, NewReturn) (queries.Order, error)) (domain.OrderReturn, error) {
	fe := domain.FieldErrors{}
	domain.ValidateNote(fe, "reason", in.Reason)
	ids := make([]uuid.UUID, len(in.Items))
	switch {
	case len(in.Items) == 0:
		fe.Add("items", "must have at least one line")
	case len(in.Items) > domain.MaxOrderLines:
		fe.Add("items", fmt.Sprintf("must have at most %d lines", domain.MaxOrderLines))
	}
	le := domain.LineErrors{Fields: fe}
	for i, it := range in.Items {
		id, err := uuid.Parse(it.OrderItemID)
		lineID := ""
		switch {
		case it.OrderItemID == "":
			le.Add(i, "", "order_item_id", "is required")
		case err != nil:
			le.Add(i, "", "order_item_id", "must be the id of one of the order's items")
		case slices.Contains(ids[:i], id):
			le.Add(i, id.String(), "order_item_id", "is already in this return")
		default:
			lineID = id.String()
		}
		ids[i] = id
		if it.Quantity < 1 || it.Quantity > domain.MaxLineQuantity {
			le.Add(i, lineID, "quantity", fmt.Sprintf("must be between 1 and %d", domain.MaxLineQuantity))
		}
		domain.ValidateNote(fe, fmt.Sprintf("items[%d].reason", i), it.Reason)
	}
	if err := le.Err(domain.CodeValidationFailed, "the request has invalid fields"); err != nil {
		return domain.OrderReturn{}, err
	}
	in.Items = slices.Clone(in.Items)
	for i := range in.Items {
		in.Items[i].OrderItemID = ids[i].String()
	}
	var out domain.OrderReturn
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lock(q, in)
		if err != nil {
			return err
		}
		if !domain.AcceptsReturns(domain.Status(row.Status)) {
			return domain.Errorf(domain.CodeInvalidTransition, "order %s is %s: returns are accepted once it is delivered",
				row.OrderNumber, row.Status)
		}
		lines, err := q.ReturnableItems(ctx, row.ID)
		if err != nil {
			return fmt.Errorf("returnable items of %s: %w", row.OrderNumber, err)
		}
		limits := make([]domain.LineLimit, len(lines))
		for i, l := range lines {
			limits[i] = domain.LineLimit{ID: l.ID.String(), SKU: l.Sku, Most: max(int(l.FulfilledQuantity-l.ReturnedQuantity-l.RequestedQuantity), 0)}
		}
		unknown, short := domain.LineErrors{}, domain.LineErrors{}
		for _, f := range domain.CheckLineQuantities(limits, in.Items) {
			switch f.Kind {
			case domain.NotALine:
				unknown.Add(f.Index, "", "order_item_id", "is not an item of order "+row.OrderNumber)
			case domain.RepeatedLine: // refused above already
				unknown.Add(f.Index, f.Line.ID, "order_item_id", "is already in this return")
			case domain.TooMany:
				short.Add(f.Index, f.Line.ID, "quantity", fmt.Sprintf("at most %d of %s can be returned", f.Line.Most, f.Line.SKU))
			}
		}
		if err := unknown.Err(domain.CodeValidationFailed, "the request has invalid fields"); err != nil {
			return err
		}
		if err := short.Err(domain.CodeQuantityExceedsReturnable, "more items than were delivered and not yet returned"); err != nil {
			return err
		}
		ret, err := q.InsertReturn(ctx, queries.InsertReturnParams{ID: newID(), OrderID: row.ID, Reason: in.Reason})
		if err != nil {
			return fmt.Errorf("insert return of %s: %w", row.OrderNumber, err)
		}
		p := queries.InsertReturnItemsParams{ReturnID: ret.ID}
		units := 0
		for i, it := range in.Items {
			p.ItemIds = append(p.ItemIds, ids[i])
			p.Quantities = append(p.Quantities, int32(it.Quantity))
			p.Reasons = append(p.Reasons, it.Reason)
			units += it.Quantity
		}
		if err := q.InsertReturnItems(ctx, p); err != nil {
			return fmt.Errorf("insert return items of %s: %w", row.OrderNumber, err)
		}
		note := fmt.Sprintf("return of %d item(s) requested", units)
		if in.Reason != "" {
			note += ": " + in.Reason
		}
		if err := addHistory(ctx, q, row, domain.HistoryReturn, domain.ReturnRequested, note, actor); err != nil {
			return err
		}
		if err := publish(ctx, q, row.ID, news{email: domain.EmailReturnRequested,
			events: []domain.EventType{domain.EventReturnRequested}, ref: ret.ID}); err != nil {
			return err
		}
		out, err = getReturn(ctx, q, ret.ID)
		return err
	})
	return out, err
}

// lockReturn locks a return's order, then the return itself (always in that order, as
// every change to an order starts by locking it), and checks the return is in want.
func lockReturn(ctx context.Context, q *queries.Queries, returnID string, want ...string) (queries.Return, queries.Order, error) {
	id, err := uuid.Parse(returnID)
	if err != nil {
		return queries.Return{}, queries.Order{}, domain.NotFound("return")
	}
	ret, err := q.GetReturn(ctx, id)
	if err != nil {
		return queries.Return{}, queries.Order{}, notFound(err, "return")
	}
	row, err := lockOrder(ctx, q, ret.OrderID.String())
	if err != nil {
		return queries.Return{}, queries.Order{}, err
	}
	if ret, err = q.LockReturn(ctx, id); err != nil {
		return queries.Return{}, queries.Order{}, notFound(err, "return")
	}
	if !slices.Contains(want, ret.Status) {
		if ret.Status == domain.ReturnRequested {
			return ret, row, domain.Errorf(domain.CodeInvalidTransition, "return %s is requested: approve it first", ret.ID)
		}
		return ret, row, domain.Errorf(domain.CodeAlreadyProcessed, "return %s is already %s", ret.ID, ret.Status)
	}
	return ret, row, nil
}

// ApproveReturn accepts a requested return: its lines count as returned, the returned
// lines' share of what was paid is refunded (through the gateways), and a delivered order
// becomes returned. A return is processed once; a second approval (even a concurrent
// one) is already_processed.
func (s *Service) ApproveReturn(ctx context.Context, actor domain.Actor, returnID, note string) (domain.OrderReturn, error) {
	if err := domain.CheckNote("note", note); err != nil {
		return domain.OrderReturn{}, err
	}
	var out domain.OrderReturn
	err := s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		ret, row, err := lockReturn(ctx, q, returnID, domain.ReturnRequested)
		if err != nil {
			return err
		}
		items, err := q.ListReturnItems(ctx, ret.ID)
		if err != nil {
			return fmt.Errorf("items of return %s: %w", ret.ID, err)
		}
		lines, err := q.ReturnableItems(ctx, row.ID)
		if err != nil {
			return fmt.Errorf("items of %s: %w", row.OrderNumber, err)
		}
		returning := map[uuid.UUID]int{}
		units := 0
		for _, it := range items {
			returning[it.OrderItemID] = int(it.Quantity)
			units += int(it.Quantity)
		}
		rl := make([]domain.ReturnLine, len(lines))
		for i, l := range lines {
			rl[i] = domain.ReturnLine{UnitPrice: l.UnitPrice, Quantity: int(l.Quantity), Returned: int(l.ReturnedQuantity),
				Returning: returning[l.ID]}
		}
		amount := domain.ReturnRefund(row.Currency, row.Paid, row.Discount, rl)
		// Money already given back, or on its way back, is not given back twice.
		if left := refundableOf(row); amount.GreaterThan(left) {
			amount = left
		}
		if _, err := q.ApproveReturn(ctx, queries.ApproveReturnParams{ID: ret.ID, RefundAmount: amount, Note: note}); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return domain.Errorf(domain.CodeAlreadyProcessed, "return %s is already processed", ret.ID)
			}
			return fmt.Errorf("approve return %s: %w", ret.ID, err)
		}
		for _, it := range items {
			if _, err := q.AddReturnedQuantity(ctx, queries.AddReturnedQuantityParams{ID: it.OrderItemID, ReturnedQuantity: it.Quantity}); err != nil {
				if code, _ := pgCode(err); code == pgCheckViolation {
					return domain.Errorf(domain.CodeQuantityExceedsReturnable, "return %s asks for more %s than is left to return", ret.ID, it.Sku)
				}
				return fmt.Errorf("count returned %s: %w", it.Sku, err)
			}
		}
		msg := fmt.Sprintf("return of %d item(s) approved, refund %s %s", units, domain.FormatAmount(amount, row.Currency), row.Currency)
		if note != "" {
			msg += ": " + note
		}
		if err := addHistory(ctx, q, row, domain.HistoryReturn, domain.ReturnApproved, msg, actor); err != nil {
			return err
		}
		if err := publish(ctx, q, row.ID, news{email: domain.EmailReturnApproved,
			events: []domain.EventType{domain.EventReturnApproved}, ref: ret.ID}); err != nil {
			return err
		}
		if domain.Status(row.Status) == domain.StatusDelivered {
			if row, err = s.changeStatus(ctx, q, row, domain.StatusReturned, actor, "return approved"); err != nil {
				return err
			}
		}
		if amount.IsPositive() {
			reason := "return approved"
			if ret.Reason != "" {
				reason += ": " + ret.Reason
			}
			if _, _, err = s.refund(ctx, tx, q, row, amount, reason, uuid.NullUUID{UUID: ret.ID, Valid: true}, actor); err != nil {
				return err
			}
		} else if _, err = s.followMoney(ctx, q, row, actor); err != nil {
			return err
		}
		out, err = getReturn(ctx, q, ret.ID)
		return err
	})
	return out, err
}

// RejectReturn turns down a requested return.
func (s *Service) RejectReturn(ctx context.Context, actor domain.Actor, returnID, note string) (domain.OrderReturn, error) {
	if err := domain.CheckNote("note", note); err != nil {
		return domain.OrderReturn{}, err
	}
	var out domain.OrderReturn
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		ret, row, err := lockReturn(ctx, q, returnID, domain.ReturnRequested)
		if err != nil {
			return err
		}
		if _, err := q.RejectReturn(ctx, queries.RejectReturnParams{ID: ret.ID, Note: note}); err != nil {
			return fmt.Errorf("reject return %s: %w", ret.ID, err)
		}
		msg := "return rejected"
		if note != "" {
			msg += ": " + note
		}
		if err := addHistory(ctx, q, row, domain.HistoryReturn, domain.ReturnRejected, msg, actor); err != nil {
			return err
		}
		if err := publish(ctx, q, row.ID, news{events: []domain.EventType{domain.EventReturnRejected}, ref: ret.ID}); err != nil {
			return err
		}
		out, err = getReturn(ctx, q, ret.ID)
		return err
	})
	return out, err
}

// ReceiveReturn records that an approved return's items arrived back; with restock they
// go back on hand (they left on_hand when they were fulfilled).
func (s *Service) ReceiveReturn(ctx context.Context, actor domain.Actor, returnID string, restock bool) (domain.OrderReturn, error) {
	var out domain.OrderReturn
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		ret, row, err := lockReturn(ctx, q, returnID, domain.ReturnApproved)
		if err != nil {
			return err
		}
		if _, err := q.ReceiveReturn(ctx, queries.ReceiveReturnParams{ID: ret.ID, Restocked: restock}); err != nil {
			return fmt.Errorf("receive return %s: %w", ret.ID, err)
		}
		msg := "returned items received"
		if restock {
			items, err := q.ListReturnItems(ctx, ret.ID)
			if err != nil {
				return fmt.Errorf("items of return %s: %w", ret.ID, err)
			}
			perSKU := map[string]int32{}
			for _, it := range items {
				perSKU[it.Sku] += it.Quantity
			}
			// SKU order, as every stock change locks inventory rows, so none deadlock.
			skus := make([]string, 0, len(perSKU))
			for sku := range perSKU {
				skus = append(skus, sku)
			}
			slices.Sort(skus)
			for _, sku := range skus {
				if _, err := q.AdjustOnHand(ctx, queries.AdjustOnHandParams{Sku: sku, Delta: perSKU[sku]}); err != nil {
					return fmt.Errorf("restock %s: %w", sku, err)
				}
				if err := q.InsertInventoryAdjustment(ctx, queries.InsertInventoryAdjustmentParams{Sku: sku, Delta: perSKU[sku],
					Reason: "return " + ret.ID.String() + " of " + row.OrderNumber, Actor: actor.Name}); err != nil {
					return fmt.Errorf("restock %s: %w", sku, err)
				}
			}
			msg += " and restocked"
		}
		if err := addHistory(ctx, q, row, domain.HistoryReturn, domain.ReturnReceived, msg, actor); err != nil {
			return err
		}
		if err := publish(ctx, q, row.ID, news{email: domain.EmailReturnReceived,
			events: []domain.EventType{domain.EventReturnReceived}, ref: ret.ID}); err != nil {
			return err
		}
		out, err = getReturn(ctx, q, ret.ID)
		return err
	})
	return out, err
}

// GetReturn returns a return with its order's number and currency.
func (s *Service) GetReturn(ctx context.Context, returnID string) (domain.OrderReturn, error) {
	id, err := uuid.Parse(returnID)
	if err != nil {
		return domain.OrderReturn{}, domain.NotFound("return")
	}
	return getReturn(ctx, queries.New(s.pool), id)
}

func getReturn(ctx context.Context, q *queries.Queries, id uuid.UUID) (domain.OrderReturn, error) {
	r, err := q.GetReturnWithOrder(ctx, id)
	if err != nil {
		return domain.OrderReturn{}, notFound(err, "return")
	}
	out, err := withReturnItems(ctx, q, []domain.OrderReturn{orderReturn(queries.ListReturnsQueueRow(r))})
	if err != nil {
		return domain.OrderReturn{}, err
	}
	return out[0], nil
}

// ReturnFilter selects a page of the returns queue.
type ReturnFilter struct {
	Status string // "" for every status
	Limit  int    // 1..200, default 50
	Cursor string // NextCursor of the previous page
}

// ReturnPage is a page of the returns queue, oldest first.
type ReturnPage struct {
	Returns    []domain.OrderReturn
	NextCursor string // empty on the last page
}

type returnCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"id"`
}

// ListReturns pages through the returns queue, oldest first, by keyset.
func (s *Service) ListReturns(ctx context.Context, f ReturnFilter) (ReturnPage, error) {
	fe := domain.FieldErrors{}
	if f.Status != "" && !slices.Contains(domain.ReturnStatuses, f.Status) {
		fe.Add("status", "must be one of requested, approved, received, rejected")
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 200 {
		fe.Add("limit", "must be between 1 and 200")
	}
	p := queries.ListReturnsQueueParams{Lim: int32(f.Limit) + 1}
	if f.Status != "" {
		p.Status = &f.Status
	}
	if f.Cursor != "" {
		var c returnCursor
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil || c.ID == uuid.Nil {
			fe.Add("cursor", "is not a cursor of this list; start again without it")
		}
		p.AfterCreatedAt, p.AfterID = &c.CreatedAt, uuid.NullUUID{UUID: c.ID, Valid: true}
	}
	if err := fe.Err(); err != nil {
		return ReturnPage{}, err
	}
	q := queries.New(s.reader(ctx))
	rows, err := q.ListReturnsQueue(ctx, p)
	if err != nil {
		return ReturnPage{}, fmt.Errorf("list returns: %w", err)
	}
	var page ReturnPage
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		b, _ := json.Marshal(returnCursor{CreatedAt: last.CreatedAt, ID: last.ID})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	rets := make([]domain.OrderReturn, len(rows))
	for i, r := range rows {
		rets[i] = orderReturn(r)
	}
	if page.Returns, err = withReturnItems(ctx, q, rets); err != nil {
		return ReturnPage{}, err
	}
	return page, nil
}

func orderReturn(r queries.ListReturnsQueueRow) domain.OrderReturn {
	return domain.OrderReturn{
		Return: domain.Return{ID: r.ID.String(), Status: r.Status, Reason: r.Reason, Note: r.Note, RefundAmount: r.RefundAmount,
			Restocked: r.Restocked, CreatedAt: r.CreatedAt, ProcessedAt: r.ProcessedAt, ReceivedAt: r.ReceivedAt},
		OrderID: r.OrderID.String(), OrderNumber: r.OrderNumber, OrderStatus: domain.Status(r.OrderStatus), OrderVersion: r.OrderVersion,
		Currency: r.Currency, CustomerName: r.CustomerName, CustomerEmail: r.CustomerEmail,
	}
}

// withReturnItems fills the returns' lines with one query.
func withReturnItems(ctx context.Context, q *queries.Queries, rets []domain.OrderReturn) ([]domain.OrderReturn, error) {
	if len(rets) == 0 {
		return rets, nil
	}
	ids := make([]uuid.UUID, len(rets))
	index := make(map[uuid.UUID]*domain.OrderReturn, len(rets))
	for i := range rets {
		ids[i] = uuid.MustParse(rets[i].ID)
		index[ids[i]] = &rets[i]
	}
	items, err := q.ListItemsOfReturns(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("return items: %w", err)
	}
	for _, it := range items {
		r := index[it.ReturnID]
		r.Items = append(r.Items, domain.LineQuantity{OrderItemID: it.OrderItemID.String(), Quantity: int(it.Quantity), Reason: it.Reason})
	}
	return rets, nil
}
