package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/emails"
	"github.com/oms/oms/queries"
)

// Shipping deadlines (issue 28). A paid order's ship_by is computed once, in the
// transaction that makes it paid (changeStatus), from the rules read under a shared lock
// that a change of the rules takes exclusively; the change then recomputes every open
// order (RunDeadlineRecompute), and a job publishes order.late once per order when its
// deadline passes (MarkLateOrders). Each deadline records the version of the rules it was
// computed with: a recomputation never overwrites a newer one, and lateness is judged
// only on deadlines of the current rules.

// DeadlineSettings are the rules with what the settings page shows beside them.
type DeadlineSettings struct {
	Rules     domain.DeadlineRules
	Version   int
	UpdatedAt time.Time
	Recompute *DeadlineRecompute // the latest recomputation; nil before the first change
	// Rates are the shipping rates with deadline hours of their own.
	Rates []domain.ShippingRate
}

// DeadlineRecompute is a recomputation of the open orders' deadlines and how far it got.
type DeadlineRecompute struct {
	Version     int
	Total, Done int
	State       string // queued, running, done, superseded (the rules changed again)
	CreatedAt   time.Time
	FinishedAt  *time.Time
}

// Running tells whether it is still to finish.
func (r DeadlineRecompute) Running() bool { return r.State == "queued" || r.State == "running" }

// RecomputeDeadlinesArgs is the job that recomputes the open orders' deadlines after a
// change of the rules.
type RecomputeDeadlinesArgs struct {
	Version int `json:"version"`
}

// Kind names the job in the queue.
func (RecomputeDeadlinesArgs) Kind() string { return "recompute_deadlines" }

// InsertOpts: retried after a failure; each run goes on where the last one stopped.
func (RecomputeDeadlinesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: oncePerArgs}
}

const (
	// inlineRecompute: a change of the rules with at most this many open orders
	// recomputes them before it answers; more are left to the job, whose progress the
	// settings page shows.
	inlineRecompute = 2000
	// recomputeBatch is how many orders one statement of a recomputation writes.
	recomputeBatch = 500
	// RecomputeLease is how long a runner holds a recomputation without progress before
	// another may take it over (a process that died).
	RecomputeLease = time.Minute
)

// lockedRow is the rules a payment reads, as the settings row.
func lockedRow(r queries.LockDeadlineRulesRow) queries.DeadlineSetting {
	return queries.DeadlineSetting{ID: true, TimeZone: r.TimeZone, Hours: r.Hours, Holidays: r.Holidays,
		ShipWithinHours: r.ShipWithinHours, AtRiskHours: r.AtRiskHours, Version: r.Version}
}

// rulesCache keeps the parsed rules of one version: a payment reads the stored rules
// every time (under the lock), but parses them only when they changed.
type rulesCache struct {
	mu      sync.Mutex
	version int32
	at      time.Time
	rules   domain.DeadlineRules
}

func (s *Service) rulesOf(row queries.DeadlineSetting) (domain.DeadlineRules, error) {
	c := &s.deadlines
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rules.Location != nil && c.version == row.Version && c.at.Equal(row.UpdatedAt) && !row.UpdatedAt.IsZero() {
		return c.rules, nil
	}
	r, err := rulesFromRow(row)
	if err == nil && !row.UpdatedAt.IsZero() {
		c.version, c.at, c.rules = row.Version, row.UpdatedAt, r
	}
	return r, err
}

// rulesFromRow reads the stored rules through the settings' own parser, the one place
// that says what they mean.
func rulesFromRow(row queries.DeadlineSetting) (domain.DeadlineRules, error) {
	in := domain.DeadlineInput{TimeZone: row.TimeZone, Hours: map[string][2]string{}, AtRisk: row.AtRiskHours.String()}
	var hours map[string]*[2]string
	if err := json.Unmarshal(row.Hours, &hours); err != nil {
		return domain.DeadlineRules{}, fmt.Errorf("deadline hours: %w", err)
	}
	for day, h := range hours {
		if h != nil {
			in.Hours[day] = *h
		}
	}
	for _, d := range row.Holidays {
		in.Holidays = append(in.Holidays, d.Format(time.DateOnly))
	}
	if row.ShipWithinHours.Valid {
		in.ShipWithin = row.ShipWithinHours.Decimal.String()
	}
	r, err := in.Parse()
	if err != nil {
		return r, fmt.Errorf("stored deadline rules: %w", err)
	}
	return r, nil
}

