package model

import (
	"slices"
)

// System steps change an order without anyone asking at that moment: a refund settled by
// its gateway (the refund job's answer, or Stripe's webhook), an unpaid order expired, a
// cancelled order's open card payment cancelled at Stripe (or found paid there). The
// driver never asks for them; it sees them happen, and Explain checks that what it sees
// is such a step.

// Settle settles the pending parts of a refund that one payment gateway answered: the
// refund's parts settle together, because the gateway answers about one refund (in the
// driver, every part of a refund gets the same answer).
type Settle struct {
	Refund string
	Status string // succeeded or failed
}

func (op Settle) Name() string { return "settle refund " + op.Refund + " " + op.Status }

func (op Settle) apply(_ *Config, o *Order) (Effects, error) {
	i := slices.IndexFunc(o.Refunds, func(r Refund) bool { return r.ID == op.Refund })
	if i < 0 {
		return Effects{}, refuse("not_found")
	}
	for j := range o.Refunds[i].Parts {
		if p := &o.Refunds[i].Parts[j]; p.Status == RefundPending {
			p.Status = op.Status
		}
	}
	followMoney(o)
	return Effects{}, nil
}

// Expire cancels an order not paid within the reservation TTL, releasing its stock
// (API.md §2: a background job; its history says why).
type Expire struct{}

func (Expire) Name() string { return "expire" }

func (Expire) apply(_ *Config, o *Order) (Effects, error) {
	if o.Status != Created && o.Status != Pending {
		return Effects{}, refuse("invalid_transition")
	}
	o.Status = Cancelled
	return Effects{}, nil
}

// evidence lists the system steps that o's observed view v shows happened and o does
// not have yet: each names what it settles, so the list is short.
func evidence(o Order, v View) []Op {
	var out []Op
	for _, r := range o.Refunds {
		if r.Status() != RefundPending {
			continue
		}
		for _, rv := range v.Refunds {
			if rv.ID == r.ID && rv.Status != RefundPending {
				// A refund whose card part failed while its manual part went back reads
				// succeeded: which way the card part went, the order's sums say.
				out = append(out, Settle{Refund: r.ID, Status: RefundSucceeded}, Settle{Refund: r.ID, Status: RefundFailed})
			}
		}
	}
	if (o.Status == Created || o.Status == Pending) && v.Status == Cancelled {
		out = append(out, Expire{})
	}
	for _, p := range o.Payments {
		if p.Gateway != "stripe" || p.Intent == "" || (p.Status != PayPending && p.Status != PayFailed) {
			continue
		}
		for _, pv := range v.Payments {
			if pv.ID != p.ID || pv.Status == p.Status {
				continue
			}
			switch pv.Status {
			case PayCanceled:
				out = append(out, Card{Intent: p.Intent, Event: "canceled"})
			case PayCompleted, PayUnapplied:
				out = append(out, Card{Intent: p.Intent, Event: "succeeded"})
			}
		}
	}
	return out
}
