package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func ptr(s string) *decimal.Decimal { d := dec(s); return &d }

// shop is the configuration every test uses; the figures in the tests are worked out
// by hand from it.
func shop() Config {
	return Config{
		Products: map[string]Product{
			"TEE": {Price: dec("20.00"), Active: true}, "MUG": {Price: dec("12.50"), Active: true},
			"CAP": {Price: dec("9.99"), Active: true}, "PIN": {Price: dec("2.50"), Active: true},
			"BADGE": {Price: dec("3.50"), Active: true}, "GONE": {Price: dec("5.00")},
		},
		Tax: map[string]decimal.Decimal{"DE": dec("0.20"), "FR": dec("0.05")},
		Shipping: map[string]Shipping{
			"US": {Amount: dec("5.00"), FreeAbove: ptr("50.00")},
			"DE": {Amount: dec("7.50"), FreeAbove: ptr("80.00")},
			"*":  {Amount: dec("15.00")},
		},
		Coupons: map[string]Coupon{
			"SAVE20": {Code: "SAVE20", Percent: true, Value: dec("20"), MinSubtotal: ptr("30.00")},
			"TENOFF": {Code: "TENOFF", Value: dec("10.00")},
			"ONCE":   {Code: "ONCE", Percent: true, Value: dec("10"), Limit: 1},
		},
	}
}

// world is a model under test with ids handed out the way the server would.
type world struct {
	t   *testing.T
	m   *Model
	ids int
}

func newWorld(t *testing.T, stock map[string]int) *world {
	m := New(shop(), stock, 30*time.Minute)
	return &world{t: t, m: m}
}

// do runs op on order id and expects a success; new entities get fresh ids.
func (w *world) do(id string, op Op) Order {
	w.t.Helper()
	out := w.m.Step(id, op, 0)
	if out.Next == nil {
		w.t.Fatalf("%s: refused %v, want a success", op.Name(), out.Codes)
	}
	next := out.Next.Clone()
	w.name(&next)
	e, err := w.m.Explain(id, []Observation{{Op: op}}, next.View())
	if err != nil {
		w.t.Fatalf("%s: %v", op.Name(), err)
	}
	for _, p := range next.Payments { // the driver learns them from the intent's answer
		e.Order.SetIntent(p.ID, p.Intent)
	}
	if e.Order.CreatedAt.IsZero() {
		e.Order.CreatedAt = time.Now()
	}
	w.m.Commit(id, e)
	return e.Order
}

// refused expects op on order id to be refused with code, and nothing else.
func (w *world) refused(id string, op Op, code string) {
	w.t.Helper()
	out := w.m.Step(id, op, 0)
	if out.Next != nil || !slices.Equal(out.Codes, []string{code}) {
		w.t.Fatalf("%s: next %v codes %v, want refused with %s", op.Name(), out.Next != nil, out.Codes, code)
	}
}

func (w *world) name(o *Order) {
	fresh := func(id *string, prefix string) {
		if *id == "" {
			w.ids++
			*id = fmt.Sprintf("%s%d", prefix, w.ids)
		}
	}
	fresh(&o.ID, "O")
	for i := range o.Lines {
		fresh(&o.Lines[i].ID, "L")
	}
	for i := range o.Payments {
		fresh(&o.Payments[i].ID, "P")
		if o.Payments[i].Gateway == "stripe" {
			fresh(&o.Payments[i].Intent, "pi_")
		}
	}
	for i := range o.Refunds {
		fresh(&o.Refunds[i].ID, "R")
	}
	for i := range o.Fulfillments {
		fresh(&o.Fulfillments[i].ID, "F")
	}
	for i := range o.Returns {
		fresh(&o.Returns[i].ID, "RT")
	}
}

// expect compares fields of o's view, given as "Field=value" (Lines etc. are not).
func expect(t *testing.T, o Order, want ...string) {
	t.Helper()
	v := o.View()
	got := map[string]string{"Status": v.Status, "PaymentStatus": v.PaymentStatus, "FulfillmentStatus": v.FulfillmentStatus,
		"Subtotal": v.Subtotal, "Discount": v.Discount, "Shipping": v.Shipping, "Tax": v.Tax, "Total": v.Total,
		"Paid": v.Paid, "Refunded": v.Refunded, "RefundPending": v.RefundPending, "Outstanding": v.Outstanding,
		"RefundDue": v.RefundDue}
	for _, kv := range want {
		k, val, _ := strings.Cut(kv, "=")
		if got[k] != val {
			t.Errorf("%s = %s, want %s", k, got[k], val)
		}
	}
}