// stampDeadline sets the deadline of an order becoming paid (row, locked) in p, from the
// rules read under their shared lock: one statement, in the payment's transaction.
func (s *Service) stampDeadline(ctx context.Context, q *queries.Queries, row queries.Order, p *queries.SetOrderStatusParams) error {
	lr, err := q.LockDeadlineRules(ctx)
	if err != nil {
		return fmt.Errorf("deadline rules: %w", err)
	}
	rules, err := s.rulesOf(lockedRow(lr))
	if err != nil {
		return err
	}
	paidAt := lr.Now // what SetOrderStatus writes as paid_at
	if row.PaidAt != nil {
		paidAt = *row.PaidAt
	}
	var rate decimal.NullDecimal
	if rules.Enabled() {
		// Read after the shared lock: a change of a rate's hours takes it exclusively first.
		if rate, err = q.RateShipWithin(ctx, row.ID); err != nil {
			return fmt.Errorf("deadline hours of the shipping rate: %w", err)
		}
	}
	p.ShipBy, p.ShipByRules = rules.ShipByWithin(paidAt, rate), &lr.Version
	return nil
}

// DeadlineSettings returns the rules and the latest recomputation.
func (s *Service) DeadlineSettings(ctx context.Context) (DeadlineSettings, error) {
	q := queries.New(s.pool)
	row, err := q.GetDeadlineSettings(ctx)
	if err != nil {
		return DeadlineSettings{}, fmt.Errorf("deadline settings: %w", err)
	}
	rules, err := s.rulesOf(row)
	if err != nil {
		return DeadlineSettings{}, err
	}
	out := DeadlineSettings{Rules: rules, Version: int(row.Version), UpdatedAt: row.UpdatedAt, Rates: []domain.ShippingRate{}}
	rates, err := q.ListShippingRates(ctx)
	if err != nil {
		return DeadlineSettings{}, fmt.Errorf("shipping rates: %w", err)
	}
	for _, r := range rates {
		if r.ShipWithinHours.Valid {
			out.Rates = append(out.Rates, shippingRateFromRow(r).ShippingRate)
		}
	}
	rc, err := q.LatestDeadlineRecompute(ctx)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return DeadlineSettings{}, fmt.Errorf("deadline recomputation: %w", err)
	default:
		out.Recompute = &DeadlineRecompute{Version: int(rc.Version), Total: int(rc.Total), Done: int(rc.Done), State: rc.State,
			CreatedAt: rc.CreatedAt, FinishedAt: rc.FinishedAt}
	}
	return out, nil
}

