package domain

import (
	"net/mail"
	"strings"
	"time"
)

// Role decides what a staff user may do; the permission matrix lives in permissions.go.
type Role string

const (
	RoleAdmin     Role = "admin"
	RoleSupport   Role = "support"
	RoleWarehouse Role = "warehouse"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleSupport, RoleWarehouse}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleSupport || r == RoleWarehouse }

// StaffUser is a back-office account.
type StaffUser struct {
	ID          string
	Email       string
	Name        string
	Role        Role
	Disabled    bool
	LastLoginAt *time.Time
	CreatedAt   time.Time
	// SessionVersion moves on when the user's sessions must end (password reset, role
	// change, disabling, "log out everywhere"): a session made with another is void.
	SessionVersion int
}

// Actor is who the user is in history rows.
func (u StaffUser) Actor() Actor {
	return Actor{Type: ActorStaff, ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role}
}

// MinPasswordLength is the shortest password a staff account may have.
const MinPasswordLength = 12

// ValidateStaffUser checks a new or edited staff account; password is checked only when
// non-empty or when required.
func ValidateStaffUser(email, name string, role Role, password string, passwordRequired bool) error {
	fe := FieldErrors{}
	ValidateEmail(fe, "email", email)
	ValidateName(fe, "name", name)
	if !role.Valid() {
		fe.Add("role", "must be admin, support or warehouse")
	}
	if passwordRequired || password != "" {
		ValidatePassword(fe, "password", password)
	}
	return fe.Err()
}

// ValidatePassword checks a new password's length (bcrypt reads at most 72 bytes).
func ValidatePassword(fe FieldErrors, field, password string) {
	switch {
	case len(password) < MinPasswordLength:
		fe.Add(field, "must be at least 12 characters")
	case len(password) > 72:
		fe.Add(field, "must be at most 72 bytes")
	}
}

// ValidateEmail checks that s is a plain address (no display name), at most 255 characters.
func ValidateEmail(fe FieldErrors, field, s string) {
	if strings.TrimSpace(s) == "" {
		fe.Add(field, "is required")
		return
	}
	if len(s) > MaxName {
		fe.Add(field, "must be at most 255 characters")
		return
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		fe.Add(field, "must be a valid email address")
	}
}