func TestTotals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		op      Create
		want    []string
		refused string
	}{
		{"shipping charged below the threshold", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"},
			[]string{"Subtotal=20.00", "Discount=0.00", "Shipping=5.00", "Tax=0.00", "Total=25.00"}, ""},
		{"free shipping at the threshold", Create{Items: []ItemReq{{"TEE", 2}, {"PIN", 4}}, Country: "US"},
			[]string{"Subtotal=50.00", "Shipping=0.00", "Total=50.00"}, ""},
		{"the threshold is judged after the coupon", Create{Items: []ItemReq{{"TEE", 3}}, Coupon: "save20", Country: "US"},
			[]string{"Subtotal=60.00", "Discount=12.00", "Shipping=5.00", "Tax=0.00", "Total=53.00"}, ""},
		{"tax on the discounted subtotal", Create{Items: []ItemReq{{"TEE", 2}}, Coupon: "TENOFF", Country: "DE"},
			[]string{"Subtotal=40.00", "Discount=10.00", "Shipping=7.50", "Tax=6.00", "Total=43.50"}, ""},
		{"tax rounded half to even, down", Create{Items: []ItemReq{{"PIN", 1}}, Country: "FR"},
			[]string{"Subtotal=2.50", "Shipping=15.00", "Tax=0.12", "Total=17.62"}, ""},
		{"tax rounded half to even, up", Create{Items: []ItemReq{{"BADGE", 1}}, Country: "FR"},
			[]string{"Subtotal=3.50", "Tax=0.18", "Total=18.68"}, ""},
		{"a fixed coupon never takes more than the subtotal", Create{Items: []ItemReq{{"CAP", 1}}, Coupon: "TENOFF", Country: "US"},
			[]string{"Subtotal=9.99", "Discount=9.99", "Shipping=5.00", "Total=5.00"}, ""},
		{"repeated SKUs stay separate lines", Create{Items: []ItemReq{{"MUG", 1}, {"MUG", 2}}, Country: "US"},
			[]string{"Subtotal=37.50", "Total=42.50"}, ""},
		{"a coupon's minimum subtotal", Create{Items: []ItemReq{{"TEE", 1}}, Coupon: "SAVE20", Country: "US"}, nil, "coupon_invalid"},
		{"an unknown coupon", Create{Items: []ItemReq{{"TEE", 1}}, Coupon: "NOPE", Country: "US"}, nil, "coupon_invalid"},
		{"an inactive product", Create{Items: []ItemReq{{"GONE", 1}}, Country: "US"}, nil, "product_unavailable"},
		{"no lines", Create{Country: "US"}, nil, "validation_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, map[string]int{"TEE": 10, "MUG": 10, "CAP": 10, "PIN": 10, "BADGE": 10, "GONE": 10})
			if tc.refused != "" {
				w.refused("", tc.op, tc.refused)
				return
			}
			expect(t, w.do("", tc.op), append(tc.want, "Status=created", "PaymentStatus=pending", "Paid=0.00")...)
		})
	}
}

