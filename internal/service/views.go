package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Saved views of the order list (issue 28). A view is owned by the staff user or API
// token that saved it, who alone changes or deletes it; it is seen by its owner, and by
// everyone or the staff of one role when shared. Each staff user orders the tabs of the
// views they see; an admin sets each role's default view. The query a view holds is
// checked by the caller against the list's own parser (web.validateViewQuery).

// Viewer is who looks at views: a staff user with their role, or a token (no role).
type Viewer struct {
	Actor domain.Actor
	Role  domain.Role
}

func (v Viewer) ids() (staff, token uuid.NullUUID, err error) {
	id, err := uuid.Parse(v.Actor.ID)
	if err != nil {
		return staff, token, domain.Errorf(domain.CodeForbidden, "views belong to a staff user or an API token")
	}
	switch v.Actor.Type {
	case domain.ActorStaff:
		staff = uuid.NullUUID{UUID: id, Valid: true}
	case domain.ActorToken:
		token = uuid.NullUUID{UUID: id, Valid: true}
	default:
		return staff, token, domain.Errorf(domain.CodeForbidden, "views belong to a staff user or an API token")
	}
	return staff, token, nil
}

// sees tells whether the viewer sees view v.
func (v Viewer) sees(sv domain.SavedView) bool {
	return sv.OwnedBy(v.Actor) || sv.SharedWith == domain.ShareEveryone ||
		v.Actor.Type == domain.ActorStaff && sv.SharedWith == string(v.Role)
}

// ListViews returns the views the viewer sees: a staff user's in the order of their tabs
// (views they have not placed come last, oldest first), a token's oldest first.
func (s *Service) ListViews(ctx context.Context, v Viewer) ([]domain.SavedView, error) {
	staff, token, err := v.ids()
	if err != nil {
		return nil, err
	}
	q := queries.New(s.pool)
	rows, err := q.VisibleViews(ctx, queries.VisibleViewsParams{StaffID: staff, TokenID: token, Role: string(v.Role)})
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	out := make([]domain.SavedView, len(rows))
	for i, r := range rows {
		out[i] = viewFromRow(r)
	}
	if !staff.Valid {
		return out, nil
	}
	order, err := q.GetViewTabs(ctx, staff.UUID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("view tabs: %w", err)
	}
	place := func(id string) int {
		if i := slices.IndexFunc(order, func(u uuid.UUID) bool { return u.String() == id }); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(out, func(a, b domain.SavedView) int { return place(a.ID) - place(b.ID) })
	return out, nil
}

// RoleViews returns the views the staff of role see without owning them: shared with
// everyone or with the role (what may be the role's default), oldest first.
func (s *Service) RoleViews(ctx context.Context, role domain.Role) ([]domain.SavedView, error) {
	nobody := uuid.NullUUID{Valid: true} // the nil UUID owns no view
	rows, err := queries.New(s.pool).VisibleViews(ctx, queries.VisibleViewsParams{StaffID: nobody, Role: string(role)})
	if err != nil {
		return nil, fmt.Errorf("views of %s: %w", role, err)
	}
	out := make([]domain.SavedView, len(rows))
	for i, r := range rows {
		out[i] = viewFromRow(r)
	}
	return out, nil
}

// GetView returns view id if the viewer sees it.
func (s *Service) GetView(ctx context.Context, v Viewer, id string) (domain.SavedView, error) {
	return s.visibleView(ctx, queries.New(s.pool), v, id, false)
}

func (s *Service) visibleView(ctx context.Context, q *queries.Queries, v Viewer, id string, lock bool) (domain.SavedView, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.SavedView{}, domain.NotFound("view")
	}
	var row queries.SavedView
	if lock {
		row, err = q.LockSavedView(ctx, uid)
	} else {
		row, err = q.GetSavedView(ctx, uid)
	}
	if err != nil {
		return domain.SavedView{}, notFound(err, "view")
	}
	sv := viewFromRow(row)
	if !v.sees(sv) {
		return domain.SavedView{}, domain.NotFound("view")
	}
	return sv, nil
}

