package service_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

func TestCheck(t *testing.T) {
	t.Run("CleanDatabasePasses", func(t *testing.T) {
		e := newOpsEnv(t)
		e.stock("TEE-M", "20.00", 10)
		e.stock("MUG", "8.50", 3)
		e.order("a@example.com", "TEE-M", 2, "MUG", 1)
		o := e.order("b@example.com", "TEE-M", 1)
		if _, err := e.svc.Transition(e.ctx, opsStaff, o.ID, domain.StatusCancelled, "changed mind"); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := e.svc.Check(e.ctx, &out); err != nil {
			t.Fatalf("check: %v\n%s", err, out.String())
		}
		if got := out.String(); got != "OK: 2 orders, 2 SKUs checked\n" {
			t.Errorf("output %q", got)
		}
	})

	// Each case breaks one invariant behind the services' back and expects the audit to
	// name it, with the subject.
	cases := []struct {
		name      string
		corrupt   string
		invariant string
		subject   string // "" = the order's number
	}{
		{"ReservedDriftsFromReservations", "UPDATE inventory SET reserved = reserved + 1 WHERE sku = 'TEE-M'",
			"reserved = open reservations", "TEE-M"},
		{"ReservedAboveOnHand", "ALTER TABLE inventory DROP CONSTRAINT inventory_on_hand_covers_reserved; UPDATE inventory SET on_hand = 0 WHERE sku = 'TEE-M'",
			"0 <= reserved <= on_hand", "TEE-M"},
		{"PaidWithoutPayment", "UPDATE orders SET paid = 1",
			"paid = completed payments", ""},
		{"RefundedWithoutRefund", "UPDATE orders SET paid = total, refunded = 1",
			"refunded = succeeded refunds, refunded + pending <= paid", ""},
		{"RefundWithoutItsParts", "INSERT INTO refunds (id, order_id, amount, status) SELECT '00000000-0000-0000-0000-0000000000aa', id, 1, 'succeeded' FROM orders",
			"refunds follow their parts", "00000000-0000-0000-0000-0000000000aa"},
		{"FulfilledWithoutFulfillment", "UPDATE order_items SET fulfilled_quantity = 1",
			"line quantities", ""},
		{"TotalDoesNotAddUp", "ALTER TABLE orders DROP CONSTRAINT orders_total_adds_up; UPDATE orders SET tax = tax + 1",
			"order amounts", ""},
		{"PaymentStatusWrong", "UPDATE orders SET payment_status = 'completed'",
			"payment and fulfillment status", ""},
		{"ShippedButUnpaid", "UPDATE orders SET status = 'shipped', shipped_at = now()",
			"status backed by money and goods", ""},
		{"CancelledStillHoldsStock", "UPDATE orders SET status = 'cancelled', cancelled_at = now()",
			"no stranded reservations", ""},
		{"StatusWithoutHistory", "UPDATE orders SET status = 'pending'",
			"history records the status", ""},
		{"TagCopyDrifts", "INSERT INTO order_tags (tag, created_at, order_id) SELECT 'ghost', created_at, id FROM orders",
			"order_tags = orders' tags", ""},
		{"OrphanReservation", "UPDATE inventory_reservations SET order_item_id = gen_random_uuid()",
			"reservations belong to order lines", ""},
		{"DeadlineOnAnUnpaidOrder", "UPDATE orders SET ship_by = now()",
			"a deadline only while waiting to ship", ""},
		{"ChangeBeyondTheVersion", "INSERT INTO order_history (order_id, kind, actor, actor_type, version) SELECT id, 'comment', 'x', 'staff', 2 FROM orders",
			"versions count the changes", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newOpsEnv(t)
			e.stock("TEE-M", "20.00", 10)
			o := e.order("a@example.com", "TEE-M", 2)
			e.mustBeClean()
			e.exec(tc.corrupt)

			rep, err := e.svc.Audit(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			subject := tc.subject
			if subject == "" {
				subject = o.Number
			}
			found := false
			for _, v := range rep.Violations {
				if v.Invariant == tc.invariant && strings.HasPrefix(v.Subject, subject) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a %q violation for %s, got %v", tc.invariant, subject, rep.Violations)
			}

			var out bytes.Buffer
			err = e.svc.Check(e.ctx, &out)
			if err == nil || !strings.Contains(err.Error(), "invariant violation") {
				t.Errorf("Check error = %v, want one counting the violations", err)
			}
			if !strings.Contains(out.String(), "VIOLATION "+tc.invariant+": "+subject) {
				t.Errorf("output does not list the violation:\n%s", out.String())
			}
		})
	}
}