// Issue 20, item 3: change the country, refund the difference, change it back: the
// order owes 20.00 and must not ship until it is paid.
func TestEditCountryRefundEditOwes(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 5}}, Country: "DE"})
	expect(t, o, "Subtotal=100.00", "Shipping=0.00", "Tax=20.00", "Total=120.00")
	o = w.do(o.ID, Pay{Amount: dec("120.00")})
	expect(t, o, "Status=paid", "PaymentStatus=completed", "Outstanding=0.00")
	o = w.do(o.ID, ShipTo{Country: "US"})
	expect(t, o, "Total=100.00", "Outstanding=0.00", "RefundDue=20.00")
	o = w.do(o.ID, GiveBack{Amount: dec("20.00")})
	expect(t, o, "Refunded=20.00", "RefundDue=0.00", "PaymentStatus=partially_refunded")
	o = w.do(o.ID, ShipTo{Country: "DE"})
	expect(t, o, "Total=120.00", "Paid=120.00", "Refunded=20.00", "Outstanding=20.00")
	w.refused(o.ID, Fulfill{}, "invalid_transition")
	w.refused(o.ID, Pay{Amount: dec("20.01")}, "payment_exceeds_outstanding")
	o = w.do(o.ID, Pay{Amount: dec("20.00")})
	expect(t, o, "Paid=140.00", "Outstanding=0.00", "Status=paid")
	o = w.do(o.ID, Fulfill{})
	expect(t, o, "Status=shipped", "FulfillmentStatus=fulfilled")
	if on, res := w.m.Stock("TEE"); on != 5 || res != 0 {
		t.Errorf("TEE on hand %d reserved %d, want 5 and 0", on, res)
	}
}

// A goodwill refund, then an edit: the refund is owed until the order ships; a unit
// removed leaves more held than the new total; a line added is owed in full.
func TestGoodwillRefundThenEdit(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10, "MUG": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 5}}, Country: "US"})
	o = w.do(o.ID, Pay{Amount: dec("100.00")})
	o = w.do(o.ID, GiveBack{Amount: dec("10.00")})
	expect(t, o, "Outstanding=10.00", "PaymentStatus=partially_refunded")
	w.refused(o.ID, Fulfill{}, "invalid_transition")
	o = w.do(o.ID, Edit{Remove: []LineQty{{o.Lines[0].ID, 1}}})
	expect(t, o, "Total=80.00", "Outstanding=0.00", "RefundDue=10.00")
	o = w.do(o.ID, Edit{Add: []ItemReq{{"MUG", 2}}}) // 105.00: owes 15.00
	expect(t, o, "Total=105.00", "Outstanding=15.00")
	if on, res := w.m.Stock("TEE"); on != 10 || res != 4 {
		t.Errorf("TEE on hand %d reserved %d, want 10 and 4", on, res)
	}
}

// A refund draws on the newest payment first; a card part waits for the gateway. A
// refund whose card part failed while its manual part succeeded is succeeded, and only
// the manual part went back.
func TestRefundPartsNewestFirst(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "DE"})
	expect(t, o, "Subtotal=20.00", "Shipping=7.50", "Tax=4.00", "Total=31.50")
	o = w.do(o.ID, Pay{Amount: dec("10.00")})
	expect(t, o, "Status=created", "PaymentStatus=partially_paid", "Outstanding=21.50")
	o = w.do(o.ID, StartIntent{})
	if p := o.Payments[1]; p.Amount.String() != "21.5" || p.Status != PayPending {
		t.Fatalf("intent payment %+v", p)
	}
	o = w.do(o.ID, Card{Intent: o.Payments[1].Intent, Event: "succeeded"})
	expect(t, o, "Status=paid", "PaymentStatus=completed", "Paid=31.50")
	o = w.do(o.ID, GiveBack{Amount: dec("25.00")})
	r := o.Refunds[0]
	if len(r.Parts) != 2 || r.Parts[0].Payment != 1 || r.Parts[0].Amount.String() != "21.5" ||
		r.Parts[1].Amount.String() != "3.5" || r.Status() != RefundPending {
		t.Fatalf("refund %+v", r)
	}
	expect(t, o, "Refunded=3.50", "RefundPending=21.50", "PaymentStatus=partially_refunded", "Outstanding=25.00")
	w.refused(o.ID, GiveBack{Amount: dec("6.51")}, "refund_exceeds_paid")
	o = w.do(o.ID, Settle{Refund: r.ID, Status: RefundFailed})
	if st := o.Refunds[0].Status(); st != RefundSucceeded {
		t.Errorf("refund %s, want succeeded (its manual part went back)", st)
	}
	expect(t, o, "Refunded=3.50", "RefundPending=0.00", "Outstanding=3.50")
}

