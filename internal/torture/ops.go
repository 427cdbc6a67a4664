package torture

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/model"
)

// The operations the workers send, each through the API or through the back-office form
// a person would use, with random parameters: mostly ones the model expects to succeed,
// some it expects to be refused.

var skus = []string{"TEE", "MUG", "CAP", "HOODIE", "PIN", "BAG"}

func address(country string) map[string]any {
	return map[string]any{"first_name": "Tor", "last_name": "Ture", "address1": "1 Load St", "city": "Stress",
		"postal_code": "12345", "country": country}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

func money(d decimal.Decimal) string { return d.StringFixed(2) }

// choice is one operation an order may be given, with its weight.
type choice struct {
	weight int
	do     func() call
}

func pickChoice(w *worker, cs []choice) func() call {
	total := 0
	for _, c := range cs {
		total += c.weight
	}
	if total == 0 {
		return nil
	}
	r := w.rng.IntN(total)
	for _, c := range cs {
		if r -= c.weight; r < 0 {
			return c.do
		}
	}
	return nil
}

// ifMatch is the version a request is made for, most of the time, once the server has
// versions.
func ifMatch(w *worker, mo model.Order) int64 {
	if mo.Version > 0 && w.rng.IntN(5) > 0 {
		return mo.Version
	}
	return 0
}

func ifMatchHeader(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.Quote(strconv.FormatInt(v, 10))
}

// apiCall is a call through the API: POSTs carry an Idempotency-Key, so that a lost
// answer is asked again with it (resend); other methods are not sent again.
func (d *driver) apiCall(w *worker, kind string, op model.Op, method, path string, body any, version int64, carries bool) call {
	key := ""
	if method == http.MethodPost {
		key = d.key(kind)
	}
	send := func(ctx context.Context) answer {
		return d.e.api.call(ctx, method, path, body, "Idempotency-Key", key, "If-Match", ifMatchHeader(version))
	}
	c := call{op: op, kind: kind + " (api)", carries: carries, ifMatch: version, send: send,
		dropAfter: d.dropAfter(w)}
	if key != "" {
		// Sent again with its key, a request gets its first answer or runs now; a PUT or
		// PATCH sent again would answer for the order it changed (412 with If-Match): a
		// lost one is looked up in the order instead.
		c.resend = send
	}
	return c
}

// formCall is a call through a back-office form: draw it on page (posting to action),
// fill it in, submit; confirm, when the form asks to, by submitting the confirmation
// form it draws. A form with a one-time token is sent again with it when its answer is
// lost (once: it acts once); one without is not.
// postTo, when given, is where the form is posted instead of its action (a button's
// formaction).
func (d *driver) formCall(w *worker, kind string, op model.Op, page, action string, fields url.Values, confirm bool, postTo ...string) call {
	s := w.staff
	var final *form
	var finalFields url.Values
	drawnAt := new(int64) // the order_version of the form submitted last
	hooks := &formHooks{}
	send := func(ctx context.Context) answer {
		final, finalFields = nil, nil
		f, ans := s.draw(ctx, page, action)
		if hooks.drawn != nil {
			hooks.drawn()
		}
		if ans.lost || ans.code != "" {
			return ans
		}
		if ans.err != nil { // the page offers no such form in this state
			return ans
		}
		if len(postTo) > 0 {
			f.action = postTo[0]
		}
		if !confirm { // this submission acts: sent again, it must be this one
			final, finalFields = &f, fields
		}
		*drawnAt, _ = strconv.ParseInt(f.hidden.Get("order_version"), 10, 64)
		ans = s.submit(ctx, f, fields)
		if !confirm || ans.lost || ans.code != "" || ans.status != http.StatusOK {
			return ans
		}
		c, ok := findForm(string(ans.body), f.action)
		if !ok || c.hidden.Get("confirmed") != "1" {
			return answer{status: ans.status, body: ans.body, err: fmt.Errorf("no confirmation form after the review"), code: model.Refused}
		}
		final, finalFields = &c, url.Values{}
		for k, v := range fields {
			if c.hidden.Get(k) == "" {
				finalFields[k] = v
			}
		}
		*drawnAt, _ = strconv.ParseInt(c.hidden.Get("order_version"), 10, 64)
		return s.submit(ctx, c, finalFields)
	}
	c := call{op: op, kind: kind + " (form)", send: send, formVersion: drawnAt, hooks: hooks}
	if onceForms[kind] {
		c.resend = func(ctx context.Context) answer {
			if final == nil {
				return send(ctx) // lost before it acted (a review acts on nothing)
			}
			return s.submit(ctx, *final, finalFields)
		}
	}
	return c
}

// formHooks let a race step in between drawing a form and submitting it.
type formHooks struct {
	drawn func() // called once the form is drawn (or could not be)
}

// or is c that, when its page offers no such form in the order's state, is made through
// the API instead (alt), as a person would.
func (c call) or(alt call) call {
	c.fallback = &alt
	return c
}

// onceForms are the forms that act once per form drawn (a one-time token: routes.go's
// once), which may be sent again when their answer is lost; the others are not, and the
// order says whether they acted.
var onceForms = map[string]bool{"payment": true, "refund": true, "cancel": true, "edit": true, "fulfill": true,
	"return": true, "return approve": true, "return reject": true, "return receive": true, "bulk cancel": true}

// create places an order through the API.
func (d *driver) create(w *worker) {
	var items []model.ItemReq
	var body []map[string]any
	for range 1 + w.rng.IntN(3) {
		sku := skus[w.rng.IntN(len(skus))]
		if w.rng.IntN(40) == 0 {
			sku = "RETIRED"
		}
		qty := 1 + w.rng.IntN(3)
		items = append(items, model.ItemReq{SKU: sku, Qty: qty})
		body = append(body, map[string]any{"sku": sku, "quantity": qty})
	}
	op := model.Create{Items: items, Country: countries[w.rng.IntN(len(countries))]}
	if w.rng.IntN(10) < 3 {
		op.Coupon = []string{"SAVE10", "five", "BIG25", "LIMITED", "LIMITED", "OLD", "NOPE"}[w.rng.IntN(7)]
	}
	n := d.seq.Add(1)
	email := fmt.Sprintf("c%d@torture.test", n)
	req := map[string]any{"customer": map[string]any{"email": email, "name": "Customer " + strconv.FormatInt(n, 10)},
		"shipping_address": address(op.Country), "items": body, "coupon_code": op.Coupon, "source": "torture"}
	o := &orderCtl{email: email, country: op.Country, abandon: w.rng.IntN(5) == 0}
	o.mu.Lock()
	defer o.mu.Unlock()
	c := d.apiCall(w, "create", op, http.MethodPost, "/api/v1/orders", req, 0, true)
	token := d.m.Begin("", op)
	defer d.m.End(token)
	ans, _ := d.send(c)
	for i := 0; ans.lost && i < 10; i++ {
		// Order creation keeps its key with the order: asking again always answers.
		time.Sleep(time.Second)
		ans = c.resend(context.Background())
	}
	if ans.lost {
		d.fail(nil, op.Name(), fmt.Errorf("no answer, even to the same Idempotency-Key: %v", ans.err))
		return
	}
	seen := model.Order{}.View()
	obs := model.Observation{Op: op, Code: ans.code, Token: token}
	var created time.Time
	if ans.status == http.StatusCreated {
		v, at, err := readOrder(ans.body)
		if err != nil {
			d.fail(nil, op.Name(), err)
			return
		}
		obs.Answer, seen, created = &v, v, at
		o.id, o.number = v.ID, v.Number
	}
	exp, err := d.m.Explain("", []model.Observation{obs}, seen)
	if err != nil {
		d.fail(nil, op.Name()+" → "+ans.String(), fmt.Errorf("%w\n  answer: %.1000s", err, ans.body))
		return
	}
	d.count(c.kind)
	if !exp.Happened[0] {
		d.refused.Add(1)
		return
	}
	exp.Order.CreatedAt = created
	d.m.Commit(o.id, exp)
	o.note(op.Name() + " → " + ans.String())
	d.mu.Lock()
	d.orders[o.id] = o
	d.live = append(d.live, o)
	d.mu.Unlock()
}

// act gives order o one operation that makes sense in its state (and now and then one
// that does not, which the model says must be refused).
func (d *driver) act(w *worker, o *orderCtl) {
	mo, ok := d.m.Order(o.id)
	if !ok {
		return
	}
	cs := d.choices(w, o, mo)
	if do := pickChoice(w, cs); do != nil {
		d.run(o, do())
	}
}

func (d *driver) choices(w *worker, o *orderCtl, mo model.Order) []choice {
	var cs []choice
	add := func(weight int, f func() call) { cs = append(cs, choice{weight, f}) }
	owed, refundable := mo.Owed(), mo.Refundable()
	open := slices.IndexFunc(mo.Payments, func(p model.Payment) bool {
		return p.Intent != "" && (p.Status == model.PayPending || p.Status == model.PayFailed)
	})
	if len(o.late) > 0 {
		add(10, func() call { return d.deliverLate(w, o) })
	}
	if open >= 0 {
		add(15, func() call { return d.card(w, o, mo, mo.Payments[open]) })
	}
	switch mo.Status {
	case model.Created, model.Pending, model.Paid, model.Processing:
		if owed.IsPositive() && !o.abandon {
			add(25, func() call { return d.pay(w, o, mo, owed) })
			add(6, func() call { return d.pay(w, o, mo, partOf(w, owed)) })
			if open < 0 {
				add(12, func() call { return d.intent(w, o, mo) })
			}
		}
		add(4, func() call { return d.cancel(w, o, mo) })
		add(6, func() call { return d.edit(w, o, mo) })
		add(4, func() call { return d.shipTo(w, o, mo) })
		add(3, func() call { return d.tags(w, o, mo) })
		add(3, func() call { return d.hold(w, o, mo) })
		if mo.Status == model.Created {
			add(2, func() call { return d.transition(w, o, mo, model.Pending) })
		}
		if mo.Status == model.Paid || mo.Status == model.Processing {
			add(30, func() call { return d.fulfill(w, o, mo) })
		}
	case model.Shipped:
		add(20, func() call { return d.track(w, o, mo) })
		add(2, func() call { return d.transition(w, o, mo, model.Delivered) })
		add(1, func() call { return d.fulfill(w, o, mo) })
	case model.Delivered, model.Returned:
		add(10, func() call { return d.askReturn(w, o, mo) })
		add(3, func() call { return d.track(w, o, mo) })
		for _, r := range mo.Returns {
			switch r.Status {
			case model.ReturnRequested:
				add(8, func() call { return d.decide(w, o, mo, r, "approve") })
				add(2, func() call { return d.decide(w, o, mo, r, "reject") })
			case model.ReturnApproved:
				add(8, func() call { return d.decide(w, o, mo, r, "receive") })
			}
		}
		if mo.Status == model.Delivered {
			add(1, func() call { return d.transition(w, o, mo, model.Returned) })
		} else {
			add(1, func() call { return d.transition(w, o, mo, model.Refunded) })
		}
	default:
		add(1, func() call { return d.edit(w, o, mo) })
		add(1, func() call { return d.transition(w, o, mo, model.Statuses[w.rng.IntN(len(model.Statuses))]) })
	}
	if refundable.IsPositive() {
		add(3, func() call { return d.refund(w, o, mo, partOf(w, refundable)) })
		if due := mo.RefundDue(); due.IsPositive() {
			add(15, func() call { return d.refund(w, o, mo, due) })
		}
	}
	if !owed.IsPositive() && w.rng.IntN(20) == 0 { // money that is not owed: refused
		add(1, func() call { return d.pay(w, o, mo, decimal.NewFromInt(1)) })
	}
	if w.rng.IntN(20) == 0 {
		add(1, func() call { return d.refund(w, o, mo, refundable.Add(decimal.RequireFromString("0.01"))) })
	}
	return cs
}

// partOf is a random part of amount, at least a cent.
func partOf(w *worker, amount decimal.Decimal) decimal.Decimal {
	cents := amount.Shift(2).IntPart()
	if cents <= 1 {
		return amount
	}
	return decimal.New(1+w.rng.Int64N(cents), -2)
}

func (d *driver) pay(w *worker, o *orderCtl, mo model.Order, amount decimal.Decimal) call {
	op := model.Pay{Amount: amount}
	api := d.apiCall(w, "payment", op, http.MethodPost, "/api/v1/orders/"+o.id+"/payments",
		map[string]any{"amount": money(amount), "gateway": "manual", "reference": "bank"}, ifMatch(w, mo), false)
	if w.rng.IntN(10) < 3 {
		return d.formCall(w, "payment", op, "/orders/"+o.number+"/payment", "/orders/"+o.number+"/payment",
			url.Values{"amount": {money(amount)}, "reference": {"bank"}, "notify": {"on"}}, false).or(api)
	}
	return api
}

func (d *driver) intent(w *worker, o *orderCtl, mo model.Order) call {
	c := d.apiCall(w, "payment intent", model.StartIntent{}, http.MethodPost, "/api/v1/orders/"+o.id+"/payment_intents",
		map[string]any{}, ifMatch(w, mo), false)
	c.after = func(a answer, next *model.Order) error {
		var pi struct {
			ID        string `json:"id"`
			PaymentID string `json:"payment_id"`
			Amount    string `json:"amount"`
		}
		if err := json.Unmarshal(a.body, &pi); err != nil {
			return err
		}
		next.SetIntent(pi.PaymentID, pi.ID)
		i := slices.IndexFunc(next.Payments, func(p model.Payment) bool { return p.ID == pi.PaymentID })
		if i < 0 || next.Payments[i].Intent != pi.ID || money(next.Payments[i].Amount) != pi.Amount {
			return fmt.Errorf("intent answer %s, the model's payments %+v", a.body, next.Payments)
		}
		return nil
	}
	return c
}

// card is the customer's card at work on an open intent: paid, declined or given up. The
// gateway sends its event now, later, or twice.
func (d *driver) card(w *worker, o *orderCtl, mo model.Order, p model.Payment) call {
	kind := "succeeded"
	switch r := w.rng.IntN(100); {
	case r < 25:
		kind = "failed"
	case r < 35:
		kind = "canceled"
	}
	switch kind {
	case "succeeded":
		if !d.e.gateway.pay(p.Intent) {
			kind = "canceled" // cancelled at the gateway before the customer paid
		}
	case "canceled":
		if !d.e.gateway.cancel(p.Intent) {
			kind = "succeeded"
		}
	}
	typ, obj := intentEvent(p.Intent, kind, p.Amount)
	id, payload := d.e.gateway.event(typ, obj)
	ev := late{op: model.Card{Intent: p.Intent, Event: kind, ID: id}, payload: payload}
	switch r := w.rng.IntN(10); {
	case r < 3: // delivered later, perhaps after events sent after it
		o.late = append(o.late, ev)
		return d.deliverLate(w, o)
	case r < 5: // delivered now and again later
		o.late = append(o.late, ev)
	}
	return d.deliver(w, ev)
}

// deliverLate delivers a random one of the order's late events; when another operation
// of the same race took the last one, that one again (Stripe may send an event twice).
func (d *driver) deliverLate(w *worker, o *orderCtl) call {
	if len(o.late) == 0 {
		return d.deliver(w, o.gone)
	}
	i := w.rng.IntN(len(o.late))
	ev := o.late[i]
	o.late = slices.Delete(o.late, i, i+1)
	o.gone = ev
	return d.deliver(w, ev)
}

func (d *driver) deliver(w *worker, ev late) call {
	send := func(ctx context.Context) answer {
		return d.e.api.call(ctx, http.MethodPost, "/webhooks/stripe", json.RawMessage(ev.payload), "Stripe-Signature", sign(ev.payload))
	}
	return call{op: ev.op, kind: "stripe event " + ev.op.Event, send: send, resend: send,
		dropAfter: d.dropAfter(w)}
}

func (d *driver) refund(w *worker, o *orderCtl, mo model.Order, amount decimal.Decimal) call {
	op := model.GiveBack{Amount: amount}
	c := d.apiCall(w, "refund", op, http.MethodPost, "/api/v1/orders/"+o.id+"/refunds",
		map[string]any{"amount": money(amount), "reason": "torture"}, ifMatch(w, mo), false)
	c.after = func(a answer, next *model.Order) error {
		var r struct{ ID, Amount string }
		if err := json.Unmarshal(a.body, &r); err != nil {
			return err
		}
		if i := slices.IndexFunc(next.Refunds, func(x model.Refund) bool { return x.ID == r.ID }); i < 0 || money(next.Refunds[i].Amount) != r.Amount {
			return fmt.Errorf("refund answer %s, the model's refunds %+v", a.body, next.Refunds)
		}
		return nil
	}
	if w.rng.IntN(10) < 4 {
		return d.formCall(w, "refund", op, "/orders/"+o.number+"/refund", "/orders/"+o.number+"/refund",
			url.Values{"amount": {money(amount)}, "reason": {"torture"}}, true).or(c)
	}
	return c
}

func (d *driver) cancel(w *worker, o *orderCtl, mo model.Order) call {
	refund := w.rng.IntN(3) > 0
	op := model.Cancel{Refund: refund}
	api := d.apiCall(w, "cancel", op, http.MethodPost, "/api/v1/orders/"+o.id+"/cancel",
		map[string]any{"reason": "torture", "refund": refund}, ifMatch(w, mo), true)
	if w.rng.IntN(10) < 4 {
		f := url.Values{"reason": {"torture"}}
		if refund {
			f.Set("refund", "on")
		}
		return d.formCall(w, "cancel", op, "/orders/"+o.number+"/cancel", "/orders/"+o.number+"/cancel", f, true).or(api)
	}
	return api
}

func (d *driver) transition(w *worker, o *orderCtl, mo model.Order, to string) call {
	op := model.Transition{To: to}
	api := d.apiCall(w, "transition", op, http.MethodPost, "/api/v1/orders/"+o.id+"/transitions",
		map[string]any{"status": to, "note": "torture"}, ifMatch(w, mo), true)
	if w.rng.IntN(10) < 3 {
		return d.formCall(w, "transition", op, "/orders/"+o.number, "/orders/"+o.number+"/status",
			url.Values{"to": {to}, "note": {"torture"}}, false).or(api)
	}
	return api
}

// edit adds a line or removes unshipped units (or both).
func (d *driver) edit(w *worker, o *orderCtl, mo model.Order) call {
	var op model.Edit
	if w.rng.IntN(2) == 0 || len(mo.Lines) == 0 {
		op.Add = []model.ItemReq{{SKU: skus[w.rng.IntN(len(skus))], Qty: 1 + w.rng.IntN(2)}}
	}
	if len(mo.Lines) > 0 && (len(op.Add) == 0 || w.rng.IntN(3) == 0) {
		l := mo.Lines[w.rng.IntN(len(mo.Lines))]
		op.Remove = []model.LineQty{{Line: l.ID, Qty: max(1, 1+w.rng.IntN(max(1, l.Qty-l.Fulfilled)))}}
	}
	var add, remove []map[string]any
	for _, a := range op.Add {
		add = append(add, map[string]any{"sku": a.SKU, "quantity": a.Qty})
	}
	for _, r := range op.Remove {
		remove = append(remove, map[string]any{"order_item_id": r.Line, "quantity": r.Qty})
	}
	api := d.apiCall(w, "edit", op, http.MethodPost, "/api/v1/orders/"+o.id+"/edits",
		map[string]any{"add": add, "remove": remove, "reason": "torture"}, ifMatch(w, mo), true)
	if w.rng.IntN(10) < 4 {
		f := url.Values{"reason": {"torture"}}
		for i, a := range op.Add {
			f.Set(fmt.Sprintf("add[%d].sku", i), a.SKU)
			f.Set(fmt.Sprintf("add[%d].quantity", i), strconv.Itoa(a.Qty))
		}
		for _, r := range op.Remove {
			f.Set("remove_"+r.Line, strconv.Itoa(r.Qty))
		}
		return d.formCall(w, "edit", op, "/orders/"+o.number+"/edit", "/orders/"+o.number+"/edit/lines", f, true).or(api)
	}
	return api
}

func (d *driver) shipTo(w *worker, o *orderCtl, mo model.Order) call {
	country := countries[w.rng.IntN(len(countries))]
	return d.apiCall(w, "change country", model.ShipTo{Country: country}, http.MethodPatch, "/api/v1/orders/"+o.id,
		map[string]any{"shipping_address": address(country)}, ifMatch(w, mo), true)
}

var tagWords = []string{"vip", "Gift", "rush", "fraud review", "b2b", "  wholesale "}

func (d *driver) tags(w *worker, o *orderCtl, mo model.Order) call {
	var tags []string
	for range w.rng.IntN(4) {
		tags = append(tags, tagWords[w.rng.IntN(len(tagWords))])
	}
	return d.apiCall(w, "tags", model.Tag{Tags: tags}, http.MethodPut, "/api/v1/orders/"+o.id+"/tags",
		map[string]any{"tags": append([]string{}, tags...)}, ifMatch(w, mo), true)
}

func (d *driver) hold(w *worker, o *orderCtl, mo model.Order) call {
	path, form := "hold", w.rng.IntN(10) < 4
	if mo.Held || w.rng.IntN(10) == 0 {
		path = "release"
	}
	by := func(who string) model.Op {
		if path == "hold" {
			return model.Hold{By: who}
		}
		return model.Release{By: who}
	}
	api := d.apiCall(w, path, by("api"), http.MethodPost, "/api/v1/orders/"+o.id+"/"+path,
		map[string]any{"reason": "torture check"}, ifMatch(w, mo), true)
	if form {
		f := url.Values{}
		if path == "hold" {
			f.Set("reason", "torture check")
		}
		return d.formCall(w, path, by("staff"), "/orders/"+o.number, "/orders/"+o.number+"/"+path, f, false).or(api)
	}
	return api
}

// fulfill ships everything left or some units of some lines.
func (d *driver) fulfill(w *worker, o *orderCtl, mo model.Order) call {
	var items []model.LineQty
	if w.rng.IntN(2) == 0 {
		for _, l := range mo.Lines {
			if left := l.Qty - l.Fulfilled; left > 0 && w.rng.IntN(2) == 0 {
				items = append(items, model.LineQty{Line: l.ID, Qty: 1 + w.rng.IntN(left)})
			}
		}
		if len(items) == 0 && len(mo.Lines) > 0 {
			l := mo.Lines[w.rng.IntN(len(mo.Lines))]
			items = append(items, model.LineQty{Line: l.ID, Qty: 1 + w.rng.IntN(max(1, l.Qty-l.Fulfilled+1))})
		}
	}
	op := model.Fulfill{Items: items}
	api := d.fulfillAPI(w, o, mo, op)
	if items != nil && w.rng.IntN(10) < 4 {
		f := url.Values{"carrier": {"UPS"}, "tracking_number": {"1Z" + strconv.FormatInt(d.seq.Add(1), 10)}}
		for _, l := range mo.Lines {
			f.Set("qty_"+l.ID, "0")
		}
		for _, it := range items {
			f.Set("qty_"+it.Line, strconv.Itoa(it.Qty))
		}
		return d.formCall(w, "fulfill", op, "/orders/"+o.number+"/fulfill", "/orders/"+o.number+"/fulfill", f, false).or(api)
	}
	return api
}

func (d *driver) fulfillAPI(w *worker, o *orderCtl, mo model.Order, op model.Fulfill) call {
	items := op.Items
	body := map[string]any{"carrier": "UPS", "tracking_number": "1Z" + strconv.FormatInt(d.seq.Add(1), 10), "notify_customer": w.rng.IntN(2) == 0}
	if items != nil {
		var its []map[string]any
		for _, it := range items {
			its = append(its, map[string]any{"order_item_id": it.Line, "quantity": it.Qty})
		}
		body["items"] = its
	}
	c := d.apiCall(w, "fulfill", op, http.MethodPost, "/api/v1/orders/"+o.id+"/fulfillments", body, ifMatch(w, mo), false)
	c.after = func(a answer, next *model.Order) error {
		var f struct{ ID string }
		if err := json.Unmarshal(a.body, &f); err != nil {
			return err
		}
		if !slices.ContainsFunc(next.Fulfillments, func(x model.Fulfillment) bool { return x.ID == f.ID }) {
			return fmt.Errorf("fulfillment answer %s, not a shipment of the model's order", f.ID)
		}
		return nil
	}
	return c
}

// track reports a carrier's event for a shipment, at a time up to two hours ago: events
// of one shipment come in any order of their times.
func (d *driver) track(w *worker, o *orderCtl, mo model.Order) call {
	if len(mo.Fulfillments) == 0 {
		return d.transition(w, o, mo, model.Delivered)
	}
	f := mo.Fulfillments[w.rng.IntN(len(mo.Fulfillments))]
	status := []string{"in_transit", "out_for_delivery", "delivered", "delivered", "delivered", "exception"}[w.rng.IntN(6)]
	at := time.Now().Add(-time.Duration(w.rng.IntN(7200)) * time.Second).Truncate(time.Second).
		Add(time.Duration(d.seq.Add(1)%1000) * time.Millisecond).UTC()
	return d.apiCall(w, "tracking event", model.Track{Fulfillment: f.ID, Status: status, At: at}, http.MethodPost,
		"/api/v1/fulfillments/"+f.ID+"/events", map[string]any{"status": status, "at": at.Format(time.RFC3339Nano),
			"description": "torture"}, 0, false)
}

// askReturn asks for a return of some shipped units: staff through the API or the form,
// or the customer through the tracking API.
func (d *driver) askReturn(w *worker, o *orderCtl, mo model.Order) call {
	var items []model.LineQty
	left := mo.Returnable()
	for _, l := range mo.Lines {
		if n := left[l.ID]; n > 0 && w.rng.IntN(2) == 0 {
			items = append(items, model.LineQty{Line: l.ID, Qty: 1 + w.rng.IntN(n)})
		}
	}
	if len(items) == 0 && len(mo.Lines) > 0 { // perhaps more than is returnable: refused
		l := mo.Lines[w.rng.IntN(len(mo.Lines))]
		items = append(items, model.LineQty{Line: l.ID, Qty: 1 + left[l.ID]})
	}
	var staffItems []map[string]any
	for _, it := range items {
		staffItems = append(staffItems, map[string]any{"order_item_id": it.Line, "quantity": it.Qty, "reason": "too small"})
	}
	api := d.apiCall(w, "return", model.AskReturn{Items: items}, http.MethodPost, "/api/v1/orders/"+o.id+"/returns",
		map[string]any{"items": staffItems, "reason": "torture"}, ifMatch(w, mo), false)
	switch r := w.rng.IntN(10); {
	case r < 3:
		op := model.AskReturn{Items: items, Customer: true}
		var its []map[string]any
		for _, it := range items {
			its = append(its, map[string]any{"item_id": it.Line, "quantity": it.Qty, "reason": "too small"})
		}
		c := d.apiCall(w, "customer return", op, http.MethodPost, "/api/v1/track/"+o.number+"/returns?email="+url.QueryEscape(o.email),
			map[string]any{"items": its, "reason": "torture"}, 0, false)
		// The customer's endpoint takes no Idempotency-Key (it refuses the same request
		// while it waits: 409 conflict): a lost answer is looked up in the order.
		c.resend = nil
		return c
	case r < 5:
		f := url.Values{"reason": {"torture"}}
		for _, l := range mo.Lines {
			f.Set("qty_"+l.ID, "0")
		}
		for _, it := range items {
			f.Set("qty_"+it.Line, strconv.Itoa(it.Qty))
		}
		return d.formCall(w, "return", model.AskReturn{Items: items}, "/orders/"+o.number+"/return", "/orders/"+o.number+"/return", f, false).or(api)
	}
	return api
}

// decide approves, rejects or receives a return.
func (d *driver) decide(w *worker, o *orderCtl, mo model.Order, r model.Return, action string) call {
	var op model.Op
	body := map[string]any{"note": "torture"}
	switch action {
	case "approve":
		op = model.Approve{Return: r.ID}
	case "reject":
		op = model.Reject{Return: r.ID}
	default:
		restock := w.rng.IntN(3) > 0
		op, body = model.Receive{Return: r.ID, Restock: restock}, map[string]any{"restock": restock}
	}
	if w.rng.IntN(10) < 3 {
		// The returns queue shows the decision form of each return waiting (oldest first,
		// a page at a time); reject is a button posting the approve form elsewhere.
		page, form := "/returns?status="+r.Status, "/returns/"+r.ID+"/approve"
		if action == "receive" {
			form = "/returns/" + r.ID + "/receive"
		}
		if _, ans := w.staff.draw(context.Background(), page, form); ans.err == nil && !ans.lost && ans.code == "" {
			f := url.Values{"note": {"torture"}}
			if rc, ok := op.(model.Receive); ok && rc.Restock {
				f.Set("restock", "on")
			}
			return d.formCall(w, "return "+action, op, page, form, f, false, "/returns/"+r.ID+"/"+action)
		}
	}
	return d.apiCall(w, "return "+action, op, http.MethodPost, "/api/v1/returns/"+r.ID+"/"+action, body, ifMatch(w, mo), false)
}

// adjustStock moves a SKU's stock on hand: mostly deliveries, sometimes a count that
// takes units away (refused below what is reserved).
func (d *driver) adjustStock(w *worker) {
	sku := skus[w.rng.IntN(len(skus))]
	delta := 1 + w.rng.IntN(12)
	if w.rng.IntN(4) == 0 {
		delta = -1 - w.rng.IntN(4)
	}
	token := d.m.BeginStock(sku, delta)
	defer d.m.End(token)
	c := d.apiCall(w, "stock adjustment", nil, http.MethodPost, "/api/v1/inventory/"+sku+"/adjustments",
		map[string]any{"delta": delta, "reason": "torture"}, 0, false)
	ans, _ := d.send(c)
	ok, maybe := d.m.AdjustStock(sku, delta, token)
	switch {
	case ans.lost:
		d.fail(nil, fmt.Sprintf("adjust %s by %d", sku, delta), fmt.Errorf("no answer, even to the same Idempotency-Key: %v", ans.err))
	case ans.status == http.StatusOK || ans.status == http.StatusCreated:
		if !ok {
			d.fail(nil, fmt.Sprintf("adjust %s by %d", sku, delta), fmt.Errorf("taken, though on hand would go below reserved"))
			return
		}
		d.m.CommitStock(sku, delta)
		d.count("stock adjustment")
	case ans.code == "inventory_below_reserved" && maybe:
		d.count("stock adjustment")
		d.refused.Add(1)
	default:
		d.fail(nil, fmt.Sprintf("adjust %s by %d", sku, delta), fmt.Errorf("answered %v %.300s; the model allows ok=%v refusal=%v", ans, ans.body, ok, maybe))
	}
}
