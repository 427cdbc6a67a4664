package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// Settings → Customer emails: the list, an editor with the saved text previewed, a
// preview of unsaved text that saves nothing, errors beside the fields, and a save that
// switches a kind off.
func TestSettingsCustomerEmails(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	expectBody(t, admin.get("/settings/emails"), "Customer emails", "Order confirmed", "Order {order_number} is on its way", "Return received")
	edit := admin.get("/settings/emails/shipped")
	expectStatus(t, edit, http.StatusOK)
	// srcdoc holds the HTML part as a document (escaped once), not as text (escaped twice).
	expectBody(t, edit, "Shipped email", "Order 1001 is on its way", "As saved", `srcdoc="&lt;!doctype html&gt;`, "00340434161234567890")

	pv := admin.post("/settings/emails/shipped/preview", url.Values{"subject": {"Parcel for {customer_name}"}, "body": {"Hi!\n\nIt left."}, "enabled": {"on"}})
	expectStatus(t, pv, http.StatusOK)
	expectBody(t, pv, "Parcel for Ada Lovelace", "Not saved yet", `value="Parcel for {customer_name}"`)
	var subject string
	_ = e.pool.QueryRow(context.Background(), `SELECT subject FROM email_templates WHERE kind = 'shipped'`).Scan(&subject)
	if subject != "Order {order_number} is on its way" {
		t.Fatalf("a preview saved the subject: %q", subject)
	}

	bad := admin.post("/settings/emails/shipped", url.Values{"subject": {""}, "body": {""}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectBody(t, bad, `id="err-subject"`, `id="err-body"`, "is required")

	ok := admin.post("/settings/emails/shipped", url.Values{"subject": {"Your parcel {order_number}"}, "body": {"On its way."}})
	expectStatus(t, ok, http.StatusSeeOther)
	var enabled bool
	_ = e.pool.QueryRow(context.Background(), `SELECT enabled, subject FROM email_templates WHERE kind = 'shipped'`).Scan(&enabled, &subject)
	if enabled || subject != "Your parcel {order_number}" {
		t.Fatalf("after save: enabled %v, subject %q", enabled, subject)
	}
	// The return requested email previews a made-up return's items.
	expectBody(t, admin.get("/settings/emails"), "Return requested")
	expectBody(t, admin.get("/settings/emails/return_requested"), "Return requested email", "A return was requested for order 1001",
		"Items in this return", "T-shirt, medium")
	expectStatus(t, admin.get("/settings/emails/nope"), http.StatusNotFound)
	expectStatus(t, e.loggedIn(domain.RoleSupport).get("/settings/emails"), http.StatusForbidden)
}

// Settings → Webhooks: a private address refused beside the field, an endpoint added
// with its secret shown once, its delivery log with a redeliver button, deletion.
func TestSettingsWebhooks(t *testing.T) {
	e := newPageEnv(t)
	admin := e.loggedIn(domain.RoleAdmin)
	expectBody(t, admin.get("/settings/webhooks"), "No webhook endpoints yet")
	bad := admin.post("/settings/webhooks", url.Values{"url": {"http://127.0.0.1:9000/x"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectBody(t, bad, `id="err-url"`, "public address", `id="err-events"`, "choose at least one event")

	created := admin.post("/settings/webhooks", url.Values{"url": {"https://93.184.215.14/oms"}, "events": {"order.created", "order.paid"}})
	expectStatus(t, created, http.StatusCreated)
	expectBody(t, created, "Endpoint added", "whsec_", "https://93.184.215.14/oms", "order.created, order.paid")

	var id string
	_ = e.pool.QueryRow(context.Background(), `SELECT id::text FROM webhook_endpoints`).Scan(&id)
	expectBody(t, admin.get("/settings/webhooks"), "https://93.184.215.14/oms")
	expectBody(t, admin.get("/settings/webhooks/"+id), "Nothing sent yet")

	e.newOrder("created")
	var msg int64
	_ = e.pool.QueryRow(context.Background(), `SELECT id FROM messages WHERE endpoint_id = $1`, id).Scan(&msg)
	log := admin.get("/settings/webhooks/" + id)
	expectBody(t, log, "order.created", "Redeliver", "queued")
	expectStatus(t, admin.post("/settings/webhooks/"+id+"/deliveries/"+strconv.FormatInt(msg, 10)+"/redeliver", nil), http.StatusSeeOther)
	expectBody(t, admin.get("/settings/webhooks/"+id), "Queued again")
	expectStatus(t, admin.post("/settings/webhooks/"+id+"/deliveries/999999/redeliver", nil), http.StatusSeeOther)
	expectBody(t, admin.get("/settings/webhooks/"+id), "not found")

	expectStatus(t, admin.post("/settings/webhooks/"+id+"/delete", nil), http.StatusSeeOther)
	expectBody(t, admin.get("/settings/webhooks"), "Endpoint deleted.", "No webhook endpoints yet")
	expectStatus(t, admin.get("/settings/webhooks/"+id), http.StatusNotFound)
}

// The payment form emails the customer (order confirmed) when its box is ticked, as it
// is at first, and not when it is unticked.
func TestPaymentFormEmailsTheCustomerUnlessUnticked(t *testing.T) {
	e := newPageEnv(t)
	b := e.loggedIn(domain.RoleSupport)
	emails := func(orderID string) int {
		var n int
		_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM messages WHERE order_id = $1 AND channel = 'email'`, orderID).Scan(&n)
		return n
	}
	told := e.newOrder("created")
	expectBody(t, b.get("/orders/"+told.Number+"/payment"), `name="notify" checked`)
	expectStatus(t, b.post("/orders/"+told.Number+"/payment", url.Values{"amount": {told.Total.String()}, "notify": {"on"}}), http.StatusSeeOther)
	if n := emails(told.ID); n != 1 {
		t.Errorf("ticked: %d emails queued, want 1", n)
	}
	quiet := e.newOrder("created")
	expectStatus(t, b.post("/orders/"+quiet.Number+"/payment", url.Values{"amount": {quiet.Total.String()}}), http.StatusSeeOther)
	if n := emails(quiet.ID); n != 0 {
		t.Errorf("unticked: %d emails queued, want 0", n)
	}
}
