package domain

// CheckStatusGuard enforces what must be true of an order, beyond the transition table,
// before it may enter a status by a plain status change: money and goods must back it.
func CheckStatusGuard(o Order, to Status) error {
	switch to {
	case StatusPaid:
		if b := o.Balance(); !b.PaidInFull() {
			return Errorf(CodeInvalidTransition, "order %s is not fully paid: record a payment for the outstanding %s %s first",
				o.Number, FormatAmount(b.Outstanding, o.Currency), o.Currency)
		}
	case StatusShipped:
		if o.FulfillmentStatus != FulfillmentFulfilled {
			return Errorf(CodeInvalidTransition, "order %s has items left to fulfill: create a fulfillment for them, which ships the order", o.Number)
		}
	case StatusRefunded:
		if o.PaymentStatus != PaymentRefunded {
			return Errorf(CodeInvalidTransition, "order %s is not fully refunded: refund what was paid first", o.Number)
		}
	}
	return nil
}
