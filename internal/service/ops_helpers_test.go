package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// opsEnv is a service over a fresh database, for the operations tests (expiry, bulk,
// check, demo).
type opsEnv struct {
	t    *testing.T
	ctx  context.Context
	pool *pgxpool.Pool
	svc  *service.Service
}

var opsStaff = domain.Actor{Type: domain.ActorStaff, ID: "test", Name: "Test Staff", Role: domain.RoleAdmin}

func newOpsEnv(t *testing.T) *opsEnv {
	t.Helper()
	pool := testdb.New(t)
	return &opsEnv{t: t, ctx: context.Background(), pool: pool,
		svc: service.New(pool, service.Config{ReservationTTL: 30 * time.Minute})}
}

// stock creates a USD product with on-hand stock.
func (e *opsEnv) stock(sku, price string, onHand int) {
	e.t.Helper()
	if _, _, err := e.svc.PutProduct(e.ctx, domain.Product{SKU: sku, Name: "Product " + sku,
		Price: decimal.RequireFromString(price), Currency: "USD", Active: true}); err != nil {
		e.t.Fatalf("product %s: %v", sku, err)
	}
	if _, err := e.svc.SetOnHand(e.ctx, opsStaff, sku, onHand); err != nil {
		e.t.Fatalf("stock %s: %v", sku, err)
	}
}

// order creates an order of the given SKU quantities (sku, qty, sku, qty...).
func (e *opsEnv) order(email string, skuQty ...any) domain.Order {
	e.t.Helper()
	in := domain.NewOrder{
		Customer: domain.Customer{Email: email, Name: "Ann Lee"},
		ShippingAddress: domain.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 Main St",
			City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
	}
	for i := 0; i+1 < len(skuQty); i += 2 {
		in.Items = append(in.Items, domain.ItemRequest{SKU: skuQty[i].(string), Quantity: skuQty[i+1].(int)})
	}
	o, _, err := e.svc.CreateOrder(e.ctx, opsStaff, in, nil)
	if err != nil {
		e.t.Fatalf("create order: %v", err)
	}
	return o
}

// exec runs SQL, failing the test on error.
func (e *opsEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// intQuery returns the single integer a query answers.
func (e *opsEnv) intQuery(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// backdate moves an order's creation into the past.
func (e *opsEnv) backdate(orderID string, by time.Duration) {
	e.t.Helper()
	e.exec("UPDATE orders SET created_at = created_at - $2::interval WHERE id = $1", orderID, fmt.Sprintf("%d seconds", int(by.Seconds())))
}

// reserved is a SKU's reserved stock.
func (e *opsEnv) reserved(sku string) int {
	e.t.Helper()
	inv, err := e.svc.GetInventory(e.ctx, sku)
	if err != nil {
		e.t.Fatalf("inventory %s: %v", sku, err)
	}
	return inv.Reserved
}

// mustBeClean fails the test unless `oms check` finds nothing.
func (e *opsEnv) mustBeClean() {
	e.t.Helper()
	rep, err := e.svc.Audit(e.ctx)
	if err != nil {
		e.t.Fatalf("audit: %v", err)
	}
	for _, v := range rep.Violations {
		e.t.Errorf("check: %s", v)
	}
}

// contextWithCancel is e's context with a cancel of its own.
func contextWithCancel(e *opsEnv) (context.Context, context.CancelFunc) {
	return context.WithCancel(e.ctx)
}
