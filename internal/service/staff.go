package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// Login throttling. Each attempt counts under three keys: its client address, the
// account from that address, and the account from every address together (or, from a
// browser that logged in to the account before, that browser). Past a key's free
// failures each one blocks it twice as long as the last (1 s, 2 s, 4 s ...), up to
// LoginMaxBlock; a key with no attempt for LoginWindow starts over, and a right password
// starts the account's keys over. An attempt while any of its keys is blocked is refused
// without a password check and counted nowhere. So no address, nor any number of them,
// may guess on and on, and nobody can keep an account's owner out of a browser they
// logged in with before: a lockout by guessing lasts at most LoginMaxBlock, and only for
// browsers new to the account.
const (
	LoginFreeFailures        = 5  // per account, from one address (and from one known browser)
	LoginFreeAddressFailures = 20 // per address, whatever the accounts
	LoginFreeAccountFailures = 10 // per account, from every address together
	LoginMaxBlock            = 15 * time.Minute
	LoginWindow              = 15 * time.Minute
	// LoginDeviceKeep is how long a browser stays known to an account after its last
	// login there.
	LoginDeviceKeep = 180 * 24 * time.Hour
)

// ErrLoginRefused is the one answer to every failed login: a wrong password, an unknown
// email and a throttled attempt read alike, so that nobody can tell real accounts.
var ErrLoginRefused = &domain.Error{Code: domain.CodeUnauthorized, Message: "email or password is incorrect, or too many attempts",
	Fields: map[string]string{"password": "Email or password is incorrect, or there were too many attempts: check them and try again in a moment."}}

// checkTime is how long a password check takes on this machine (nanoseconds, a moving
// average): a refusal without a check waits as long, so that an answer's time tells a
// throttled attempt from a wrong password no more than its words do.
var checkTime atomic.Int64

// dummyHash is compared against when the email is unknown, so that an unknown email
// takes about as long to refuse as a wrong password.
var dummyHash = func() []byte {
	start := time.Now()
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password, only for timing"), bcrypt.DefaultCost)
	checkTime.Store(int64(time.Since(start)))
	return h
}()

// checkPassword compares password with hash, and keeps checkTime.
func checkPassword(hash []byte, password string) error {
	start := time.Now()
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	took, avg := int64(time.Since(start)), checkTime.Load()
	checkTime.Store(avg + (took-avg)/8) // a lost update between two checks is harmless
	return err
}

// waitLikeACheck takes as long as a password check, doing nothing.
func waitLikeACheck(ctx context.Context) {
	t := time.NewTimer(time.Duration(checkTime.Load()))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

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

// LoginAttempt is one try at logging in.
type LoginAttempt struct {
	Email    string // any case
	Password string
	Client   string // the client's address (an IPv6 /64), a key of the throttling
	// Device is the token the browser keeps from an earlier login ("" none): an account
	// it logged in to before counts its failures apart from everyone else's.
	Device string
}

// loginKey is one key an attempt counts under, with its free failures.
type loginKey struct {
	key  string
	free int
}

// Login checks an attempt. Every failure, throttled or not, is ErrLoginRefused and takes
// about as long as a password check; a disabled account is forbidden only once the
// password is right, so guessing learns nothing. A login also returns the device token
// for the browser to keep (the one it sent, or a new one), which makes it known to the
// account.
func (s *Service) Login(ctx context.Context, in LoginAttempt) (domain.StaffUser, string, error) {
	email := strings.TrimSpace(in.Email)
	if email == "" || in.Password == "" {
		fe := domain.FieldErrors{}
		if email == "" {
			fe.Add("email", "Enter your email")
		}
		if in.Password == "" {
			fe.Add("password", "Enter your password")
		}
		return domain.StaffUser{}, "", fe.Err()
	}
	q := queries.New(s.pool)
	lower, device := strings.ToLower(email), deviceHash(in.Device)
	everywhere := loginKey{"user:" + lower, LoginFreeAccountFailures}
	if device != nil {
		known, err := q.LoginDeviceKnown(ctx, queries.LoginDeviceKnownParams{TokenHash: device, Email: email})
		if err != nil {
			return domain.StaffUser{}, "", fmt.Errorf("login device: %w", err)
		}
		if known {
			everywhere = loginKey{"device:" + lower + "|" + hex.EncodeToString(device), LoginFreeFailures}
		}
	}
	keys := []loginKey{{"ip:" + in.Client, LoginFreeAddressFailures}, {"account:" + lower + "|" + in.Client, LoginFreeFailures}, everywhere}
	blocked, err := claimLoginAttempt(ctx, q, keys)
	if err != nil {
		return domain.StaffUser{}, "", err
	}
	// Every refusal is in the activity log with why, for admins (the answer reads alike).
	refused := func(why string) error {
		claimed := strings.ToLower(email)
		if err := audit(ctx, q, domain.Actor{Type: domain.ActorStaff, Name: claimed, Email: claimed}, domain.ActivityLoginFailed,
			"Login refused: "+why, map[string]any{"client": in.Client, "reason": why}); err != nil {
			return err
		}
		return ErrLoginRefused
	}
	if blocked {
		loginsRefused.WithLabelValues("throttled").Inc()
		waitLikeACheck(ctx)
		return domain.StaffUser{}, "", refused("too many attempts")
	}
	row, err := q.GetStaffByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = checkPassword(dummyHash, in.Password)
		loginsRefused.WithLabelValues("wrong").Inc()
		return domain.StaffUser{}, "", refused("no staff user has this email")
	}
	if err != nil {
		return domain.StaffUser{}, "", fmt.Errorf("login: %w", err)
	}
	if checkPassword([]byte(row.PasswordHash), in.Password) != nil {
		loginsRefused.WithLabelValues("wrong").Inc()
		return domain.StaffUser{}, "", refused("wrong password")
	}
	if err := q.LoginSucceeded(ctx, queries.LoginSucceededParams{ResetKeys: []string{keys[1].key, keys[2].key}, AddressKey: keys[0].key}); err != nil {
		return domain.StaffUser{}, "", fmt.Errorf("login: %w", err)
	}
	if row.Disabled {
		if err := refused("the account is disabled"); err != ErrLoginRefused {
			return domain.StaffUser{}, "", err
		}
		return domain.StaffUser{}, "", &domain.Error{Code: domain.CodeForbidden, Message: "this account is disabled",
			Fields: map[string]string{"email": "This account is disabled. Ask an admin to enable it."}}
	}
	row, err = q.RecordLogin(ctx, row.ID)
	if err != nil {
		return domain.StaffUser{}, "", fmt.Errorf("record login: %w", err)
	}
	token := in.Device
	if device == nil {
		token = newDeviceToken()
		device = deviceHash(token)
	}
	if err := q.RememberLoginDevice(ctx, queries.RememberLoginDeviceParams{TokenHash: device, StaffUserID: row.ID}); err != nil {
		return domain.StaffUser{}, "", fmt.Errorf("remember login device: %w", err)
	}
	u := staffFromRow(row)
	if err := audit(ctx, q, u.Actor(), domain.ActivityLogin, "Logged in", map[string]any{"client": in.Client}); err != nil {
		return domain.StaffUser{}, "", err
	}
	return u, token, nil
}