// CreateView saves a view owned by the viewer (shared with "me" unless said otherwise).
func (s *Service) CreateView(ctx context.Context, v Viewer, c domain.ViewChange) (domain.SavedView, error) {
	if c.SharedWith == nil {
		me := domain.ShareMe
		c.SharedWith = &me
	}
	if err := c.Validate(true); err != nil {
		return domain.SavedView{}, err
	}
	staff, token, err := v.ids()
	if err != nil {
		return domain.SavedView{}, err
	}
	var out domain.SavedView
	err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		n, err := q.CountOwnedViews(ctx, queries.CountOwnedViewsParams{StaffID: staff, TokenID: token})
		if err != nil {
			return fmt.Errorf("count views: %w", err)
		}
		if n >= domain.MaxViews {
			return domain.Errorf(domain.CodeValidationFailed, "you have %d saved views, the most there may be; delete one first", n)
		}
		row, err := q.InsertSavedView(ctx, queries.InsertSavedViewParams{ID: newID(), Name: *c.Name, Query: *c.Query,
			SharedWith: *c.SharedWith, OwnerStaffID: staff, OwnerTokenID: token, OwnerName: v.Actor.Name})
		if err != nil {
			return fmt.Errorf("save view: %w", err)
		}
		out = viewFromRow(row)
		return nil
	})
	return out, err
}

// UpdateView changes what c names of view id; only its owner may.
func (s *Service) UpdateView(ctx context.Context, v Viewer, id string, c domain.ViewChange) (domain.SavedView, error) {
	if err := c.Validate(false); err != nil {
		return domain.SavedView{}, err
	}
	var out domain.SavedView
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		sv, err := s.ownView(ctx, q, v, id)
		if err != nil {
			return err
		}
		name, query, share := sv.Name, sv.Query, sv.SharedWith
		if c.Name != nil {
			name = *c.Name
		}
		if c.Query != nil {
			query = *c.Query
		}
		if c.SharedWith != nil {
			share = *c.SharedWith
		}
		row, err := q.UpdateSavedView(ctx, queries.UpdateSavedViewParams{ID: uuid.MustParse(sv.ID), Name: name, Query: query, SharedWith: share})
		if err != nil {
			return fmt.Errorf("update view: %w", err)
		}
		if err := q.DropUnseenDefaults(ctx, row.ID); err != nil {
			return fmt.Errorf("role defaults: %w", err)
		}
		out = viewFromRow(row)
		return nil
	})
	return out, err
}

// DeleteView deletes view id; only its owner may. It stops being a role's default.
func (s *Service) DeleteView(ctx context.Context, v Viewer, id string) error {
	return s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		sv, err := s.ownView(ctx, q, v, id)
		if err != nil {
			return err
		}
		_, err = q.DeleteSavedView(ctx, uuid.MustParse(sv.ID))
		return err
	})
}

// ownView locks view id for a change by the viewer: not found when they do not see it,
// forbidden when it is not theirs.
func (s *Service) ownView(ctx context.Context, q *queries.Queries, v Viewer, id string) (domain.SavedView, error) {
	sv, err := s.visibleView(ctx, q, v, id, true)
	if err != nil {
		return sv, err
	}
	if !sv.OwnedBy(v.Actor) {
		return sv, domain.Errorf(domain.CodeForbidden, "only who saved the view %q (%s) may change or delete it", sv.Name, sv.Owner.Name)
	}
	return sv, nil
}

// MoveView moves view id one tab to the left (delta -1) or right (+1) among the staff
// user's tabs.
func (s *Service) MoveView(ctx context.Context, v Viewer, id string, delta int) error {
	views, err := s.ListViews(ctx, v)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(views, func(sv domain.SavedView) bool { return sv.ID == id })
	if i < 0 {
		return domain.NotFound("view")
	}
	ids := make([]string, len(views))
	for k, sv := range views {
		ids[k] = sv.ID
	}
	if j := i + delta; j >= 0 && j < len(ids) {
		ids[i], ids[j] = ids[j], ids[i]
	}
	return s.SetViewTabs(ctx, v, ids)
}

// SetViewTabs sets the order of a staff user's tabs: ids of views they see, first to
// last (others come after).
func (s *Service) SetViewTabs(ctx context.Context, v Viewer, ids []string) error {
	staff, _, err := v.ids()
	if err != nil || !staff.Valid {
		return domain.Errorf(domain.CodeForbidden, "only staff users have tabs")
	}
	if len(ids) > 4*domain.MaxViews {
		return domain.FieldErrors{"ids": "too many views"}.Err()
	}
	order := []uuid.UUID{} // none placed: never NULL
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			return domain.FieldErrors{"ids": "must be view ids"}.Err()
		}
		if !slices.Contains(order, u) {
			order = append(order, u)
		}
	}
	if err := queries.New(s.pool).SetViewTabs(ctx, queries.SetViewTabsParams{StaffID: staff.UUID, ViewIds: order}); err != nil {
		return fmt.Errorf("view tabs: %w", err)
	}
	return nil
}