// SaveDeadlineSettings changes the rules and recomputes every open order's deadline: at
// once for a small shop, else in a job (the answer then shows its progress). Rules equal
// to the current ones change nothing; the at-risk hours alone change no deadline.
func (s *Service) SaveDeadlineSettings(ctx context.Context, in domain.DeadlineInput) (DeadlineSettings, error) {
	rules, err := in.Parse()
	if err != nil {
		return DeadlineSettings{}, err
	}
	hours := map[string]*[2]string{}
	for _, d := range domain.Weekdays {
		if h := rules.Hours[d]; h != nil {
			pair := h.Pair()
			hours[domain.WeekdayKey(d)] = &pair
		} else {
			hours[domain.WeekdayKey(d)] = nil
		}
	}
	hoursJSON, _ := json.Marshal(hours) // strings and nils
	holidays := make([]time.Time, len(rules.Holidays))
	for i, h := range rules.Holidays {
		holidays[i], _ = time.Parse(time.DateOnly, h) // Parse checked them
	}
	var version int32
	var open int64
	err = s.inTx(ctx, func(tx pgx.Tx, q *queries.Queries) error {
		if err := q.LockDeadlineRulesForChange(ctx); err != nil {
			return fmt.Errorf("lock deadline rules: %w", err)
		}
		before, err := q.GetDeadlineSettings(ctx)
		if err != nil {
			return fmt.Errorf("deadline settings: %w", err)
		}
		old, err := rulesFromRow(before)
		if err != nil {
			return err
		}
		if sameRules(old, rules) {
			return nil
		}
		atRiskOnly := old
		atRiskOnly.AtRisk = rules.AtRisk
		recompute := !sameRules(atRiskOnly, rules)
		row, err := q.UpdateDeadlineSettings(ctx, queries.UpdateDeadlineSettingsParams{TimeZone: rules.TimeZone, Hours: hoursJSON,
			Holidays: holidays, ShipWithinHours: rules.ShipWithin, AtRiskHours: rules.AtRisk, Recompute: recompute})
		if err != nil {
			return fmt.Errorf("save deadline settings: %w", err)
		}
		if recompute {
			version = row.Version
			if open, err = s.startRecompute(ctx, tx, q, version); err != nil {
				return err
			}
		}
		return audit(ctx, q, actorFrom(ctx), domain.ActivitySettings, "Changed the shipping deadlines: "+describeRules(rules),
			map[string]any{"setting": "deadlines", "before": old.Input(), "after": rules.Input()})
	})
	if err != nil {
		return DeadlineSettings{}, err
	}
	if err := s.recomputeNowIfSmall(ctx, version, open); err != nil {
		return DeadlineSettings{}, err
	}
	return s.DeadlineSettings(ctx)
}

// startRecompute records the recomputation of the open orders' deadlines with the rules
// of version (just made, under the rules' exclusive lock) and queues its job; it returns
// how many orders are open.
func (s *Service) startRecompute(ctx context.Context, tx pgx.Tx, q *queries.Queries, version int32) (int64, error) {
	open, err := openOrders(ctx, q)
	if err != nil {
		return 0, err
	}
	if err := q.InsertDeadlineRecompute(ctx, queries.InsertDeadlineRecomputeParams{Version: version, Total: int32(min(open, 1<<31-1))}); err != nil {
		return 0, fmt.Errorf("deadline recomputation: %w", err)
	}
	if _, err := s.queue.InsertTx(ctx, tx, RecomputeDeadlinesArgs{Version: int(version)}, nil); err != nil {
		return 0, fmt.Errorf("enqueue deadline recomputation: %w", err)
	}
	return open, nil
}

// recomputeNowIfSmall runs a recomputation started by a committed change (version, 0:
// none) before the answer when the shop has few open orders; the job does the others.
func (s *Service) recomputeNowIfSmall(ctx context.Context, version int32, open int64) error {
	if version == 0 || open > inlineRecompute {
		return nil
	}
	_, err := s.RunDeadlineRecompute(ctx, int(version))
	return err
}

// rateDeadlinesChanged is called by a change of shipping rates (under the rules'
// exclusive lock, taken before the rates are read) that changed the hours some orders
// get: with deadlines on, the rules move to a new version and the open orders are
// recomputed. It returns the version (0: none) and how many orders are open.
func (s *Service) rateDeadlinesChanged(ctx context.Context, tx pgx.Tx, q *queries.Queries) (int32, int64, error) {
	cur, err := q.GetDeadlineSettings(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("deadline settings: %w", err)
	}
	if !cur.ShipWithinHours.Valid { // no deadlines: nothing to recompute
		return 0, 0, nil
	}
	row, err := q.BumpDeadlineRules(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("deadline rules: %w", err)
	}
	open, err := s.startRecompute(ctx, tx, q, row.Version)
	return row.Version, open, err
}

func sameRules(a, b domain.DeadlineRules) bool {
	x, _ := json.Marshal(a.Input())
	y, _ := json.Marshal(b.Input())
	return string(x) == string(y)
}

// describeRules says the rules in a line, for the activity log.
func describeRules(r domain.DeadlineRules) string {
	rule := "no deadlines"
	if r.Enabled() {
		rule = "ship within " + r.ShipWithin.Decimal.String() + " business hours of payment"
	}
	var days []string
	for _, d := range domain.Weekdays {
		if h := r.Hours[d]; h != nil {
			days = append(days, domain.WeekdayKey(d)+" "+h.String())
		}
	}
	s := rule + "; " + r.TimeZone + ", " + strings.Join(days, ", ")
	if len(r.Holidays) > 0 {
		s += fmt.Sprintf("; %d holidays", len(r.Holidays))
	}
	return s
}

