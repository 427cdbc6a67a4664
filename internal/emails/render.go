// Package emails renders the customer emails: the admin's subject and text with their
// placeholders filled in, then the order's lines and totals and a link to track it, as
// a plain-text and an HTML part saying the same.
package emails

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// Data is what an email is about.
type Data struct {
	ShopName  string
	PublicURL string // where the OMS is reached from outside, for the /track link
	Order     domain.Order
	Shipment  *domain.Fulfillment // a shipped email's package
	Refund    *domain.Refund      // a refund email's refund
	Return    *domain.Return      // a return email's return
}

// Email is a rendered email.
type Email struct {
	Subject string
	Text    string
	HTML    string
}

// TrackURL is the customer's link to their order on the tracking page.
func TrackURL(publicURL string, o domain.Order) string {
	q := url.Values{"order_number": {o.Number}, "email": {o.Customer.Email}}
	return strings.TrimRight(publicURL, "/") + "/track?" + q.Encode()
}

// Render fills in t for d. Placeholders are replaced once, by plain substitution: what a
// customer typed (their name) is never read as a placeholder or as markup.
func Render(ctx context.Context, t domain.EmailTemplate, d Data) (Email, error) {
	track := TrackURL(d.PublicURL, d.Order)
	fill := placeholders(d, track)
	e := Email{Subject: strings.Join(strings.Fields(fill.Replace(t.Subject)), " ")}
	paragraphs := paragraphsOf(fill.Replace(t.Body))

	var html bytes.Buffer
	v := views.EmailView{ShopName: d.ShopName, Subject: e.Subject, Paragraphs: paragraphs, Order: d.Order,
		Shipment: d.Shipment, Returning: returning(d), TrackURL: track}
	if err := views.Email(v).Render(ctx, &html); err != nil {
		return Email{}, fmt.Errorf("render %s email: %w", t.Kind, err)
	}
	e.HTML = html.String()
	e.Text = text(v)
	return e, nil
}

// returning lists the lines of d's return, as the order names them.
func returning(d Data) []views.EmailReturnLine {
	if d.Return == nil {
		return nil
	}
	out := make([]views.EmailReturnLine, 0, len(d.Return.Items))
	for _, it := range d.Return.Items {
		for _, line := range d.Order.Items {
			if line.ID == it.OrderItemID {
				out = append(out, views.EmailReturnLine{Quantity: it.Quantity, Name: line.Name, SKU: line.SKU})
			}
		}
	}
	return out
}

func placeholders(d Data, track string) *strings.Replacer {
	name := d.Order.Customer.Name
	if name == "" {
		name = "there"
	}
	var carrier, number, refund string
	if d.Shipment != nil {
		carrier, number = d.Shipment.Carrier, d.Shipment.TrackingNumber
	}
	if d.Refund != nil {
		refund = domain.FormatAmount(d.Refund.Amount, d.Order.Currency) + " " + d.Order.Currency
	}
	return strings.NewReplacer("{order_number}", d.Order.Number, "{customer_name}", name, "{shop_name}", d.ShopName,
		"{tracking_url}", track, "{carrier}", carrier, "{tracking_number}", number, "{refund_amount}", refund)
}

// paragraphsOf splits text at blank lines; a paragraph's lines are joined.
func paragraphsOf(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// text is the plain-text part: what the HTML part shows, in lines.
func text(v views.EmailView) string {
	var b strings.Builder
	for _, p := range v.Paragraphs {
		b.WriteString(p + "\n\n")
	}
	if s := v.Shipment; s != nil {
		fmt.Fprintf(&b, "Carrier: %s, tracking number %s\n", s.Carrier, s.TrackingNumber)
		if s.TrackingURL != "" {
			fmt.Fprintf(&b, "Follow the package: %s\n", s.TrackingURL)
		}
		b.WriteString("\n")
	}
	if len(v.Returning) > 0 {
		b.WriteString("Items in this return:\n")
		for _, l := range v.Returning {
			fmt.Fprintf(&b, "%d x %s (%s)\n", l.Quantity, l.Name, l.SKU)
		}
		b.WriteString("\n")
	}
	for _, it := range v.Order.Items {
		fmt.Fprintf(&b, "%d x %s (%s)  %s %s\n", it.Quantity, it.Name, it.SKU, domain.FormatAmount(it.Total, v.Order.Currency), v.Order.Currency)
	}
	b.WriteString("\n")
	for _, t := range views.EmailTotals(v.Order) {
		fmt.Fprintf(&b, "%s: %s\n", t.Label, t.Amount)
	}
	fmt.Fprintf(&b, "\nTrack order %s: %s\n\n%s\n", v.Order.Number, v.TrackURL, v.ShopName)
	return b.String()
}
