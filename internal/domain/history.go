package domain

// HistoryKind is what one row of an order's history records. The database's
// order_history_kind_check allows exactly HistoryKinds (a service test holds the two
// together), the timeline draws each, and the API shows it as the entry's kind.
type HistoryKind string

const (
	HistoryStatus       HistoryKind = "status"       // the order moved along the state machine
	HistoryPayment      HistoryKind = "payment"      // money came in (or failed to, or was disputed)
	HistoryRefund       HistoryKind = "refund"       // money went back
	HistoryFulfillment  HistoryKind = "fulfillment"  // a shipment was made or moved on
	HistoryReturn       HistoryKind = "return"       // a return was asked for or decided
	HistoryComment      HistoryKind = "comment"      // staff wrote a note
	HistoryNotification HistoryKind = "notification" // an email to the customer was queued or sent
	HistoryTags         HistoryKind = "tags"         // the order's tags changed
	HistoryHold         HistoryKind = "hold"         // the order was put on hold or released
	HistoryEdit         HistoryKind = "edit"         // the order's lines or addresses were edited
	HistoryDeadline     HistoryKind = "deadline"     // the order passed its shipping deadline unshipped
)

// HistoryKinds is every kind, the one list the migrations' CHECK is tested against.
var HistoryKinds = []HistoryKind{HistoryStatus, HistoryPayment, HistoryRefund, HistoryFulfillment,
	HistoryReturn, HistoryComment, HistoryNotification, HistoryTags, HistoryHold, HistoryEdit, HistoryDeadline}
