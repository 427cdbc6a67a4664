package domain

import "testing"

func TestSettingsInputsParse(t *testing.T) {
	tr, err := TaxRateInput{Country: "us", Region: " CA ", RatePercent: "8.875"}.Parse()
	if err != nil || tr.Country != "US" || tr.Region != "CA" || tr.Rate.String() != "0.08875" {
		t.Fatalf("tax rate %+v, %v", tr, err)
	}
	sr, err := ShippingRateInput{Country: "*", Currency: "jpy", Amount: "1,200"}.Parse()
	if err != nil || sr.Amount.String() != "1200" || sr.FreeAbove.Valid || sr.Name != "Standard" {
		t.Fatalf("shipping rate %+v, %v", sr, err)
	}
	c, err := CouponInput{Code: "save10", Kind: "percent", Value: "10", EndsOn: "2026-12-31", Active: true}.Parse()
	if err != nil || c.Code != "SAVE10" || !c.Percent || c.EndsAt.Format("2006-01-02") != "2027-01-01" {
		t.Fatalf("coupon %+v, %v", c, err)
	}
	for name, in := range map[string]CouponInput{
		"value":    {Code: "A", Kind: "percent", Value: "0"},
		"kind":     {Code: "A", Kind: "free", Value: "1"},
		"currency": {Code: "A", Kind: "fixed", Value: "1"},
		"ends_on":  {Code: "A", Kind: "percent", Value: "1", StartsOn: "2026-05-02", EndsOn: "2026-05-01"},
	} {
		_, err := in.Parse()
		if e, ok := err.(*Error); !ok || e.Fields[name] == "" {
			t.Errorf("%s: err = %v, want a message for %s", name, err, name)
		}
	}
}