// The SQL status rules that the audit uses must stay the domain's rules.
func TestCheckStatusRulesMatchDomain(t *testing.T) {
	e := newOpsEnv(t)
	q := queries.New(e.pool)
	d := decimal.RequireFromString
	amounts := []string{"0", "0.01", "9.99", "10", "10.01", "20"}
	calls := 0
	for _, total := range amounts {
		for _, paid := range amounts {
			for _, refunded := range amounts {
				for _, lines := range [][2]int64{{3, 0}, {3, 1}, {3, 3}, {1, 0}} {
					pending := amounts[calls%len(amounts)] // varied along, not crossed with the others
					calls++
					got, err := q.StatusRules(e.ctx, queries.StatusRulesParams{Total: d(total), Paid: d(paid),
						Refunded: d(refunded), RefundPending: d(pending), Ordered: lines[0], Fulfilled: lines[1]})
					if err != nil {
						t.Fatal(err)
					}
					if want := domain.DerivePaymentStatus(d(total), d(paid), d(refunded)); got.PaymentStatus != string(want) {
						t.Errorf("payment status(%s, %s, %s): SQL %s, domain %s", total, paid, refunded, got.PaymentStatus, want)
					}
					if want := domain.DeriveFulfillmentStatus(int(lines[0]), int(lines[1])); got.FulfillmentStatus != string(want) {
						t.Errorf("fulfillment status(%d, %d): SQL %s, domain %s", lines[0], lines[1], got.FulfillmentStatus, want)
					}
					m := domain.Money{Total: d(total), Paid: d(paid), Refunded: d(refunded), RefundPending: d(pending)}
					if want := m.Balance().Outstanding; !got.Outstanding.Equal(want) {
						t.Errorf("outstanding(%s, %s, %s, %s): SQL %s, domain %s", total, paid, refunded, pending, got.Outstanding, want)
					}
				}
			}
		}
	}
}

// oms check names an order that shipped while it owed money by the one rule: paid, less
// what was refunded before it shipped, short of its total. A refund after shipping (a
// return, a goodwill gesture) is no debt.
func TestCheckNamesAnOrderThatShippedOwing(t *testing.T) {
	e := newEditEnv(t)
	o := e.pay(e.order("ann@example.com", "A", 2))
	if _, _, err := e.svc.Refund(e.ctx, opsStaff, o.ID, decimal.RequireFromString("5.00"), "goodwill"); err != nil {
		t.Fatal(err)
	}
	e.mustBeClean() // a paid order may owe after a refund: it does not ship until paid
	e.exec(`UPDATE orders SET status = 'shipped', shipped_at = now(), fulfillment_status = 'fulfilled' WHERE id = $1`, o.ID)
	rep, err := e.svc.Audit(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range rep.Violations {
		if v.Invariant == "status backed by money and goods" && v.Subject == o.Number && strings.Contains(v.Detail, "shipped owing 5 ") {
			found = true
		}
	}
	if !found {
		t.Errorf("want %s named for shipping while owing 5.00, got %v", o.Number, rep.Violations)
	}

	shipped := e.pay(e.order("bob@example.com", "A", 1))
	if _, _, err := e.svc.Fulfill(e.ctx, opsStaff, shipped.ID, domain.FulfillmentRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Refund(e.ctx, opsStaff, shipped.ID, decimal.RequireFromString("5.00"), "late"); err != nil {
		t.Fatal(err)
	}
	if rep, err = e.svc.Audit(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Violations {
		if v.Subject == shipped.Number {
			t.Errorf("a refund after shipping is named: %v", v)
		}
	}
}
