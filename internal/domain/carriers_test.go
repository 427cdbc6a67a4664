package domain

import (
	"strings"
	"testing"
	"time"
)

func TestTrackingURLPerCarrier(t *testing.T) {
	tests := []struct {
		carrier, number, want string
	}{
		{"UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
		{"ups", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
		{"USPS", "9400 1000 0000 0000 0000 00", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000%200000%200000%200000%2000"},
		{"FedEx", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"},
		{"Fed Ex", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"},
		{"Federal Express", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"},
		{"DHL", "JD014600006281230704", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD014600006281230704"},
		{"DHL Express", "1234567890", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=1234567890"},
		{"Royal Mail", "AB123456789GB", "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"},
		{"Canada Post", "1234567890123456", "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=1234567890123456"},
		{"UPS", " 1Z-99 ", "https://www.ups.com/track?tracknum=1Z-99"},
		// Whatever reaches it, the number cannot add parameters or leave the carrier's site.
		{"UPS", "1Z&x=1#frag", "https://www.ups.com/track?tracknum=1Z%26x%3D1%23frag"},
		{"UPS", "a/b?c+d", "https://www.ups.com/track?tracknum=a%2Fb%3Fc%2Bd"},
		{"Acme Couriers", "123", ""},
		{"", "123", ""},
		{"UPS", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.carrier+"/"+tt.number, func(t *testing.T) {
			if got := TrackingURL(tt.carrier, tt.number); got != tt.want {
				t.Errorf("TrackingURL(%q, %q) = %q, want %q", tt.carrier, tt.number, got, tt.want)
			}
		})
	}
}

func TestEveryCarrierHasAnHTTPSLink(t *testing.T) {
	if len(CarrierNames()) < 4 {
		t.Fatalf("carriers = %v, want at least UPS, USPS, FedEx, DHL", CarrierNames())
	}
	for _, name := range CarrierNames() {
		u := TrackingURL(name, "X1")
		if !strings.HasPrefix(u, "https://") || !strings.Contains(u, "X1") {
			t.Errorf("%s: link %q", name, u)
		}
		if CanonicalCarrier(strings.ToLower(name)) != name {
			t.Errorf("CanonicalCarrier(%q) = %q", strings.ToLower(name), CanonicalCarrier(strings.ToLower(name)))
		}
	}
	if got := CanonicalCarrier("  Acme Couriers "); got != "Acme Couriers" {
		t.Errorf("unknown carrier stored as %q", got)
	}
}

func TestValidateShipment(t *testing.T) {
	tests := []struct {
		name, carrier, number string
		field                 string // "" when valid
	}{
		{"both", "UPS", "1Z 999-AA", ""},
		{"neither", "", "", ""},
		{"carrier alone", "Courier", "", ""},
		{"number without carrier", "", "123", "carrier"},
		{"punctuation in number", "UPS", "1Z/99", "tracking_number"},
		{"number too long", "UPS", strings.Repeat("1", 65), "tracking_number"},
		{"carrier too long", strings.Repeat("c", 65), "1", "carrier"},
		{"control character in carrier", "U\x00PS", "1", "carrier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := FieldErrors{}
			ValidateShipment(fe, tt.carrier, tt.number)
			if tt.field == "" && len(fe) > 0 {
				t.Errorf("errors %v, want none", fe)
			}
			if tt.field != "" && fe[tt.field] == "" {
				t.Errorf("errors %v, want one on %s", fe, tt.field)
			}
		})
	}
}

func TestFulfillmentRequestValidate(t *testing.T) {
	tests := []struct {
		name  string
		req   FulfillmentRequest
		field string
	}{
		{"everything left", FulfillmentRequest{}, ""},
		{"one line", FulfillmentRequest{Items: []LineQuantity{{OrderItemID: "a", Quantity: 1}}}, ""},
		{"empty list", FulfillmentRequest{Items: []LineQuantity{}}, "items"},
		{"zero quantity", FulfillmentRequest{Items: []LineQuantity{{OrderItemID: "a", Quantity: 0}}}, "items[0].quantity"},
		{"missing line", FulfillmentRequest{Items: []LineQuantity{{Quantity: 1}}}, "items[0].order_item_id"},
		{"line twice", FulfillmentRequest{Items: []LineQuantity{{OrderItemID: "a", Quantity: 1}, {OrderItemID: "a", Quantity: 1}}}, "items[1].order_item_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != CodeValidationFailed || e.Fields[tt.field] == "" {
				t.Errorf("err = %#v, want validation_failed on %s", err, tt.field)
			}
		})
	}
}

func TestTrackingEventValidate(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		req   TrackingEventRequest
		field string
	}{
		{"delivered now", TrackingEventRequest{Status: "delivered", At: now}, ""},
		{"no time", TrackingEventRequest{Status: "in_transit"}, ""},
		{"slightly ahead clock", TrackingEventRequest{Status: "in_transit", At: now.Add(5 * time.Minute)}, ""},
		{"missing status", TrackingEventRequest{}, "status"},
		{"unknown status", TrackingEventRequest{Status: "lost"}, "status"},
		{"shipped is not an event", TrackingEventRequest{Status: "shipped"}, "status"},
		{"far future", TrackingEventRequest{Status: "delivered", At: now.Add(48 * time.Hour)}, "at"},
		{"long ago", TrackingEventRequest{Status: "delivered", At: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}, "at"},
		{"long description", TrackingEventRequest{Status: "exception", Description: strings.Repeat("x", 1001)}, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate(now)
			if tt.field == "" {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Fields[tt.field] == "" {
				t.Errorf("err = %#v, want a message on %s", err, tt.field)
			}
		})
	}
}

func TestTrackingViewShowsNothingInternal(t *testing.T) {
	shipped := time.Now()
	o := Order{Number: "ORD-1", Status: StatusShipped, Notes: "fragile, VIP", Customer: Customer{Email: "a@b.c", Name: "Ann"},
		Items: []OrderItem{{ID: "i1", SKU: "TEE", Name: "Tee", Quantity: 2}},
		Fulfillments: []Fulfillment{{ID: "f1", Carrier: "UPS", TrackingNumber: "1Z", TrackingURL: "https://x", Status: "shipped",
			Items: []LineQuantity{{OrderItemID: "i1", Quantity: 2}}, ShippedAt: &shipped}},
		History: []HistoryEntry{{Kind: "status", Status: "created", Actor: "test"}, {Kind: "comment", Note: "secret"},
			{Kind: "payment", Status: "completed", Note: "ref 123"}, {Kind: "status", Status: "paid", Actor: "Bob"}}}
	v := NewTrackingView(o, 30*24*time.Hour, time.Now())
	if len(v.Timeline) != 2 || v.Timeline[0].Status != StatusCreated || v.Timeline[1].Status != StatusPaid {
		t.Errorf("timeline = %+v, want the status changes only", v.Timeline)
	}
	if f := v.Fulfillments[0]; f.ID != "" || f.Items != nil || f.Carrier != "UPS" || f.TrackingURL != "https://x" {
		t.Errorf("fulfillment = %+v", f)
	}
	if len(v.Items) != 1 || v.Items[0] != (TrackingItem{ID: "i1", Name: "Tee", Quantity: 2}) {
		t.Errorf("items = %+v", v.Items)
	}
	if v.ReturnsUntil != nil {
		t.Errorf("returns until %v for an order not delivered", v.ReturnsUntil)
	}
}

func TestTrackingViewReturnableOnlyInsideTheWindow(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		deliveredDaysAgo int
		want             int
	}{{1, 2}, {29, 2}, {31, 0}} {
		delivered := now.AddDate(0, 0, -tc.deliveredDaysAgo)
		o := Order{Number: "ORD-1", Status: StatusDelivered, DeliveredAt: &delivered,
			Items: []OrderItem{{ID: "i1", Name: "Tee", Quantity: 2, FulfilledQuantity: 2}}}
		if got := NewTrackingView(o, 30*24*time.Hour, now).Items[0].Returnable; got != tc.want {
			t.Errorf("delivered %d days ago: returnable %d, want %d", tc.deliveredDaysAgo, got, tc.want)
		}
	}
}
