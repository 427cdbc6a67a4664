package domain

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Digits is how many significant digits a decimal may have before and after its point:
// what the NUMERIC column it is stored in, or compared with, holds.
type Digits struct{ Int, Frac int }

var (
	// MoneyDigits is NUMERIC(19,4), every column of money (prices, payments, totals,
	// shipping rates, coupon values and minimums).
	MoneyDigits = Digits{Int: 15, Frac: 4}
	// TaxPercentDigits is a tax rate typed in percent, kept as a fraction in NUMERIC(9,6).
	TaxPercentDigits = Digits{Int: 5, Frac: 4}
)

// maxDecimalLen bounds what is read at all; leading and trailing zeros may pad a number
// this far (every accepted amount was at most this long before there was one parser).
const maxDecimalLen = 40

// DecimalError says why ParseDecimal refused a number, as a message that follows the
// field's name ("must be a number such as 19.99").
type DecimalError struct {
	// Malformed: not a plain decimal at all (the API answers 400, a wrong value);
	// otherwise a decimal with more digits than its column holds (422).
	Malformed bool
	Msg       string
}

func (e *DecimalError) Error() string { return e.Msg }

// ParseDecimal is the one reader of decimal numbers that come from outside the process
// (query parameters, forms, JSON, cursors, settings): an optional sign, digits with at
// most one decimal point (".5" and "5." included), and nothing else: no spaces, no
// separators, no exponent ("1e9999" is ten thousand digits to compare or round, and
// "1e1" is not what anyone means by a tax rate of 10 %). Leading zeros and zeros after
// the last significant decimal are not counted against d, which the rest must fit.
func ParseDecimal(s string, d Digits) (decimal.Decimal, error) {
	if len(s) > maxDecimalLen {
		return decimal.Zero, &DecimalError{Malformed: true, Msg: fmt.Sprintf("must be a number of at most %d characters", maxDecimalLen)}
	}
	if strings.ContainsAny(s, "eE") {
		return decimal.Zero, &DecimalError{Malformed: true, Msg: "must be a number such as 19.99, without an exponent"}
	}
	// U+2212 is a minus sign too (what some keyboards and spreadsheets write).
	s = strings.Replace(s, "\u2212", "-", 1)
	i := 0
	if s != "" && (s[0] == '+' || s[0] == '-') {
		i++
	}
	intPart := digitsAt(s, i)
	i += len(intPart)
	var fracPart string
	if i < len(s) && s[i] == '.' {
		fracPart = digitsAt(s, i+1)
		i += 1 + len(fracPart)
	}
	if i != len(s) || intPart == "" && fracPart == "" {
		return decimal.Zero, &DecimalError{Malformed: true, Msg: "must be a number such as 19.99"}
	}
	if n := len(strings.TrimLeft(intPart, "0")); n > d.Int {
		return decimal.Zero, &DecimalError{Msg: fmt.Sprintf("may have at most %d digits before the decimal point", d.Int)}
	}
	if n := len(strings.TrimRight(fracPart, "0")); n > d.Frac {
		return decimal.Zero, &DecimalError{Msg: fmt.Sprintf("may have at most %d decimals", d.Frac)}
	}
	return decimal.RequireFromString(s), nil // a plain decimal by now (FuzzParseDecimal)
}

// digitsAt is the run of ASCII digits of s from i.
func digitsAt(s string, i int) string {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return s[i:j]
}

// FormDecimal reads a number typed into form field: ParseDecimal, with spaces around it
// and thousands separators ("1,234.50") allowed, as people type. ok is false when the
// field is empty (a message too when required) or refused (its message in fe).
func FormDecimal(fe FieldErrors, field, s string, d Digits, required bool) (v decimal.Decimal, ok bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		if required {
			fe.Add(field, "is required")
		}
		return decimal.Zero, false
	}
	v, err := ParseDecimal(s, d)
	if err != nil {
		fe.Add(field, err.Error())
		return decimal.Zero, false
	}
	return v, true
}
