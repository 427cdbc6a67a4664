package service

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

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

func staffFromRow(r queries.StaffUser) domain.StaffUser {
	return domain.StaffUser{ID: r.ID.String(), Email: r.Email, Name: r.Name, Role: domain.Role(r.Role),
		Disabled: r.Disabled, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt}
}