// openOrders counts the orders waiting to ship, from the status counters.
func openOrders(ctx context.Context, q *queries.Queries) (int64, error) {
	counts, err := orderStates(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range counts {
		if domain.HasDeadline(domain.Status(c.state.Status)) {
			n += c.orders
		}
	}
	return n, nil
}

// RunDeadlineRecompute recomputes the deadline of every order waiting to ship with the
// rules of version, batch by batch in id order (which no change moves, so each open order
// is seen once), and stops when the rules changed again (the next version's run does the
// rest). busy: another runner holds it (try again after RecomputeLease).
func (s *Service) RunDeadlineRecompute(ctx context.Context, version int) (busy bool, err error) {
	q := queries.New(s.pool)
	v := int32(version)
	lease := int32(RecomputeLease / time.Second)
	if _, err := q.ClaimDeadlineRecompute(ctx, queries.ClaimDeadlineRecomputeParams{Version: v, Lease: lease}); err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("claim deadline recomputation: %w", err)
		}
		rc, err := q.GetDeadlineRecompute(ctx, v)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("deadline recomputation: %w", err)
		}
		return rc.State == "queued" || rc.State == "running", nil
	}
	finish := func(state string) error {
		if err := q.FinishDeadlineRecompute(ctx, queries.FinishDeadlineRecomputeParams{Version: v, State: state}); err != nil {
			return fmt.Errorf("finish deadline recomputation: %w", err)
		}
		return nil
	}
	after := uuid.Nil
	for {
		row, err := q.GetDeadlineSettings(ctx)
		if err != nil {
			return false, fmt.Errorf("deadline settings: %w", err)
		}
		if row.Version != v {
			return false, finish("superseded")
		}
		rules, err := s.rulesOf(row)
		if err != nil {
			return false, err
		}
		page, err := q.OpenOrderPage(ctx, queries.OpenOrderPageParams{After: after, Lim: recomputeBatch})
		if err != nil {
			return false, fmt.Errorf("open orders: %w", err)
		}
		if len(page) == 0 {
			return false, finish("done")
		}
		ids := make([]uuid.UUID, len(page))
		shipBys := make([]time.Time, len(page))
		for i, o := range page {
			ids[i] = o.ID
			paid := o.CreatedAt
			if o.PaidAt != nil {
				paid = *o.PaidAt
			}
			if t := rules.ShipByWithin(paid, o.RateWithin); t != nil {
				shipBys[i] = *t
			}
		}
		if _, err := q.SetShipBy(ctx, queries.SetShipByParams{Clear: !rules.Enabled(), Version: v, Ids: ids, ShipBys: shipBys}); err != nil {
			return false, fmt.Errorf("recompute deadlines: %w", err)
		}
		if err := q.AdvanceDeadlineRecompute(ctx, queries.AdvanceDeadlineRecomputeParams{Version: v, N: int32(len(page)), Lease: lease}); err != nil {
			return false, fmt.Errorf("deadline recomputation progress: %w", err)
		}
		after = page[len(page)-1].ID
	}
}