// claimLoginAttempt counts an attempt under each of its keys in turn before its password
// is checked, so that parallel guesses cannot outrun the count, and reports whether one
// of them is blocked. A key blocked before the attempt counts it nowhere (an owner trying
// while their account is blocked does not block their own address); one found blocked
// on the way (by an attempt running alongside) stops the counting there.
func claimLoginAttempt(ctx context.Context, q *queries.Queries, keys []loginKey) (bool, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	blocked, err := q.LoginBlocked(ctx, names)
	if err != nil || blocked {
		return blocked, err
	}
	for _, k := range keys {
		blocked, err := q.ClaimLoginAttempt(ctx, queries.ClaimLoginAttemptParams{Key: k.key, Free: int32(k.free),
			WindowSeconds: int32(LoginWindow / time.Second), MaxBlockSeconds: int32(LoginMaxBlock / time.Second)})
		if err != nil {
			return false, fmt.Errorf("login attempt: %w", err)
		}
		if blocked {
			return true, nil
		}
	}
	return false, nil
}

// newDeviceToken makes a browser's device token: 32 random bytes, base64url.
func newDeviceToken() string {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// deviceHash is what is stored of a device token: its SHA-256; nil for anything that is
// not a token this server makes.
func deviceHash(token string) []byte {
	if b, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(b) != 32 {
		return nil
	}
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// DeleteOldLoginThrottle forgets throttling keys past the decay window, so that guesses
// from many addresses do not pile up rows, and browsers that have not logged in to an
// account for LoginDeviceKeep.
func (s *Service) DeleteOldLoginThrottle(ctx context.Context) (int64, error) {
	q := queries.New(s.pool)
	keys, err := q.DeleteOldLoginThrottle(ctx, time.Now().Add(-LoginWindow))
	if err != nil {
		return 0, err
	}
	devices, err := q.DeleteOldLoginDevices(ctx, time.Now().Add(-LoginDeviceKeep))
	return keys + devices, err
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

// StaffUserByEmail returns the staff user with email (any case).
func (s *Service) StaffUserByEmail(ctx context.Context, email string) (domain.StaffUser, error) {
	email = strings.TrimSpace(email)
	row, err := queries.New(s.pool).GetStaffByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.StaffUser{}, domain.Errorf(domain.CodeNotFound, "no staff user has the email %s", email)
	}
	if err != nil {
		return domain.StaffUser{}, fmt.Errorf("staff user %s: %w", email, err)
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

// ResetStaffPassword sets a new password for a user. It ends the user's sessions, lifts
// the account's throttling (guesses at the old password are worth nothing now) and
// forgets the browsers known to it.
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
		if err := q.ResetLoginThrottle(ctx, "user:"+strings.ToLower(row.Email)); err != nil {
			return "", nil, fmt.Errorf("reset login throttle: %w", err)
		}
		if err := q.ForgetLoginDevices(ctx, row.ID); err != nil {
			return "", nil, fmt.Errorf("forget login devices: %w", err)
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
