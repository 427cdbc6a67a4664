package emails

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// What a customer typed is neither a placeholder nor markup: a name of
// "{order_number} <script>" stays those characters, escaped in the HTML part.
func TestRenderFillsPlaceholdersOnceAndEscapesTheCustomersText(t *testing.T) {
	o := domain.Order{Number: "ORD-7", Currency: "EUR", Customer: domain.Customer{Name: "{order_number} <script>x</script>", Email: "a+b@example.com"},
		Items:    []domain.OrderItem{{SKU: "MUG", Name: "Mug & <b>cup</b>", Quantity: 2, Total: decimal.RequireFromString("17.00")}},
		Subtotal: decimal.RequireFromString("17.00"), Total: decimal.RequireFromString("17.00")}
	e, err := Render(context.Background(), domain.EmailTemplate{Kind: domain.EmailShipped, Subject: "Order {order_number}\r\nBcc: x@evil",
		Body: "Hi {customer_name},\n\nyour {unknown} order {order_number}.\n\nBye"},
		Data{ShopName: "Shop", PublicURL: "https://shop.example.com/", Order: o,
			Shipment: &domain.Fulfillment{Carrier: "ups", TrackingNumber: "1Z", TrackingURL: "https://www.ups.com/track?tracknum=1Z"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Subject != "Order ORD-7 Bcc: x@evil" {
		t.Errorf("subject %q: one line, filled", e.Subject)
	}
	for _, want := range []string{"Hi {order_number} <script>x</script>,", "your {unknown} order ORD-7.", "2 x Mug & <b>cup</b> (MUG)  17.00 EUR",
		"Carrier: ups, tracking number 1Z", "https://shop.example.com/track?email=a%2Bb%40example.com&order_number=ORD-7", "Total: 17.00 EUR"} {
		if !strings.Contains(e.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, e.Text)
		}
	}
	if strings.Contains(e.HTML, "<script>") || strings.Contains(e.HTML, "<b>cup") || !strings.Contains(e.HTML, "&lt;script&gt;") {
		t.Errorf("the HTML part does not escape the customer's text:\n%s", e.HTML)
	}
	if !strings.Contains(e.HTML, `href="https://www.ups.com/track?tracknum=1Z"`) {
		t.Errorf("the HTML part lacks the carrier's link")
	}
}
