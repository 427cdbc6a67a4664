package service_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// Orders created at the same moment share a statement and a commit.
func TestConcurrentCreatesShareCommits(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("PLENTY", "5.00", 100_000)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			e.order(fmt.Sprintf("c%d@example.com", i), "PLENTY", 1)
		})
	}
	wg.Wait()
	// Orders of one commit share its moment (now() is the transaction's).
	commits := e.intQuery(`SELECT count(DISTINCT created_at) FROM orders`)
	if orders := e.intQuery(`SELECT count(*) FROM orders`); orders != 100 || commits >= orders {
		t.Errorf("%d orders in %d commits: want 100 orders in fewer commits", orders, commits)
	}
	e.mustBeClean()
}

// Each order of a batch stays all or nothing: a batch with an order that lacks stock is
// written again in halves, so that exactly the orders the stock covers are created, and
// every order of the batch that needs nothing scarce is too.
func TestConcurrentCreatesRefuseOnlyTheOrderAtFault(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("PLENTY", "5.00", 100_000)
	e.stock("SCARCE", "9.00", 7)

	const scarce, plain = 40, 60
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		created, short int
		plainCreated   int
	)
	for i := range scarce + plain {
		wg.Go(func() {
			skus := []any{"PLENTY", 1}
			if i < scarce {
				skus = append(skus, "SCARCE", 1)
			}
			in := domain.NewOrder{Customer: domain.Customer{Email: fmt.Sprintf("c%d@example.com", i), Name: "C"},
				ShippingAddress: domain.Address{FirstName: "C", LastName: "D", Address1: "1 Main St", City: "Town", Country: "US"}}
			for j := 0; j < len(skus); j += 2 {
				in.Items = append(in.Items, domain.ItemRequest{SKU: skus[j].(string), Quantity: skus[j+1].(int)})
			}
			_, _, err := e.svc.CreateOrder(e.ctx, opsStaff, in, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && i < scarce:
				created++
			case err == nil:
				plainCreated++
			case domain.ErrorCode(err) == domain.CodeOutOfStock && i < scarce:
				short++
			default:
				t.Errorf("order %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if created != 7 || short != scarce-7 || plainCreated != plain {
		t.Errorf("%d scarce orders created, %d out of stock, %d plain created; want 7, %d, %d",
			created, short, plainCreated, scarce-7, plain)
	}
	if n := e.intQuery(`SELECT reserved FROM inventory WHERE sku = 'SCARCE'`); n != 7 {
		t.Errorf("SCARCE reserved %d, want 7", n)
	}
	if orders := e.intQuery(`SELECT count(*) FROM orders`); orders != 7+plain {
		t.Errorf("%d orders, want %d", orders, 7+plain)
	}
	e.mustBeClean()
}

// A create whose request has given up before its batch is written is not written.
func TestCreateOfAGoneRequestIsNotWritten(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("A", "5.00", 10)
	ctx, cancel := contextWithCancel(e)
	cancel()
	in := domain.NewOrder{Customer: domain.Customer{Email: "gone@example.com", Name: "G"},
		ShippingAddress: domain.Address{FirstName: "G", LastName: "H", Address1: "1 Main St", City: "Town", Country: "US"},
		Items:           []domain.ItemRequest{{SKU: "A", Quantity: 1}}}
	if _, _, err := e.svc.CreateOrder(ctx, opsStaff, in, nil); err == nil {
		t.Fatal("created for a cancelled request")
	}
	if n := e.intQuery(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders", n)
	}
}

// A manual discount stays with its own order when orders are written together: each
// order of a batch keeps its discount, its reason and its creation note, and one
// without any has none.
func TestManualDiscountsStayWithTheirOrdersInABatch(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("PLENTY", "10.00", 100_000)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			in := domain.NewOrder{Customer: domain.Customer{Email: fmt.Sprintf("c%d@example.com", i), Name: "C"},
				ShippingAddress: domain.Address{FirstName: "C", LastName: "D", Address1: "1 Main St", City: "Town", Country: "US"},
				Items:           []domain.ItemRequest{{SKU: "PLENTY", Quantity: 2}}, Source: "staff"}
			if i%2 == 1 {
				in.ManualDiscount, in.ManualDiscountReason = decimal.NewFromInt(int64(i%10)), fmt.Sprintf("reason %d", i)
			}
			if _, _, err := e.svc.CreateOrder(e.ctx, opsStaff, in, nil); err != nil {
				t.Errorf("order %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	// c<i>: odd i has a discount of i%10 (a whole number) with "reason <i>", even none.
	bad := e.intQuery(`SELECT count(*) FROM orders o JOIN order_history h ON h.order_id = o.id AND h.status = 'created'
		CROSS JOIN LATERAL (SELECT substring(o.customer_email FROM 'c(\d+)@')::int AS i) n
		WHERE o.manual_discount <> CASE WHEN n.i % 2 = 1 THEN n.i % 10 ELSE 0 END
		   OR o.discount <> o.manual_discount
		   OR o.manual_discount_reason <> CASE WHEN n.i % 2 = 1 THEN 'reason ' || n.i ELSE '' END
		   OR h.note <> CASE WHEN n.i % 2 = 1 THEN format('Manual discount of %s.00 USD: reason %s', n.i % 10, n.i) ELSE '' END
		   OR o.total <> 20 - o.manual_discount`)
	if n := e.intQuery(`SELECT count(*) FROM orders`); n != 40 || bad != 0 {
		t.Errorf("%d orders, %d with another order's discount, reason or note", n, bad)
	}
	e.mustBeClean()
}
