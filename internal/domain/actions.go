package domain

import "slices"

// ActionKey names one thing staff may do next with an order, as the order page offers it.
type ActionKey string

const (
	ActionPayment     ActionKey = "payment"      // record a payment
	ActionFulfill     ActionKey = "fulfill"      // ship some of what is left
	ActionRefund      ActionKey = "refund"       // give money back
	ActionReturn      ActionKey = "return"       // open a return for delivered units
	ActionPackingSlip ActionKey = "packing-slip" // print what to pack
	ActionEdit        ActionKey = "edit"         // change the order's lines
	ActionCancel      ActionKey = "cancel"       // cancel the order
)

// TransitionAction is the key of the action that moves an order to status to by hand.
func TransitionAction(to Status) ActionKey { return ActionKey("status-" + string(to)) }

// Action is one thing that may be done next with an order.
type Action struct {
	Key        ActionKey
	Permission Permission // what the actor needs to take it
	To         Status     // for a transition: the status it moves to
	Primary    bool       // the order's natural next step (at most one action is)
}

// PermissionHolder is whoever looks at an order: a role, or a page that knows its user's.
type PermissionHolder interface{ Can(Permission) bool }

// Actions lists what may be done next with o by whoever holds who's permissions: one
// action per next status the state machine allows, in its order, then refund, return,
// packing slip and edit when they apply, and cancel last. The action for the order's
// natural next step (see naturalSteps) comes first, marked primary; when who may not take
// that step, none is primary (a refund or a cancellation is never promoted to one).
func Actions(o Order, who PermissionHolder) []Action {
	var out []Action
	for _, a := range possibleActions(o) {
		if who.Can(a.Permission) && !slices.ContainsFunc(out, func(b Action) bool { return b.Key == a.Key }) {
			out = append(out, a)
		}
	}
	steps := naturalSteps[o.Status]
	if o.Status.Ships() && o.Balance().Outstanding.IsPositive() {
		steps = append([]ActionKey{ActionPayment}, steps...) // an edit added to the total: it ships once paid
	}
	for _, key := range steps {
		if i := slices.IndexFunc(out, func(a Action) bool { return a.Key == key }); i >= 0 {
			a := out[i]
			a.Primary = true
			return append([]Action{a}, slices.Delete(out, i, i+1)...)
		}
	}
	return out
}

// possibleActions are every action the order allows, in order, whoever looks (a key may
// come twice: the first place counts).
func possibleActions(o Order) []Action {
	left, returnable := 0, 0
	back := o.Returnable()
	for _, it := range o.Items {
		left += it.Quantity - it.FulfilledQuantity
		returnable += back[it.ID]
	}
	owes := o.Balance().Outstanding.IsPositive()
	var out []Action
	add := func(key ActionKey, perm Permission) { out = append(out, Action{Key: key, Permission: perm}) }
	transition := func(to Status) {
		out = append(out, Action{Key: TransitionAction(to), Permission: PermTransitionOrders, To: to})
	}
	fulfill := func() {
		if left > 0 {
			add(ActionFulfill, PermFulfill)
		}
	}
	refund := func() {
		if o.Refundable().IsPositive() {
			add(ActionRefund, PermRefund)
		}
	}
	createReturn := func() {
		if returnable > 0 {
			add(ActionReturn, PermCreateReturns)
		}
	}
	cancel := false
	for _, next := range o.Status.Next() {
		switch next {
		case StatusPending, StatusDelivered:
			transition(next)
		case StatusPaid:
			if owes {
				add(ActionPayment, PermRecordPayments)
			} else {
				transition(next)
			}
		case StatusProcessing:
			fulfill()
			transition(next)
		case StatusShipped:
			fulfill()
		case StatusReturned:
			createReturn()
		case StatusRefunded:
			refund()
		case StatusCancelled:
			cancel = true
		}
	}
	// Payments are taken while created or pending, not only on the way to paid, and for
	// what an edit added to a paid order.
	if owes {
		add(ActionPayment, PermRecordPayments)
	}
	if AcceptsReturns(o.Status) {
		createReturn()
	}
	refund()
	if o.Status.Ships() || o.Status == StatusShipped {
		add(ActionPackingSlip, PermFulfill)
	}
	if CheckLinesEditable(o) == nil {
		add(ActionEdit, PermEditOrders)
	}
	if cancel {
		add(ActionCancel, PermCancelOrders)
	}
	return out
}

// naturalSteps are, per status, the actions that take an order on along the state
// machine's forward path, preferred first: created is confirmed (or paid), pending is
// paid, paid and processing orders are fulfilled (or a paid one at least marked
// processing), shipped ones delivered, delivered ones may come back, returned ones are
// refunded.
var naturalSteps = map[Status][]ActionKey{
	StatusCreated:    {TransitionAction(StatusPending), ActionPayment},
	StatusPending:    {ActionPayment, TransitionAction(StatusPaid)},
	StatusPaid:       {ActionFulfill, TransitionAction(StatusProcessing)},
	StatusProcessing: {ActionFulfill},
	StatusShipped:    {TransitionAction(StatusDelivered)},
	StatusDelivered:  {ActionReturn},
	StatusReturned:   {ActionRefund},
}
