package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Login throttling, per client address and per account from that address: past the free
// failures each one blocks the key twice as long as the last (1 s, 2 s, 4 s ...), up to
// LoginMaxBlock; a key with no attempt for LoginWindow starts over. Nobody can lock an
// account out from elsewhere, and no address may guess on and on.
const (
	LoginFreeFailures        = 5  // per account, from one address
	LoginFreeAddressFailures = 20 // per address, whatever the accounts
	LoginMaxBlock            = 15 * time.Minute
	LoginWindow              = 15 * time.Minute
)

// ErrLoginRefused is the one answer to every failed login: a wrong password, an unknown
// email and a throttled attempt read alike, so that nobody can tell real accounts.
var ErrLoginRefused = &domain.Error{Code: domain.CodeUnauthorized, Message: "email or password is incorrect, or too many attempts",
	Fields: map[string]string{"password": "Email or password is incorrect, or there were too many attempts: check them and try again in a moment."}}

// dummyHash is compared against when the email is unknown, so that an unknown email
// takes about as long to refuse as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password, only for timing"), bcrypt.DefaultCost)

// CreateStaffUser adds a back-office account; the email must be unused.
func (s *Service) CreateStaffUser(ctx context.Context, email, name string, role domain.Role, password string) (domain.StaffUser, error) {
	email, name = strings.TrimSpace(email), strings.TrimSpace(name)
	if err := domain.ValidateStaffUser(email, name, role, password, true); err != nil {
		return domain.StaffUser{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("hash password: %w", err)
	}
	var row queries.StaffUser
	err = s.audited(ctx, domain.ActivityUser, func(q *queries.Queries) (string, map[string]any, error) {
		row, err = q.CreateStaffUser(ctx, queries.CreateStaffUserParams{
			Email: email, Name: name, Role: string(role), PasswordHash: string(hash)})
		if err != nil {
			if code, _ := pgCode(err); code == pgUniqueViolation {
				return "", nil, &domain.Error{Code: domain.CodeConflict, Message: "a staff user with this email already exists",
					Fields: map[string]string{"email": "is already in use"}}
			}
			return "", nil, fmt.Errorf("create staff user: %w", err)
		}
		return "Added staff user " + email + " as " + string(role), map[string]any{"email": email, "name": name, "role": role}, nil
	})
	if err != nil {
		return domain.StaffUser{}, err
	}
	return staffFromRow(row), nil
}

// Login checks an email (any case) and password from client (its address, the key of
// the throttling). Every failure, throttled or not, is ErrLoginRefused; a disabled
// account is forbidden only once the password is right, so guessing learns nothing.
func (s *Service) Login(ctx context.Context, email, password, client string) (domain.StaffUser, error) {
	email = strings.TrimSpace(email)
	if email == "" || password == "" {
		fe := domain.FieldErrors{}
		if email == "" {
			fe.Add("email", "Enter your email")
		}
		if password == "" {
			fe.Add("password", "Enter your password")
		}
		return domain.StaffUser{}, fe.Err()
	}
	q := queries.New(s.pool)
	accountKey, addressKey := "account:"+strings.ToLower(email)+"|"+client, "ip:"+client
	blocked := false
	for _, k := range []struct {
		key  string
		free int
	}{{addressKey, LoginFreeAddressFailures}, {accountKey, LoginFreeFailures}} {
		wasBlocked, err := q.ClaimLoginAttempt(ctx, queries.ClaimLoginAttemptParams{Key: k.key, Free: int32(k.free),
			WindowSeconds: int32(LoginWindow / time.Second), MaxBlockSeconds: int32(LoginMaxBlock / time.Second)})
		if err != nil {
			return domain.StaffUser{}, fmt.Errorf("login attempt: %w", err)
		}
		blocked = blocked || wasBlocked
	}
	// Every refusal is in the activity log with why, for admins (the answer reads alike).
	refused := func(why string) error {
		claimed := strings.ToLower(email)
		if err := audit(ctx, q, domain.Actor{Type: domain.ActorStaff, Name: claimed, Email: claimed}, domain.ActivityLoginFailed,
			"Login refused: "+why, map[string]any{"client": client, "reason": why}); err != nil {
			return err
		}
		return ErrLoginRefused
	}
	if blocked {
		loginsRefused.WithLabelValues("throttled").Inc()
		return domain.StaffUser{}, refused("too many attempts")
	}
	row, err := q.GetStaffByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		loginsRefused.WithLabelValues("wrong").Inc()
		return domain.StaffUser{}, refused("no staff user has this email")
	}
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("login: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(password)) != nil {
		loginsRefused.WithLabelValues("wrong").Inc()
		return domain.StaffUser{}, refused("wrong password")
	}
	if err := q.LoginSucceeded(ctx, queries.LoginSucceededParams{AccountKey: accountKey, AddressKey: addressKey}); err != nil {
		return domain.StaffUser{}, fmt.Errorf("login: %w", err)
	}
	if row.Disabled {
		if err := refused("the account is disabled"); err != ErrLoginRefused {
			return domain.StaffUser{}, err
		}
		return domain.StaffUser{}, &domain.Error{Code: domain.CodeForbidden, Message: "this account is disabled",
			Fields: map[string]string{"email": "This account is disabled. Ask an admin to enable it."}}
	}
	row, err = q.RecordLogin(ctx, row.ID)
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("record login: %w", err)
	}
	u := staffFromRow(row)
	if err := audit(ctx, q, u.Actor(), domain.ActivityLogin, "Logged in", map[string]any{"client": client}); err != nil {
		return domain.StaffUser{}, err
	}
	return u, nil
}

