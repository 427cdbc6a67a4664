package web

import (
	"cmp"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// Every page that changes something follows one contract: parse the form into a typed
// input, make one service call, then redirect (PRG) or draw the same form again with
// formErrors' messages placed on it.

// formFailure is a refused form's messages, placed: beside the inputs the form has (by
// input name), beside its order lines (by line id), and the rest above the form under "".
type formFailure struct {
	Status  int
	Errors  views.Errors
	Lines   map[string]string
	Message string // the service's message, as it is, for a flash
	// Stale: the order changed since the form was drawn, and nothing was done; Changed
	// says what changed meanwhile, Order is the order as it is now.
	Stale   bool
	Changed []string
	Order   domain.Order
}

// formErrors places a service error on a form whose inputs are named inputs (none named:
// every field is an input of the form). Errors no form can show (internal, forbidden,
// not found) come back as fatal, for the error page.
func (s *Server) formErrors(c echo.Context, err error, inputs ...string) (formFailure, error) {
	de := s.toDomainError(c, err)
	switch de.Code {
	case domain.CodeInternal, domain.CodeForbidden, domain.CodeNotFound:
		return formFailure{}, err
	}
	f := formFailure{Status: statusOf(de.Code), Errors: views.Errors{}, Lines: map[string]string{}, Message: de.Message}
	var stale *domain.StaleError
	if errors.As(err, &stale) {
		f.Status, f.Stale, f.Changed, f.Order = http.StatusUnprocessableEntity, true, staleChanges(stale), stale.Order
		f.Errors[""] = "This order changed while you were editing, so nothing was saved. Check the form against the order as it is now and submit again."
		return f, nil
	}
	if f.Status == http.StatusConflict && (len(de.Fields) > 0 || isHTMX(c)) {
		// A conflict about the input is the form's error, and htmx swaps in only 2xx and
		// 422 responses (views/page.go).
		f.Status = http.StatusUnprocessableEntity
	}
	for id, m := range de.Lines {
		f.Lines[id] = sentence(m)
	}
	var rest []string
	for _, k := range slices.Sorted(maps.Keys(de.Fields)) {
		switch {
		case len(inputs) == 0 || slices.Contains(inputs, k):
			f.Errors[k] = de.Fields[k]
		case len(de.Lines) > 0 && (strings.HasPrefix(k, "items[") || !strings.Contains(k, ".")):
			// A line's field, or a SKU (out of stock): the lines say it.
		default:
			rest = append(rest, sentence(strings.ReplaceAll(fieldName(k), "_", " ")+" "+de.Fields[k]))
		}
	}
	switch {
	case len(de.Fields) == 0 || de.Code != domain.CodeValidationFailed:
		f.Errors[""] = sentence(de.Message)
	case len(rest) > 0:
		f.Errors[""] = strings.Join(rest, " ")
	}
	return f, nil
}

// fieldName is the last part of a field's path: "items[0].quantity" is "quantity".
func fieldName(path string) string {
	return path[strings.LastIndex(path, ".")+1:]
}

// sentence capitalises a domain message for display.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// quantities is what a "how many of each line" form (ship, return) sent: one input per
// order line, named qty_<line id>.
type quantities struct {
	Typed map[string]string     // by line id, as typed ("" is 0)
	Items []domain.LineQuantity // the lines asked for (quantity above 0), by line id
	Bad   bool                  // an input is not a whole number from 0 up
}

// readQuantities reads the qty_ inputs of a quantity form.
func readQuantities(c echo.Context) (quantities, error) {
	params, err := c.FormParams()
	if err != nil {
		return quantities{}, err
	}
	q := quantities{Typed: map[string]string{}}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		id, ok := strings.CutPrefix(k, "qty_")
		if !ok {
			continue
		}
		raw := strings.TrimSpace(params.Get(k))
		q.Typed[id] = raw
		n, ok := wholeNumber(raw)
		switch {
		case !ok:
			q.Bad = true
		case n > 0:
			q.Items = append(q.Items, domain.LineQuantity{OrderItemID: id, Quantity: n})
		}
	}
	return q, nil
}

// wholeNumber reads a typed quantity: blank is 0, negative is not a quantity.
func wholeNumber(raw string) (int, bool) {
	if raw == "" {
		return 0, true
	}
	n, err := strconv.Atoi(raw)
	return n, err == nil && n >= 0
}

// units is how many units the lines hold.
func units(items []domain.LineQuantity) int {
	n := 0
	for _, it := range items {
		n += it.Quantity
	}
	return n
}

// quantityLines are the order's lines as a quantity form shows them; most is what each
// line takes at most (left to ship, returnable), and the input starts at start(line).
func quantityLines(o domain.Order, most func(domain.OrderItem) int, start func(most int) int) []views.QuantityLine {
	out := make([]views.QuantityLine, len(o.Items))
	for i, it := range o.Items {
		m := most(it)
		out[i] = views.QuantityLine{ItemID: it.ID, SKU: it.SKU, Name: it.Name, Ordered: it.Quantity,
			Done: it.FulfilledQuantity, Most: m, Quantity: strconv.Itoa(start(m))}
	}
	return out
}

// placeQuantities puts what was typed back into lines, with each line's error: the input
// is not a quantity, or the service refused it (f, may be empty).
func placeQuantities(lines []views.QuantityLine, q quantities, f formFailure) {
	for i := range lines {
		l := &lines[i]
		if l.Most == 0 {
			continue
		}
		if raw, ok := q.Typed[l.ItemID]; ok {
			l.Quantity = cmp.Or(raw, "0")
		}
		if _, ok := wholeNumber(l.Quantity); !ok {
			l.Error = "Enter a whole number from 0 to " + strconv.Itoa(l.Most) + "."
		} else {
			l.Error = f.Lines[l.ItemID]
		}
	}
}
