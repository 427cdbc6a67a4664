package web

import (
	"context"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// Support holds an order and tags it in a real browser; the warehouse sees the banner on
// the order and the fulfill form, and the order is gone from its queue.
func TestBrowserHoldAndTagAnOrder(t *testing.T) {
	e := newUIEnv(t)
	o := e.order(uiGrace, "paid")
	if _, err := e.svc.SetTags(context.Background(), uiActor, o.Number, []string{"vip", "gift wrap"}); err != nil {
		t.Fatal(err)
	}

	s := e.session("support")
	s.login(domain.RoleSupport)
	s.open("/orders/"+o.Number, "order-tagged")
	s.typeInto("#add-tag", "Rush, b2b")
	s.submit(`#tags button[type=submit]:not([name])`, "order-tags-added")
	if got := s.text("#tags"); !strings.Contains(got, "rush") || !strings.Contains(got, "b2b") {
		t.Errorf("tags card after adding: %q", got)
	}
	s.typeInto("#reason", "Address does not match the card's country: call the customer first")
	s.submit(`#hold button[type=submit]`, "order-held")
	if got := s.text(".hold-banner"); !strings.Contains(got, "call the customer first") || !strings.Contains(got, "Test Support") {
		t.Errorf("hold banner: %q", got)
	}
	s.open("/orders?tag=vip", "orders-tag-vip")
	if got := s.text("#order-results"); !strings.Contains(got, o.Number) || !strings.Contains(got, "On hold") {
		t.Errorf("list filtered by tag: %q", got)
	}

	w := e.session("warehouse")
	w.login(domain.RoleWarehouse)
	w.open("/orders/"+o.Number, "order-held-warehouse")
	if !strings.Contains(w.text(".hold-banner"), "call the customer first") {
		t.Error("the warehouse does not see the hold banner")
	}
	w.open("/orders/"+o.Number+"/fulfill", "fulfill-held")
	if w.count(`.fulfill-form button[type=submit]`) != 0 {
		t.Error("the fulfill form of a held order has a ship button")
	}
	w.open("/fulfillment", "queue-without-held")
	if strings.Contains(w.text("main"), o.Number) {
		t.Errorf("held %s is in the queue", o.Number)
	}
}
