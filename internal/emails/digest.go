package emails

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// LateDigest is what the staff's daily email of late orders is about.
type LateDigest struct {
	ShopName   string
	BackOffice string // the OMS's address, for the links to the orders
	Day        string // the shop's local date, YYYY-MM-DD
	Location   *time.Location
	Orders     []domain.Order // the most overdue first
	Total      int64          // how many are late (at least, when not Exact)
	Exact      bool
	New        int // how many became late in the last 24 hours
	Now        time.Time
}

// RenderLateDigest writes the digest: one email for every late order, however many,
// with both parts saying the same.
func RenderLateDigest(ctx context.Context, d LateDigest) (Email, error) {
	base := strings.TrimRight(d.BackOffice, "/")
	total := fmt.Sprintf("%d", d.Total)
	if !d.Exact {
		total = "more than " + total
	}
	noun := "orders are"
	if d.Total == 1 && d.Exact {
		noun = "order is"
	}
	now := d.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := views.LateDigestView{ShopName: d.ShopName, Subject: fmt.Sprintf("%s late %s to ship (%s)", total, strings.Fields(noun)[0], d.Day),
		Intro:   fmt.Sprintf("%s %s past their shipping deadline; %d became late in the last 24 hours.", upperFirst(total), noun, d.New),
		ListURL: base + "/orders?sla=late&sort=ship_by"}
	for _, o := range d.Orders {
		if o.ShipBy == nil {
			continue
		}
		customer := o.Customer.Name
		if customer == "" {
			customer = o.Customer.Email
		}
		v.Rows = append(v.Rows, views.LateDigestRow{Number: o.Number, Customer: customer, URL: base + "/orders/" + o.Number,
			Due: o.ShipBy.In(d.Location).Format("Jan 2, 15:04 MST"), Overdue: views.Duration(now.Sub(*o.ShipBy)),
			Total: domain.FormatAmount(o.Total, o.Currency) + " " + o.Currency})
	}
	if rest := d.Total - int64(len(v.Rows)); rest > 0 {
		v.More = fmt.Sprintf("… and %d more.", rest)
		if !d.Exact {
			v.More = "… and more."
		}
	}
	var html bytes.Buffer
	if err := views.LateDigest(v).Render(ctx, &html); err != nil {
		return Email{}, fmt.Errorf("render late digest: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", v.Intro)
	for _, r := range v.Rows {
		fmt.Fprintf(&b, "%s  %s  was due %s (%s late)  %s\n  %s\n", r.Number, r.Customer, r.Due, r.Overdue, r.Total, r.URL)
	}
	if v.More != "" {
		fmt.Fprintf(&b, "%s\n", v.More)
	}
	fmt.Fprintf(&b, "\nOpen the late orders: %s\n\n%s\n", v.ListURL, views.LateDigestFooter)
	return Email{Subject: d.ShopName + ": " + v.Subject, Text: b.String(), HTML: html.String()}, nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