// DeleteOldLoginThrottle forgets throttling keys past the decay window, so that guesses
// from many addresses do not pile up rows.
func (s *Service) DeleteOldLoginThrottle(ctx context.Context) (int64, error) {
	return queries.New(s.pool).DeleteOldLoginThrottle(ctx, time.Now().Add(-LoginWindow))
}

// EndSessions ends every session of staff user id (log out everywhere).
func (s *Service) EndSessions(ctx context.Context, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.NotFound("staff user")
	}
	return s.audited(ctx, domain.ActivityUser, func(q *queries.Queries) (string, map[string]any, error) {
		row, err := q.EndStaffSessions(ctx, uid)
		if err != nil {
			return "", nil, notFound(err, "staff user")
		}
		return "Ended every session of " + row.Email, map[string]any{"email": row.Email}, nil
	})
}

// GetStaffUser returns the staff user with id; the session check calls it on every page.
func (s *Service) GetStaffUser(ctx context.Context, id string) (domain.StaffUser, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.StaffUser{}, domain.NotFound("staff user")
	}
	row, err := queries.New(s.pool).GetStaffUser(ctx, uid)
	if err != nil {
		return domain.StaffUser{}, notFound(err, "staff user")
	}
	return staffFromRow(row), nil
}

// ListStaffUsers returns every staff account by name.
func (s *Service) ListStaffUsers(ctx context.Context) ([]domain.StaffUser, error) {
	rows, err := queries.New(s.pool).ListStaffUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list staff users: %w", err)
	}
	out := make([]domain.StaffUser, len(rows))
	for i, r := range rows {
		out[i] = staffFromRow(r)
	}
	return out, nil
}

// SetStaffRole changes a user's role. Nobody changes their own role, and the last
// active admin stays an admin.
func (s *Service) SetStaffRole(ctx context.Context, by domain.Actor, id string, role domain.Role) (domain.StaffUser, error) {
	if !role.Valid() {
		return domain.StaffUser{}, domain.FieldErrors{"role": "must be admin, support or warehouse"}.Err()
	}
	if by.ID == id {
		return domain.StaffUser{}, domain.Errorf(domain.CodeForbidden, "you cannot change your own role")
	}
	return s.changeStaff(ctx, by, id, role != domain.RoleAdmin, func(q *queries.Queries, uid uuid.UUID) (queries.StaffUser, string, error) {
		row, err := q.SetStaffRole(ctx, queries.SetStaffRoleParams{ID: uid, Role: string(role)})
		return row, "Changed the role of " + row.Email + " to " + string(role), err
	})
}

