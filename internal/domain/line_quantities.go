package domain

// LineLimit is one line of an order as a flow that takes some of its units sees it: how
// many it may take at most (left to ship, left to return).
type LineLimit struct {
	ID   string
	SKU  string
	Most int
}

// LineFaultKind is what is wrong with one line of a request.
type LineFaultKind int

const (
	NotALine     LineFaultKind = iota + 1 // the id is none of the order's lines
	RepeatedLine                          // an earlier line of the request names the same line
	TooMany                               // more units than Line.Most
)

// LineFault is what is wrong with the request's line Index; Line is the order's line it
// names (zero for NotALine).
type LineFault struct {
	Index int
	Kind  LineFaultKind
	Line  LineLimit
}

// CheckLineQuantities is the one rule of every flow that takes some units of some of an
// order's lines (fulfillment, staff and customer returns): each line of the request names
// one of lines (its id spelt as lines spell theirs), none twice, and asks for at most that
// line's Most units. It returns the faults in the request's order, each flow words them.
func CheckLineQuantities(lines []LineLimit, items []LineQuantity) []LineFault {
	byID := make(map[string]LineLimit, len(lines))
	for _, l := range lines {
		byID[l.ID] = l
	}
	var out []LineFault
	seen := map[string]bool{}
	for i, it := range items {
		l, ok := byID[it.OrderItemID]
		switch {
		case !ok:
			out = append(out, LineFault{Index: i, Kind: NotALine})
		case seen[l.ID]:
			out = append(out, LineFault{Index: i, Kind: RepeatedLine, Line: l})
		case it.Quantity > l.Most:
			out = append(out, LineFault{Index: i, Kind: TooMany, Line: l})
		}
		if ok {
			seen[l.ID] = true
		}
	}
	return out
}
