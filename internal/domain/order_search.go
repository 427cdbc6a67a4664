package domain

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// SearchKind is what a list search (the q parameter) looks like, and so which index
// answers it: each kind has one, and none of them scans the orders table.
type SearchKind int

const (
	SearchNone        SearchKind = iota
	SearchOrderNumber            // an order number, or its start from the date on: "ORD-261125-0000"
	SearchEmail                  // an email address, or its start: "ann@exa"
	SearchPhone                  // a phone number's last digits (4 or more): "555 0100"
	SearchWord                   // a whole 2-character word of the name or email: "Wu"
	SearchText                   // a substring of the name or email, 3 characters or more
)

// OrderSearchQuery is a parsed q: its kind and the term as that kind's index holds it.
type OrderSearchQuery struct {
	Kind SearchKind
	// Term: the upper-case order number (prefix), the lower-case email (prefix), the
	// phone's digits, or the lower-case word or substring.
	Term string
}

var (
	// ORD-YYMMDD-N...: a number typed in full up to its date is a prefix within one day.
	orderNumberPrefix = regexp.MustCompile(`^ORD-[0-9]{6}-[0-9]*$`)
	// Still being typed (ORD-2611): matched exactly, so that it never scans a month.
	orderNumberStart = regexp.MustCompile(`^ORD(-[0-9]{0,6})?$`)
	phoneLike        = regexp.MustCompile(`^\+?[0-9][0-9 ().-]*$`)
	nonDigits        = regexp.MustCompile(`[^0-9]`)
	spaces           = regexp.MustCompile(`\s+`)
)

// MinPhoneDigits is how many digits make a q a phone number.
const MinPhoneDigits = 4

// ParseOrderSearch classifies q. A single character is refused: it would match most
// orders and says nothing about which one is meant.
func ParseOrderSearch(q string) (OrderSearchQuery, error) {
	q = strings.TrimSpace(spaces.ReplaceAllString(q, " "))
	if q == "" {
		return OrderSearchQuery{}, nil
	}
	upper := strings.ToUpper(q)
	switch {
	case orderNumberPrefix.MatchString(upper), orderNumberStart.MatchString(upper):
		return OrderSearchQuery{Kind: SearchOrderNumber, Term: upper}, nil
	case strings.Contains(q, "@"):
		return OrderSearchQuery{Kind: SearchEmail, Term: strings.ToLower(q)}, nil
	case phoneLike.MatchString(q):
		if digits := nonDigits.ReplaceAllString(q, ""); len(digits) >= MinPhoneDigits {
			return OrderSearchQuery{Kind: SearchPhone, Term: digits}, nil
		}
	}
	lower := strings.ToLower(q)
	switch n := utf8.RuneCountInString(lower); {
	case n >= 3:
		return OrderSearchQuery{Kind: SearchText, Term: lower}, nil
	case n == 2:
		return OrderSearchQuery{Kind: SearchWord, Term: lower}, nil
	}
	return OrderSearchQuery{}, FieldErrors{"q": "type at least 2 characters, or an order number, email or phone"}.Err()
}
