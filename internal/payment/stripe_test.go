package payment

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stripe/stripe-go/v85/webhook"
)

func TestToMinor(t *testing.T) {
	tests := []struct {
		amount, currency string
		want             int64
		ok               bool
	}{
		{"19.99", "USD", 1999, true},
		{"0.5", "EUR", 50, true},
		{"1200", "JPY", 1200, true},
		{"1.234", "KWD", 1234, true},
		{"19.999", "USD", 0, false},
		{"1200.5", "JPY", 0, false},
	}
	for _, tt := range tests {
		got, err := ToMinor(decimal.RequireFromString(tt.amount), tt.currency)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ToMinor(%s %s) = %d, %v; want %d, ok %v", tt.amount, tt.currency, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseWebhook(t *testing.T) {
	s := NewStripe(StripeConfig{SecretKey: "sk_test_x", WebhookSecret: "whsec_x"})
	payload, _ := json.Marshal(map[string]any{"id": "evt_1", "object": "event", "type": "payment_intent.payment_failed",
		"api_version": "2019-01-01", "data": map[string]any{"object": map[string]any{"id": "pi_1",
			"last_payment_error": map[string]any{"message": "declined"}}}})
	sign := func(secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at, Scheme: "v1"}).Header
	}

	t.Run("Valid", func(t *testing.T) {
		ev, err := s.ParseWebhook(payload, sign("whsec_x", time.Now()))
		if err != nil || !reflect.DeepEqual(ev, Event{ID: "evt_1", Type: "payment_intent.payment_failed", PaymentIntentID: "pi_1", FailureMessage: "declined"}) {
			t.Fatalf("event = %+v, %v", ev, err)
		}
	})
	for name, sig := range map[string]string{
		"ErrMissing":     "",
		"ErrWrongSecret": sign("whsec_y", time.Now()),
		"ErrTooOld":      sign("whsec_x", time.Now().Add(-time.Hour)),
		"ErrGarbage":     "t=1,v1=00",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.ParseWebhook(payload, sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("err = %v, want ErrBadSignature", err)
			}
		})
	}
	t.Run("ErrNoSecret", func(t *testing.T) {
		s := NewStripe(StripeConfig{SecretKey: "sk_test_x"})
		if s.WebhookEnabled() {
			t.Fatal("webhooks enabled without a secret")
		}
		if _, err := s.ParseWebhook(payload, sign("", time.Now())); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("RefundEvents", func(t *testing.T) {
		for typ, obj := range map[string]map[string]any{
			"refund.updated": {"id": "re_1", "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card"},
			"charge.refunded": {"id": "ch_1", "object": "charge", "refunds": map[string]any{"data": []any{
				map[string]any{"id": "re_1", "status": "failed", "failure_reason": "expired_or_canceled_card"}}}},
		} {
			body, _ := json.Marshal(map[string]any{"id": "evt_" + typ, "object": "event", "type": typ,
				"api_version": "2019-01-01", "data": map[string]any{"object": obj}})
			sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_x", Timestamp: time.Now(), Scheme: "v1"}).Header
			ev, err := s.ParseWebhook(body, sig)
			want := []RefundResult{{ID: "re_1", Status: RefundFailed, Failure: "Stripe refund failed: expired or canceled card"}}
			if err != nil || !reflect.DeepEqual(ev.Refunds, want) {
				t.Errorf("%s: refunds = %+v, %v; want %+v", typ, ev.Refunds, err, want)
			}
		}
	})
	t.Run("Amounts", func(t *testing.T) {
		usd := func(s string) *Money { return &Money{Amount: decimal.RequireFromString(s), Currency: "USD"} }
		for _, c := range []struct {
			typ  string
			obj  map[string]any
			want Event
		}{
			{"payment_intent.succeeded", map[string]any{"id": "pi_1", "amount": 3998, "amount_received": 1000, "currency": "usd"},
				Event{PaymentIntentID: "pi_1", Amount: usd("10.00")}},
			{"payment_intent.succeeded", map[string]any{"id": "pi_1", "amount_received": 1200, "currency": "jpy"},
				Event{PaymentIntentID: "pi_1", Amount: &Money{Amount: decimal.RequireFromString("1200"), Currency: "JPY"}}},
			{"payment_intent.succeeded", map[string]any{"id": "pi_1"}, Event{PaymentIntentID: "pi_1"}},
			{"charge.refunded", map[string]any{"id": "ch_1", "payment_intent": "pi_1", "amount": 1999, "amount_refunded": 500, "currency": "usd"},
				Event{PaymentIntentID: "pi_1", Amount: usd("5.00")}},
			{"charge.dispute.created", map[string]any{"id": "dp_1", "payment_intent": "pi_1", "amount": 1999, "currency": "usd",
				"reason": "product_not_received", "charge": "ch_1"},
				Event{PaymentIntentID: "pi_1", Amount: usd("19.99"), DisputeID: "dp_1", DisputeReason: "product not received"}},
		} {
			body, _ := json.Marshal(map[string]any{"id": "evt_a", "object": "event", "type": c.typ,
				"api_version": "2019-01-01", "data": map[string]any{"object": c.obj}})
			sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_x", Timestamp: time.Now(), Scheme: "v1"}).Header
			ev, err := s.ParseWebhook(body, sig)
			c.want.ID, c.want.Type = "evt_a", c.typ
			if err != nil || !reflect.DeepEqual(ev, c.want) {
				t.Errorf("%s %v: %+v, %v; want %+v", c.typ, c.obj, ev, err, c.want)
			}
		}
	})
	t.Run("DisabledWithoutKey", func(t *testing.T) {
		if NewStripe(StripeConfig{WebhookSecret: "whsec_x"}) != nil {
			t.Fatal("Stripe enabled without a secret key")
		}
		var none *Stripe
		if none.WebhookEnabled() {
			t.Fatal("nil Stripe has webhooks")
		}
	})
}

// A signed webhook payload of any shape is read or refused, never a panic.
func FuzzParseWebhook(f *testing.F) {
	s := NewStripe(StripeConfig{SecretKey: "sk_test_x", WebhookSecret: "whsec_x"})
	for _, p := range []string{`{"id":"evt_1","object":"event","type":"refund.updated","data":{"object":{"id":"re_1","status":"failed"}}}`,
		`{"id":"evt_2","type":"charge.refunded","data":{"object":{"refunds":{"data":[{"id":"re_2"}]}}}}`,
		`{"id":"evt_3","type":"payment_intent.succeeded","data":{"object":"x"}}`,
		`{"id":"evt_4","type":"charge.dispute.created","data":{"object":{"id":"dp_1","amount":-1,"currency":"usd","payment_intent":"pi_1"}}}`,
		`{"id":"evt_5","type":"charge.refunded","data":{"object":{"payment_intent":null,"amount_refunded":5}}}`, `{}`, `null`} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_x", Timestamp: time.Now(), Scheme: "v1"}).Header
		ev, err := s.ParseWebhook(payload, sig)
		if err == nil && ev.ID == "" {
			t.Fatalf("%q parsed into an event without an id", payload)
		}
	})
}