// A return gives back the returned lines' share of what was paid, the coupon spread over
// the lines by value; returns of everything give back exactly what was paid.
func TestReturnRefundShares(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10, "MUG": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 2}, {"MUG", 1}}, Coupon: "SAVE20", Country: "US"})
	expect(t, o, "Subtotal=52.50", "Discount=10.50", "Shipping=5.00", "Total=47.00")
	o = w.do(o.ID, Pay{Amount: dec("47.00")})
	w.refused(o.ID, AskReturn{Items: []LineQty{{o.Lines[0].ID, 1}}}, "invalid_transition")
	o = w.do(o.ID, Fulfill{})
	o = w.do(o.ID, Track{Fulfillment: o.Fulfillments[0].ID, Status: "delivered", At: time.Unix(1000, 0)})
	expect(t, o, "Status=delivered")
	tee, mug := o.Lines[0].ID, o.Lines[1].ID
	o = w.do(o.ID, AskReturn{Items: []LineQty{{tee, 1}}})
	w.refused(o.ID, AskReturn{Items: []LineQty{{tee, 2}}}, "quantity_exceeds_returnable")
	w.refused(o.ID, AskReturn{Items: []LineQty{{tee, 1}}, Customer: true}, "conflict")
	o = w.do(o.ID, Approve{Return: o.Returns[0].ID})
	if got := o.Returns[0].RefundAmount.StringFixed(2); got != "17.90" { // 20 / 52.50 of 47.00
		t.Errorf("first return refunds %s, want 17.90", got)
	}
	expect(t, o, "Status=returned", "Refunded=17.90", "Outstanding=0.00") // shipped goods were paid for
	w.refused(o.ID, Approve{Return: o.Returns[0].ID}, "already_processed")
	o = w.do(o.ID, AskReturn{Items: []LineQty{{tee, 1}, {mug, 1}}, Customer: true})
	o = w.do(o.ID, Approve{Return: o.Returns[1].ID})
	if got := o.Returns[1].RefundAmount.StringFixed(2); got != "29.10" { // the rest of 47.00
		t.Errorf("second return refunds %s, want 29.10", got)
	}
	expect(t, o, "Status=refunded", "PaymentStatus=refunded", "Refunded=47.00")
	o = w.do(o.ID, Receive{Return: o.Returns[0].ID, Restock: true})
	w.refused(o.ID, Receive{Return: o.Returns[0].ID, Restock: true}, "already_processed")
	w.do(o.ID, Receive{Return: o.Returns[1].ID})
	for sku, want := range map[string]int{"TEE": 9, "MUG": 9} {
		if on, res := w.m.Stock(sku); on != want || res != 0 {
			t.Errorf("%s on hand %d reserved %d, want %d and 0", sku, on, res, want)
		}
	}
}

// Card money that comes after the order expired is kept apart and refunded, never
// booked on a cancelled order, never lost.
func TestCardAfterExpiryIsUnapplied(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"})
	o = w.do(o.ID, StartIntent{})
	o = w.do(o.ID, Expire{})
	o = w.do(o.ID, Card{Intent: o.Payments[0].Intent, Event: "succeeded"})
	if o.Payments[0].Status != PayUnapplied || len(o.Refunds) != 1 || o.Refunds[0].Status() != RefundPending {
		t.Fatalf("payment %+v refunds %+v", o.Payments[0], o.Refunds)
	}
	expect(t, o, "Status=cancelled", "Paid=0.00", "Refunded=0.00", "RefundPending=0.00", "Outstanding=0.00")
	o = w.do(o.ID, Settle{Refund: o.Refunds[0].ID, Status: RefundSucceeded})
	expect(t, o, "Paid=0.00", "Refunded=0.00")
	if _, res := w.m.Stock("TEE"); res != 0 {
		t.Errorf("an expired order holds %d", res)
	}
}

