package domain

import (
	"errors"
	"testing"
)

func TestParseDecimalReadsPlainDecimalsThatFitTheColumn(t *testing.T) {
	for s, want := range map[string]string{
		"19.99": "19.99", "0": "0", "-0.00": "0", "+19.99": "19.99", "-1": "-1", "\u22125": "-5", ".5": "0.5", "5.": "5",
		"19.990000": "19.99", "0019.99": "19.99", "999999999999999.9999": "999999999999999.9999",
		"0000000000000000000000000000000000000001": "1", "1.0000000000000000000000000000000000000": "1",
	} {
		got, err := ParseDecimal(s, MoneyDigits)
		if err != nil || got.String() != want {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %s", s, got, err, want)
		}
	}
	for s, malformed := range map[string]bool{
		"": true, "-": true, ".": true, "+.": true, "1e3": true, "1E-5": true, "1e9999": true, "0x10": true, "1_000": true,
		"1,000": true, " 1": true, "1 ": true, "1.2.3": true, "--1": true, "+-1": true, ".-5": true, "NaN": true, "Infinity": true,
		"\u0661": true, "00000000000000000000000000000000000000001": true,
		"1000000000000000": false, "0.00001": false, "1.23456": false,
	} {
		_, err := ParseDecimal(s, MoneyDigits)
		var de *DecimalError
		if !errors.As(err, &de) || de.Malformed != malformed || de.Msg == "" {
			t.Errorf("ParseDecimal(%q): %v; want refused, malformed %v", s, err, malformed)
		}
	}
	if _, err := ParseDecimal("100000", TaxPercentDigits); err == nil {
		t.Error("a percentage of 6 digits was accepted for NUMERIC(9,6)")
	}
}

func TestFormDecimalReadsWhatPeopleType(t *testing.T) {
	fe := FieldErrors{}
	if v, ok := FormDecimal(fe, "amount", " 1,234.50 ", MoneyDigits, true); !ok || v.String() != "1234.5" {
		t.Errorf("1,234.50: %s %v", v, ok)
	}
	if _, ok := FormDecimal(fe, "free_above", "  ", MoneyDigits, false); ok || len(fe) != 0 {
		t.Errorf("an empty optional field: ok %v, errors %v", ok, fe)
	}
	FormDecimal(fe, "price", "", MoneyDigits, true)
	FormDecimal(fe, "rate", "1e1", TaxPercentDigits, true)
	if fe["price"] != "is required" || fe["rate"] == "" {
		t.Errorf("errors %v", fe)
	}
}