// RoleDefaultViews returns the default view's id and name of each role that has one.
func (s *Service) RoleDefaultViews(ctx context.Context) (map[domain.Role]domain.SavedView, error) {
	rows, err := queries.New(s.pool).ListRoleDefaultViews(ctx)
	if err != nil {
		return nil, fmt.Errorf("role default views: %w", err)
	}
	out := map[domain.Role]domain.SavedView{}
	for _, r := range rows {
		out[domain.Role(r.Role)] = domain.SavedView{ID: r.ViewID.String(), Name: r.Name}
	}
	return out, nil
}

// SetRoleDefaultView makes view id the one role's order list opens with ("" for none):
// a view the role sees (shared with everyone or with it).
func (s *Service) SetRoleDefaultView(ctx context.Context, role domain.Role, id string) error {
	if !role.Valid() {
		return domain.FieldErrors{"role": "must be admin, support or warehouse"}.Err()
	}
	return s.audited(ctx, domain.ActivitySettings, func(q *queries.Queries) (string, map[string]any, error) {
		if id == "" {
			if err := q.ClearRoleDefaultView(ctx, string(role)); err != nil {
				return "", nil, fmt.Errorf("clear default view: %w", err)
			}
			return "The " + string(role) + " role has no default view", map[string]any{"setting": "default_view", "role": role}, nil
		}
		sv, err := s.visibleView(ctx, q, Viewer{Actor: domain.Actor{Type: domain.ActorStaff}, Role: role}, id, true)
		if err != nil {
			return "", nil, domain.FieldErrors{"view": "must be a view shared with everyone or with the " + string(role) + " role"}.Err()
		}
		if err := q.SetRoleDefaultView(ctx, queries.SetRoleDefaultViewParams{Role: string(role), ViewID: uuid.MustParse(sv.ID)}); err != nil {
			return "", nil, fmt.Errorf("set default view: %w", err)
		}
		return "The " + string(role) + " role's default view is " + sv.Name,
			map[string]any{"setting": "default_view", "role": role, "view_id": sv.ID, "name": sv.Name}, nil
	})
}

// DefaultView returns the view role's order list opens with, if it has one.
func (s *Service) DefaultView(ctx context.Context, role domain.Role) (*domain.SavedView, error) {
	row, err := queries.New(s.pool).RoleDefaultView(ctx, string(role))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("default view: %w", err)
	}
	sv := viewFromRow(row)
	return &sv, nil
}

// ListCount is how many orders a list filter matches: exact, or at least N (estimated
// beyond domain.ExactCountLimit, like the list's own total).
type ListCount struct {
	N     int64
	Exact bool
	Err   error // the filter is invalid
}

// countWorkers bounds the counts run at once for one page of tabs.
const countWorkers = 4

// CountOrders counts the orders each filter matches, as the list counts its total: from
// the status counters (read once for all) when a filter is on statuses alone, else up to
// domain.ExactCountLimit on an index, several at once.
func (s *Service) CountOrders(ctx context.Context, filters []domain.OrderFilter) ([]ListCount, error) {
	db := s.reader(ctx)
	out := make([]ListCount, len(filters))
	plans := make([]*searchPlan, len(filters))
	err := func() error {
		tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return fmt.Errorf("count orders: %w", err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // read-only
		q := queries.New(tx)
		counts, err := orderStates(ctx, q)
		if err != nil {
			return err
		}
		for i, f := range filters {
			f.Cursor, f.Limit = "", domain.DefaultPageSize
			f.Normalize()
			if out[i].Err = f.Validate(); out[i].Err != nil {
				continue
			}
			p, err := planSearchWith(ctx, q, f, counts)
			if err != nil {
				if domain.ErrorCode(err) == domain.CodeInternal {
					return err
				}
				out[i].Err = err
				continue
			}
			plans[i] = &p
		}
		return nil
	}()
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, countWorkers)
	errs := make([]error, len(filters))
	for i, p := range plans {
		if p == nil {
			continue
		}
		if p.counted != nil {
			out[i] = ListCount{N: *p.counted, Exact: true}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i].N, out[i].Exact, errs[i] = p.count(ctx, db)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func viewFromRow(r queries.SavedView) domain.SavedView {
	sv := domain.SavedView{ID: r.ID.String(), Name: r.Name, Query: r.Query, SharedWith: r.SharedWith,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	switch {
	case r.OwnerStaffID.Valid:
		sv.Owner = domain.Actor{Type: domain.ActorStaff, ID: r.OwnerStaffID.UUID.String(), Name: r.OwnerName}
	case r.OwnerTokenID.Valid:
		sv.Owner = domain.Actor{Type: domain.ActorToken, ID: r.OwnerTokenID.UUID.String(), Name: r.OwnerName}
	}
	return sv
}
