package service

import (
	"time"

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
	q := queries.New(s.pool)
	row, err := findCustomerOrder(ctx, q, orderNumber, email)
	if err != nil {
		return domain.TrackingView{}, err
	}
	orders, err := loadOrders(ctx, q, []queries.Order{row})
	if err != nil {
		return domain.TrackingView{}, err
	}
	return domain.NewTrackingView(orders[0], s.cfg.ReturnWindow, time.Now()), nil
}

// findCustomerOrder finds the order with this number placed with this email, or
// ErrTrackingNotFound.
func findCustomerOrder(ctx context.Context, q *queries.Queries, orderNumber, email string) (queries.Order, error) {
	orderNumber = strings.ToUpper(strings.TrimSpace(orderNumber))
	email = strings.TrimSpace(email)
	if orderNumber == "" || email == "" || len(orderNumber) > 64 || len(email) > domain.MaxName {
		return queries.Order{}, ErrTrackingNotFound
	}
	row, err := q.FindOrderForCustomer(ctx, queries.FindOrderForCustomerParams{OrderNumber: orderNumber, Email: email})
	if errors.Is(err, pgx.ErrNoRows) {
		return queries.Order{}, ErrTrackingNotFound
	}
	if err != nil {
		return queries.Order{}, fmt.Errorf("track %s: %w", orderNumber, err)
	}
	return row, nil
}

// RequestCustomerReturn is a customer's own return request, from the tracking page or
// API: the order is found as tracking finds it (the same not-found for a wrong email),
// then it is a return like one staff open, in the same queue, by the customer.
func (s *Service) RequestCustomerReturn(ctx context.Context, orderNumber, email string, in NewReturn) (domain.OrderReturn, error) {
	email = strings.TrimSpace(email)
	actor := domain.Actor{Type: domain.ActorCustomer, Name: email}
	return s.requestReturn(ctx, actor, in, func(q *queries.Queries, in NewReturn) (queries.Order, error) {
		found, err := findCustomerOrder(ctx, q, orderNumber, email)
		if err != nil {
			return found, err
		}
		row, err := lockOrder(ctx, q, found.ID.String())
		if err != nil {
			return row, err
		}
		if !strings.EqualFold(row.CustomerEmail, email) { // changed before the lock
			return row, ErrTrackingNotFound
		}
		orders, err := loadOrders(ctx, q, []queries.Order{row})
		if err != nil {
			return row, err
		}
		return row, domain.CheckCustomerReturn(orders[0], in.Items, s.cfg.ReturnWindow, s.now())
	})
}
