package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// ErrTrackingNotFound is the one answer for an unknown order number and for a wrong
// email alike, so that the public lookup cannot tell anyone which orders exist.
var ErrTrackingNotFound = domain.Errorf(domain.CodeNotFound, "no order matches this order number and email")

// TrackOrder is the customers' lookup: the order with this number placed with this email
// (compared case-insensitively), reduced to what a customer may see.
func (s *Service) TrackOrder(ctx context.Context, orderNumber, email string) (domain.TrackingView, error) {
	orderNumber = strings.ToUpper(strings.TrimSpace(orderNumber))
	email = strings.TrimSpace(email)
	if orderNumber == "" || email == "" || len(orderNumber) > 64 || len(email) > domain.MaxName {
		return domain.TrackingView{}, ErrTrackingNotFound
	}
	q := queries.New(s.pool)
	row, err := q.FindOrderForCustomer(ctx, queries.FindOrderForCustomerParams{OrderNumber: orderNumber, Email: email})
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.TrackingView{}, ErrTrackingNotFound
	}
	if err != nil {
		return domain.TrackingView{}, fmt.Errorf("track %s: %w", orderNumber, err)
	}
	orders, err := loadOrders(ctx, q, []queries.Order{row})
	if err != nil {
		return domain.TrackingView{}, err
	}
	return domain.NewTrackingView(orders[0]), nil
}