// SetStaffDisabled disables or re-enables a user. Nobody disables themself, and the last
// active admin stays enabled. A disabled user's open sessions stop working at their next
// request.
func (s *Service) SetStaffDisabled(ctx context.Context, by domain.Actor, id string, disabled bool) (domain.StaffUser, error) {
	if disabled && by.ID == id {
		return domain.StaffUser{}, domain.Errorf(domain.CodeForbidden, "you cannot disable your own account")
	}
	return s.changeStaff(ctx, by, id, disabled, func(q *queries.Queries, uid uuid.UUID) (queries.StaffUser, string, error) {
		row, err := q.SetStaffDisabled(ctx, queries.SetStaffDisabledParams{ID: uid, Disabled: disabled})
		summary := "Enabled " + row.Email
		if disabled {
			summary = "Disabled " + row.Email
		}
		return row, summary, err
	})
}

// changeStaff applies change to user id in a transaction, and records it (as change
// sums it up) in the activity log by by; when removesAdmin, the change would take an
// active admin away, and is refused if id is the only one left. Locking the active
// admins' rows makes two admins demoting each other at once safe.
func (s *Service) changeStaff(ctx context.Context, by domain.Actor, id string, removesAdmin bool,
	change func(*queries.Queries, uuid.UUID) (queries.StaffUser, string, error)) (domain.StaffUser, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.StaffUser{}, domain.NotFound("staff user")
	}
	var out domain.StaffUser
	err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		admins, err := q.LockActiveAdmins(ctx)
		if err != nil {
			return fmt.Errorf("lock admins: %w", err)
		}
		if removesAdmin && len(admins) == 1 && slices.Contains(admins, uid) {
			return domain.Errorf(domain.CodeConflict, "this is the only active admin; make another user admin first")
		}
		row, summary, err := change(q, uid)
		if err != nil {
			return notFound(err, "staff user")
		}
		out = staffFromRow(row)
		return audit(ctx, q, by, domain.ActivityUser, summary, map[string]any{"email": out.Email, "role": out.Role, "disabled": out.Disabled})
	})
	return out, err
}

// ResetStaffPassword sets a new password for a user and lifts any login lock.
func (s *Service) ResetStaffPassword(ctx context.Context, id, password string) (domain.StaffUser, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.StaffUser{}, domain.NotFound("staff user")
	}
	fe := domain.FieldErrors{}
	domain.ValidatePassword(fe, "password", password)
	if err := fe.Err(); err != nil {
		return domain.StaffUser{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("hash password: %w", err)
	}
	var row queries.StaffUser
	err = s.audited(ctx, domain.ActivityUser, func(q *queries.Queries) (string, map[string]any, error) {
		row, err = q.SetStaffPassword(ctx, queries.SetStaffPasswordParams{ID: uid, PasswordHash: string(hash)})
		if err != nil {
			return "", nil, notFound(err, "staff user")
		}
		return "Set a new password for " + row.Email, map[string]any{"email": row.Email}, nil
	})
	if err != nil {
		return domain.StaffUser{}, err
	}
	return staffFromRow(row), nil
}

func staffFromRow(r queries.StaffUser) domain.StaffUser {
	return domain.StaffUser{ID: r.ID.String(), Email: r.Email, Name: r.Name, Role: domain.Role(r.Role),
		Disabled: r.Disabled, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt, SessionVersion: int(r.SessionVersion)}
}

var loginsRefused = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "oms_logins_refused_total", Help: "Back-office logins refused: wrong (password or email) or throttled."}, []string{"why"})