// A shipment takes its latest event by the carrier's time, whatever order events come
// in; the order is delivered when every shipment is.
func TestTrackingOutOfOrder(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 2}}, Country: "US"})
	o = w.do(o.ID, Pay{Amount: dec("45.00")})
	o = w.do(o.ID, Fulfill{Items: []LineQty{{o.Lines[0].ID, 1}}})
	expect(t, o, "Status=processing", "FulfillmentStatus=partially_fulfilled")
	t0 := time.Unix(1_000_000, 0)
	o = w.do(o.ID, Track{Fulfillment: o.Fulfillments[0].ID, Status: "delivered", At: t0.Add(2 * time.Hour)})
	o = w.do(o.ID, Track{Fulfillment: o.Fulfillments[0].ID, Status: "in_transit", At: t0.Add(time.Hour)})
	if st := o.Fulfillments[0].Status(); st != ShipDelivered {
		t.Errorf("shipment %s after a late in_transit, want delivered", st)
	}
	expect(t, o, "Status=processing")
	o = w.do(o.ID, Fulfill{})
	expect(t, o, "Status=shipped", "FulfillmentStatus=fulfilled")
	o = w.do(o.ID, Track{Fulfillment: o.Fulfillments[1].ID, Status: "delivered", At: t0.Add(3 * time.Hour)})
	expect(t, o, "Status=delivered")
	o = w.do(o.ID, Track{Fulfillment: o.Fulfillments[1].ID, Status: "exception", At: t0.Add(4 * time.Hour)})
	expect(t, o, "Status=delivered")
	w.refused(o.ID, Track{Fulfillment: "nope", Status: "delivered", At: t0}, "not_found")
}

func TestStatusGuards(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"})
	w.refused(o.ID, Transition{To: Paid}, "invalid_transition")
	o = w.do(o.ID, Transition{To: Pending})
	w.refused(o.ID, Transition{To: Paid}, "invalid_transition") // owes 25.00
	w.refused(o.ID, Transition{To: "lost"}, "validation_failed")
	o = w.do(o.ID, Hold{By: "staff"})
	w.refused(o.ID, Hold{By: "api"}, "invalid_transition")
	o = w.do(o.ID, Pay{Amount: dec("25.00")})
	expect(t, o, "Status=paid")
	w.refused(o.ID, Fulfill{}, "on_hold")
	w.refused(o.ID, Transition{To: Shipped}, "invalid_transition")
	w.refused(o.ID, Release{By: "api"}, "forbidden") // staff held it
	o = w.do(o.ID, Release{By: "staff"})
	w.refused(o.ID, Release{By: "staff"}, "invalid_transition")
	o = w.do(o.ID, Cancel{Refund: true})
	expect(t, o, "Status=cancelled", "PaymentStatus=refunded", "Refunded=25.00", "Outstanding=0.00")
	w.refused(o.ID, Cancel{}, "invalid_transition")
	w.refused(o.ID, Pay{Amount: dec("1.00")}, "invalid_transition")
}

// Stock is judged with what is in flight: an order that needs units others may be
// giving back may succeed or be out of stock; one that needs more than can be there is
// out of stock.
func TestStockVerdict(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 3})
	a := w.do("", Create{Items: []ItemReq{{"TEE", 2}}, Country: "US"})
	w.refused("", Create{Items: []ItemReq{{"TEE", 2}}, Country: "US"}, "out_of_stock")
	cancel := w.m.Begin(a.ID, Cancel{})
	out := w.m.Step("", Create{Items: []ItemReq{{"TEE", 2}}, Country: "US"}, 0)
	if out.Next == nil || !slices.Equal(out.Codes, []string{"out_of_stock"}) {
		t.Errorf("with a cancellation in flight: next %v codes %v, want either", out.Next != nil, out.Codes)
	}
	w.m.End(cancel)
	other := w.m.Begin("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"})
	out = w.m.Step("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"}, 0)
	if out.Next == nil || !slices.Equal(out.Codes, []string{"out_of_stock"}) {
		t.Errorf("racing for the last unit: next %v codes %v, want either", out.Next != nil, out.Codes)
	}
	w.m.End(other)
	// Stock taken and given back while an order flies: it may have been refused, though
	// the stock is there again when its answer is judged.
	late := Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"}
	flying := w.m.Begin("", late)
	b := w.do("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"})
	w.do(b.ID, Cancel{})
	if out := w.m.Step("", late, flying); out.Next == nil || !slices.Equal(out.Codes, []string{"out_of_stock"}) {
		t.Errorf("the last unit taken and given back while it flew: next %v codes %v, want either", out.Next != nil, out.Codes)
	}
	w.m.End(flying)
	if ok, maybe := w.m.AdjustStock("TEE", -2, 0); ok || !maybe {
		t.Errorf("on hand below reserved: ok %v maybe %v", ok, maybe)
	}
	if ok, maybe := w.m.AdjustStock("TEE", -1, 0); !ok || maybe {
		t.Errorf("on hand down to reserved: ok %v maybe %v", ok, maybe)
	}
}

