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

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Login lockout: after MaxLoginFailures wrong passwords in a row the account refuses
// logins for LoginLockout.
const (
	MaxLoginFailures = 5
	LoginLockout     = 15 * time.Minute
)

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
	row, err := queries.New(s.pool).CreateStaffUser(ctx, queries.CreateStaffUserParams{
		Email: email, Name: name, Role: string(role), PasswordHash: string(hash)})
	if err != nil {
		if code, _ := pgCode(err); code == pgUniqueViolation {
			return domain.StaffUser{}, &domain.Error{Code: domain.CodeConflict, Message: "a staff user with this email already exists",
				Fields: map[string]string{"email": "is already in use"}}
		}
		return domain.StaffUser{}, fmt.Errorf("create staff user: %w", err)
	}
	return staffFromRow(row), nil
}

// Login checks an email (any case) and password. Wrong credentials give unauthorized,
// a locked account rate_limited, a disabled account forbidden (only once the password
// is right, so that guessing learns nothing about the account).
func (s *Service) Login(ctx context.Context, email, password string) (domain.StaffUser, error) {
	email = strings.TrimSpace(email)
	wrong := &domain.Error{Code: domain.CodeUnauthorized, Message: "email or password is incorrect",
		Fields: map[string]string{"password": "Email or password is incorrect"}}
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
	row, err := q.BeginLoginAttempt(ctx, queries.BeginLoginAttemptParams{
		MaxFailures: MaxLoginFailures, LockSeconds: int32(LoginLockout / time.Second), Email: email})
	if errors.Is(err, pgx.ErrNoRows) {
		until, lerr := q.StaffLockedUntil(ctx, email)
		if lerr == nil && until != nil {
			mins := int(time.Until(*until).Minutes()) + 1
			return domain.StaffUser{}, &domain.Error{Code: domain.CodeRateLimited,
				Message: fmt.Sprintf("too many failed logins; try again in %d min", mins),
				Fields:  map[string]string{"password": fmt.Sprintf("Too many failed attempts. Try again in %d min.", mins)}}
		}
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return domain.StaffUser{}, wrong
	}
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("login attempt: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(password)) != nil {
		return domain.StaffUser{}, wrong
	}
	if row.Disabled {
		return domain.StaffUser{}, &domain.Error{Code: domain.CodeForbidden, Message: "this account is disabled",
			Fields: map[string]string{"email": "This account is disabled. Ask an admin to enable it."}}
	}
	row, err = q.RecordLogin(ctx, row.ID)
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("record login: %w", err)
	}
	return staffFromRow(row), nil
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
	return s.changeStaff(ctx, id, role != domain.RoleAdmin, func(q *queries.Queries, uid uuid.UUID) (queries.StaffUser, error) {
		return q.SetStaffRole(ctx, queries.SetStaffRoleParams{ID: uid, Role: string(role)})
	})
}

// SetStaffDisabled disables or re-enables a user. Nobody disables themself, and the last
// active admin stays enabled. A disabled user's open sessions stop working at their next
// request.
func (s *Service) SetStaffDisabled(ctx context.Context, by domain.Actor, id string, disabled bool) (domain.StaffUser, error) {
	if disabled && by.ID == id {
		return domain.StaffUser{}, domain.Errorf(domain.CodeForbidden, "you cannot disable your own account")
	}
	return s.changeStaff(ctx, id, disabled, func(q *queries.Queries, uid uuid.UUID) (queries.StaffUser, error) {
		return q.SetStaffDisabled(ctx, queries.SetStaffDisabledParams{ID: uid, Disabled: disabled})
	})
}

// changeStaff applies change to user id in a transaction; when removesAdmin, the change
// would take an active admin away, and is refused if id is the only one left. Locking the
// active admins' rows makes two admins demoting each other at once safe.
func (s *Service) changeStaff(ctx context.Context, id string, removesAdmin bool,
	change func(*queries.Queries, uuid.UUID) (queries.StaffUser, error)) (domain.StaffUser, error) {
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
		row, err := change(q, uid)
		if err != nil {
			return notFound(err, "staff user")
		}
		out = staffFromRow(row)
		return nil
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
	row, err := queries.New(s.pool).SetStaffPassword(ctx, queries.SetStaffPasswordParams{ID: uid, PasswordHash: string(hash)})
	if err != nil {
		return domain.StaffUser{}, notFound(err, "staff user")
	}
	return staffFromRow(row), nil
}

func staffFromRow(r queries.StaffUser) domain.StaffUser {
	return domain.StaffUser{ID: r.ID.String(), Email: r.Email, Name: r.Name, Role: domain.Role(r.Role),
		Disabled: r.Disabled, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt}
}