// MarkLateOrders publishes order.late for each order whose deadline (of the current
// rules) has passed and was not published yet, batch orders per transaction, and records
// it in the order's history; it returns how many it marked. However many processes run
// it at once, each order is marked once (the conditional update under row locks).
func (s *Service) MarkLateOrders(ctx context.Context, batch int) (int, error) {
	total := 0
	for {
		n := 0
		err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
			lr, err := q.LockDeadlineRules(ctx)
			if err != nil {
				return fmt.Errorf("deadline rules: %w", err)
			}
			rules, err := s.rulesOf(lockedRow(lr))
			if err != nil || !rules.Enabled() {
				return err
			}
			rows, err := q.MarkLateOrders(ctx, queries.MarkLateOrdersParams{Version: lr.Version, Lim: int32(batch)})
			if err != nil {
				return fmt.Errorf("mark late orders: %w", err)
			}
			for _, r := range rows {
				due := "due " + r.ShipBy.In(rules.Location).Format("Jan 2, 15:04 MST")
				// A deadline passing is no change to the order (nobody changed it, and a form
				// drawn before stays good), so the row has no version and the version stays.
				if err := q.InsertHistory(ctx, queries.InsertHistoryParams{OrderID: r.ID, Kind: string(domain.HistoryDeadline), Status: "late",
					Note: due, Actor: domain.System.Name, ActorType: string(domain.ActorSystem)}); err != nil {
					return fmt.Errorf("history of %s: %w", r.OrderNumber, err)
				}
				if err := q.NotifyOrderChanged(ctx, r.ID); err != nil {
					return fmt.Errorf("announce deadline of %s: %w", r.OrderNumber, err)
				}
				if err := publish(ctx, q, r.ID, news{events: []domain.EventType{domain.EventOrderLate}}); err != nil {
					return err
				}
			}
			n = len(rows)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < batch {
			return total, nil
		}
	}
}

// LateDigestItems is how many late orders a digest lists (it says how many more).
const LateDigestItems = 50

// QueueLateDigests queues today's email of the late orders for each staff user who asked
// for it: once a day (a second call the same day queues nothing), on the shop's working
// days from the day's opening, and only when an order is late. It returns how many it
// queued.
func (s *Service) QueueLateDigests(ctx context.Context) (int, error) {
	q := queries.New(s.pool)
	row, err := q.GetDeadlineSettings(ctx)
	if err != nil {
		return 0, fmt.Errorf("deadline settings: %w", err)
	}
	rules, err := s.rulesOf(row)
	if err != nil || !rules.Enabled() {
		return 0, err
	}
	now := s.now().In(rules.Location)
	if opening, ok := rules.OpeningOn(now); !ok || now.Before(opening) {
		return 0, nil
	}
	recipients, err := q.LateDigestRecipients(ctx)
	if err != nil || len(recipients) == 0 {
		return 0, err
	}
	page, err := s.ListOrders(Primary(ctx), domain.OrderFilter{SLA: domain.SLALate, Sort: domain.SortShipBy, Limit: LateDigestItems}, RowsOnly)
	if err != nil || len(page.Orders) == 0 {
		return 0, err
	}
	fresh, err := q.CountLateSince(ctx, now.Add(-24*time.Hour))
	if err != nil {
		return 0, fmt.Errorf("orders late since yesterday: %w", err)
	}
	day := now.Format(time.DateOnly)
	e, err := emails.RenderLateDigest(ctx, emails.LateDigest{ShopName: s.cfg.ShopName, BackOffice: s.cfg.PublicURL, Day: day,
		Location: rules.Location, Orders: page.Orders, Total: page.Total, Exact: page.TotalExact, New: int(fresh)})
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, r := range recipients {
		n, err := q.QueueLateDigest(ctx, queries.QueueLateDigestParams{PublicID: "digest_" + day + "_" + r.ID.String(),
			Recipient: r.Email, Subject: &e.Subject, TextBody: &e.Text, HtmlBody: &e.HTML})
		if err != nil {
			return queued, fmt.Errorf("queue digest to %s: %w", r.Email, err)
		}
		queued += int(n)
	}
	return queued, nil
}

// LateDigest tells whether staff user id gets the daily email of late orders.
func (s *Service) LateDigest(ctx context.Context, staffID string) (bool, error) {
	id, err := uuid.Parse(staffID)
	if err != nil {
		return false, domain.NotFound("staff user")
	}
	return queries.New(s.pool).IsLateDigestSubscriber(ctx, id)
}

// SetLateDigest switches the daily email of late orders on or off for staff user id.
func (s *Service) SetLateDigest(ctx context.Context, staffID string, on bool) error {
	id, err := uuid.Parse(staffID)
	if err != nil {
		return domain.NotFound("staff user")
	}
	q := queries.New(s.pool)
	if on {
		err = q.SubscribeLateDigest(ctx, id)
	} else {
		err = q.UnsubscribeLateDigest(ctx, id)
	}
	if code, _ := pgCode(err); code == pgFKViolation {
		return domain.NotFound("staff user")
	}
	return err
}