func TestCouponUsageLimit(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	w.do("", Create{Items: []ItemReq{{"TEE", 1}}, Coupon: "ONCE", Country: "US"})
	w.refused("", Create{Items: []ItemReq{{"TEE", 1}}, Coupon: "ONCE", Country: "US"}, "coupon_invalid")
}

// What the driver sees may include steps nobody asked for: a refund settled by its
// gateway before or after the operation. An answer lost may have happened or not.
func TestExplain(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 1}}, Country: "US"})
	o = w.do(o.ID, StartIntent{})
	o = w.do(o.ID, Card{Intent: o.Payments[0].Intent, Event: "succeeded"})
	o = w.do(o.ID, GiveBack{Amount: dec("5.00")})
	seen := o.Clone()
	seen.Refunds[0].Parts[0].Status = RefundSucceeded
	seen.Tags = []string{"vip"}
	e, err := w.m.Explain(o.ID, []Observation{{Op: Tag{Tags: []string{"VIP"}}}}, seen.View())
	if err != nil {
		t.Fatal(err)
	}
	if !e.Happened[0] || len(e.Steps) != 2 {
		t.Errorf("steps %v, want the refund settled and the tags", e.Steps)
	}
	e, err = w.m.Explain(o.ID, []Observation{{Op: Hold{By: "api"}, Code: Lost}}, o.View())
	if err != nil || e.Happened[0] {
		t.Errorf("a lost hold, order unchanged: happened %v, %v", e.Happened, err)
	}
	held := o.Clone()
	held.Held = true
	held.HeldBy = "api"
	if e, err = w.m.Explain(o.ID, []Observation{{Op: Hold{By: "api"}, Code: Lost}}, held.View()); err != nil || !e.Happened[0] {
		t.Errorf("a lost hold, order held: happened %v, %v", e.Happened, err)
	}
	wrong := o.Clone()
	wrong.Payments[0].Amount = dec("1.00")
	if _, err = w.m.Explain(o.ID, nil, wrong.View()); err == nil || !strings.Contains(err.Error(), "Payments[0].Amount") {
		t.Errorf("an unexplained payment amount: %v", err)
	}
	if _, err = w.m.Explain(o.ID, []Observation{{Op: Hold{By: "api"}, Code: "on_hold"}}, o.View()); err == nil {
		t.Error("a hold refused with a code the model does not allow was explained")
	}
}

// Operations sent together are explained in whichever order fits what was seen; an
// answer that carried the order must be the order right after its operation.
func TestExplainConcurrent(t *testing.T) {
	w := newWorld(t, map[string]int{"TEE": 10})
	o := w.do("", Create{Items: []ItemReq{{"TEE", 2}}, Country: "US"})
	o = w.do(o.ID, Pay{Amount: dec("45.00")})
	a, b := Fulfill{Items: []LineQty{{o.Lines[0].ID, 1}}}, Fulfill{Items: []LineQty{{o.Lines[0].ID, 2}}}
	// b first ships both, a is then refused (the order is shipped); the reverse would
	// ship one and refuse b.
	after := o.Clone()
	after.Lines[0].Fulfilled, after.Status = 2, Shipped
	after.Fulfillments = []Fulfillment{{ID: "F1", Items: b.Items}}
	e, err := w.m.Explain(o.ID, []Observation{{Op: a, Code: "invalid_transition"}, {Op: b}}, after.View())
	if err != nil || e.Happened[0] || !e.Happened[1] {
		t.Fatalf("happened %v: %v", e.Happened, err)
	}
	if _, err := w.m.Explain(o.ID, []Observation{{Op: a}, {Op: b}}, after.View()); err == nil {
		t.Error("both fulfillments answered a success, yet only one shipped: explained")
	}
	w.m.Commit(o.ID, e)
	if on, res := w.m.Stock("TEE"); on != 8 || res != 0 {
		t.Errorf("TEE on hand %d reserved %d, want 8 and 0", on, res)
	}
}
