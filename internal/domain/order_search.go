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
	SearchWords                  // words that start words of the customer's name or email: "ava ngu"
)

// OrderSearchQuery is a parsed q: its kind and the term as that kind's index holds it.
type OrderSearchQuery struct {
	Kind SearchKind
	// Term: the upper-case order number (prefix), the lower-case email (prefix), or the
	// phone's digits.
	Term string
	// Words: each must start a word of the order's search words (SearchWords).
	Words []string
}

var (
	// ORD-YYMMDD-N...: a number typed in full up to its date is a prefix within one day.
	orderNumberPrefix = regexp.MustCompile(`^ORD-[0-9]{6}-[0-9]*$`)
	// Still being typed (ORD-2611): matched exactly, so that it never scans a month.
	orderNumberStart = regexp.MustCompile(`^ORD(-[0-9]{0,6})?$`)
	phoneLike        = regexp.MustCompile(`^\+?[0-9][0-9 ().-]*$`)
	nonDigits        = regexp.MustCompile(`[^0-9]`)
)

// Search limits.
const (
	MinPhoneDigits = 4 // how many digits make a q a phone number
	MinSearchWord  = 2 // shorter words of a q are ignored
	MaxSearchWords = 4 // more words than this are refused
)

// ParseOrderSearch classifies q.
func ParseOrderSearch(q string) (OrderSearchQuery, error) {
	q = strings.Join(strings.Fields(q), " ")
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
	words := SplitSearchWords(q)
	switch {
	case len(words) == 0:
		return OrderSearchQuery{}, FieldErrors{"q": "type a word of 2 characters or more, or an order number, email or phone"}.Err()
	case len(words) > MaxSearchWords:
		return OrderSearchQuery{}, FieldErrors{"q": "use at most 4 words"}.Err()
	}
	return OrderSearchQuery{Kind: SearchWords, Words: words}, nil
}

// SplitSearchWords splits a text into the words a name search is made of, as the database
// splits names (oms_search_words, migrations 00006): at ASCII spaces and punctuation,
// words of MinSearchWord characters or more, each once. Case is left to the database,
// which lowers both sides alike.
func SplitSearchWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return r < utf8.RuneSelf && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) {
		if utf8.RuneCountInString(w) >= MinSearchWord && !containsFold(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func containsFold(words []string, w string) bool {
	for _, x := range words {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}
