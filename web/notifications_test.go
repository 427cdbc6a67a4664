package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/oms/oms/internal/jobs"
	"github.com/oms/oms/internal/mail"
	"github.com/oms/oms/internal/mail/mailtest"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/internal/webhook"
)

// notifyEnv is an OMS that emails through a real SMTP server of the test's own and calls
// webhooks on loopback (allowed for the test), with its job runner started on demand.
type notifyEnv struct {
	*apiEnv
	smtp   *mailtest.Server
	cfg    service.Config
	runner *jobs.Runner
}

func newNotifyEnv(t *testing.T, tune func(*service.Config)) *notifyEnv {
	t.Helper()
	smtp := mailtest.Start(t)
	sender, err := mail.New(mail.Config{URL: smtp.URL(), From: "Test Shop <shop@example.com>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pool := testdb.New(t)
	cfg := service.Config{Mailer: sender, Webhooks: webhook.NewClient(true, 5*time.Second), WebhooksAllowPrivate: true,
		ShopName: "Test Shop", PublicURL: "https://shop.example.com"}
	if tune != nil {
		tune(&cfg)
	}
	svc := service.New(pool, cfg)
	s := New(Config{ShopName: "Test Shop"}, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(t, s.Handler())
	_, token, err := svc.CreateToken(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &notifyEnv{apiEnv: &apiEnv{t: t, srv: srv, svc: svc, pool: pool, token: token}, smtp: smtp, cfg: cfg}
}

// startJobs runs the job queue, as `oms serve` does, with short retries.
func (e *notifyEnv) startJobs() {
	e.t.Helper()
	r, err := jobs.New(e.pool, e.svc, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		MessageFirstRetry: 200 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.runner = r
	e.t.Cleanup(func() { _ = r.Stop(context.Background()) })
}

// messageStates counts an order's outbox messages by channel:state.
func (e *notifyEnv) messageStates(orderID string) map[string]int {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT channel || ':' || state, count(*)::int FROM messages WHERE order_id = $1 GROUP BY 1`, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			e.t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An order taken through paid, shipped and delivered: the customer gets three emails,
// each with the order's number, lines and link, in HTML and text, in that order; the
// timeline says each was sent. The same with notify_customer: false sends none.
func TestCustomerEmailsThroughTheLifecycle(t *testing.T) {
	e := newNotifyEnv(t, nil)
	e.startJobs()
	e.product("TEE-M", "19.99", 10)
	e.product("MUG", "8.50", 10)
	o := e.createOrder(orderBody("ann@example.com", "TEE-M", 2, "MUG", 1))
	e.markPaid(o)
	var f fulfillmentJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments",
		map[string]any{"carrier": "ups", "tracking_number": "1Z999AA10123456784"}).JSON(t, &f)
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f.ID+"/events", map[string]any{"status": "delivered"})

	got := e.smtp.WaitFor(t, 3, 20*time.Second)
	wantSubjects := []string{"Order " + o.OrderNumber + " confirmed", "Order " + o.OrderNumber + " is on its way",
		"Order " + o.OrderNumber + " was delivered"}
	track := "https://shop.example.com/track?email=ann%40example.com&order_number=" + o.OrderNumber
	for i, m := range got {
		if m.Subject != wantSubjects[i] {
			t.Errorf("email %d: subject %q, want %q", i, m.Subject, wantSubjects[i])
		}
		if len(m.To) != 1 || m.To[0] != "ann@example.com" {
			t.Errorf("email %d to %v", i, m.To)
		}
		for _, part := range []struct{ name, body string }{{"text", m.Text}, {"html", m.HTML}} {
			wantLink := track
			if part.name == "html" {
				wantLink = strings.ReplaceAll(track, "&", "&amp;")
			}
			for _, want := range []string{o.OrderNumber, "TEE-M", "MUG", "Test Shop", wantLink} {
				if !strings.Contains(part.body, want) {
					t.Errorf("email %d (%s) lacks %q:\n%s", i, part.name, want, part.body)
				}
			}
		}
	}
	if shipped := got[1]; !strings.Contains(shipped.Text, "1Z999AA10123456784") || !strings.Contains(shipped.HTML, f.TrackingURL) || f.TrackingURL == "" {
		t.Errorf("the shipped email lacks the tracking number or link %q:\n%s", f.TrackingURL, shipped.Text)
	}
	waitFor(t, "three emails recorded as sent", func() bool { return e.messageStates(o.ID)["email:sent"] == 3 })
	var sent int
	for _, h := range e.fetchOrder(o.ID).History {
		if h.Kind == "notification" && h.Status == "sent" {
			sent++
		}
	}
	if sent != 3 {
		t.Errorf("history has %d notification:sent rows, want 3: %v", sent, historyKinds(e.fetchOrder(o.ID)))
	}

	quiet := e.createOrder(orderBody("bob@example.com", "MUG", 1))
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+quiet.ID+"/payments",
		map[string]any{"amount": quiet.Total, "gateway": "manual", "notify_customer": false})
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+quiet.ID+"/fulfillments",
		map[string]any{"carrier": "ups", "tracking_number": "1Z999AA10123456785", "notify_customer": false}).JSON(t, &f)
	e.must(http.StatusCreated, "POST", "/api/v1/fulfillments/"+f.ID+"/events", map[string]any{"status": "delivered", "notify_customer": false})
	if n := e.messageStates(quiet.ID); len(n) != 0 {
		t.Fatalf("notify_customer false queued messages: %v", n)
	}
	if n := len(e.smtp.Messages()); n != 3 {
		t.Fatalf("the SMTP server got %d emails, want the first order's 3", n)
	}
}

// A change committed while no process runs jobs (the process died right after the
// commit) is sent by the next one; an SMTP server down for a while gets the email once
// it is back, once.
func TestEmailsSurviveAProcessDeathAndAnSMTPOutage(t *testing.T) {
	e := newNotifyEnv(t, nil)
	e.product("MUG", "8.50", 10)
	o := e.paidOrder("ann@example.com", "MUG", 1) // committed; nobody works the queue yet
	if n := e.messageStates(o.ID)["email:queued"]; n != 1 {
		t.Fatalf("queued emails after commit: %d", n)
	}
	e.smtp.Stop()
	e.startJobs() // the next process
	waitFor(t, "the first failed attempt", func() bool { return e.messageStates(o.ID)["email:retrying"] == 1 })
	e.smtp.Restart()
	got := e.smtp.WaitFor(t, 1, 20*time.Second)
	waitFor(t, "the email recorded as sent", func() bool { return e.messageStates(o.ID)["email:sent"] == 1 })
	time.Sleep(time.Second) // a second copy, if any, would have arrived by now
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("the SMTP server got %d emails, want 1", n)
	}
	var kinds []string
	for _, h := range e.fetchOrder(o.ID).History {
		if h.Kind == "notification" {
			kinds = append(kinds, h.Status)
		}
	}
	if strings.Join(kinds, ",") != "queued,retrying,sent" {
		t.Errorf("notification history %v, want queued, retrying, sent", kinds)
	}
	if got[0].MessageID == "" {
		t.Error("no Message-ID")
	}
}

// The worst moment: the server accepted the email, and the process fails before it
// records that. The retry sends it again with the same Message-ID (so the receiving side
// can tell the repeat) and it is recorded as sent once.
func TestEmailAcceptedButNotRecordedIsResentWithItsID(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	e := newNotifyEnv(t, func(c *service.Config) {
		c.AfterGatewayCall = func() error {
			if fail.CompareAndSwap(true, false) {
				return errors.New("killed before recording")
			}
			return nil
		}
	})
	e.product("MUG", "8.50", 10)
	o := e.paidOrder("ann@example.com", "MUG", 1)
	e.startJobs()
	got := e.smtp.WaitFor(t, 2, 20*time.Second)
	if got[0].MessageID != got[1].MessageID {
		t.Fatalf("the resent email has another Message-ID: %q, %q", got[0].MessageID, got[1].MessageID)
	}
	waitFor(t, "recorded as sent", func() bool { return e.messageStates(o.ID)["email:sent"] == 1 })
	var sent int
	e.scalar(&sent, `SELECT count(*) FROM order_history WHERE order_id = $1 AND kind = 'notification' AND status = 'sent'`, o.ID)
	if sent != 1 {
		t.Errorf("%d sent history rows, want 1", sent)
	}
}

// receiver is a webhook endpoint of the test: it checks each request's signature with
// its own HMAC code (not the OMS's) and answers with the codes it is told.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	codes  []int // answers to give, in turn; then 200
	got    []receivedEvent
}

type receivedEvent struct {
	ID, Type, WebhookID string
	Code                int
	Body                []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !signatureValid(rc.secret, r.Header, body) {
		rc.t.Errorf("a webhook with a bad signature: %s", r.Header.Get("webhook-signature"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var ev struct{ ID, Type string }
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.t.Errorf("webhook body: %v", err)
	}
	code := http.StatusOK
	if len(rc.codes) > 0 {
		code, rc.codes = rc.codes[0], rc.codes[1:]
	}
	rc.got = append(rc.got, receivedEvent{ID: ev.ID, Type: ev.Type, WebhookID: r.Header.Get("webhook-id"), Code: code, Body: body})
	w.WriteHeader(code)
}

func (rc *receiver) events() []receivedEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedEvent(nil), rc.got...)
}

// signatureValid checks a Standard Webhooks signature: HMAC-SHA256 over
// "{id}.{timestamp}.{body}" with the secret after "whsec_", base64, after "v1,".
func signatureValid(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// Webhooks: a receiver verifies every signature with its own code and gets order.created,
// order.paid and fulfillment.created in commit order, each with the full order; the
// first answered 500 comes again (same webhook-id) before anything after it, and the
// delivery log lists both attempts. A tampered body does not verify.
func TestWebhooksSignedInCommitOrderAndRetried(t *testing.T) {
	e := newNotifyEnv(t, nil)
	rc := &receiver{t: t, codes: []int{http.StatusInternalServerError}}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	var ep struct {
		ID, Secret string
		Enabled    bool
		Events     []string
	}
	e.must(http.StatusCreated, "POST", "/api/v1/webhook_endpoints", map[string]any{"url": hook.URL + "/oms",
		"events": []string{"fulfillment.created", "order.created", "order.paid"}}).JSON(t, &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") || !ep.Enabled || len(ep.Events) != 3 {
		t.Fatalf("endpoint %+v", ep)
	}
	rc.mu.Lock()
	rc.secret = ep.Secret
	rc.mu.Unlock()

	e.product("MUG", "8.50", 10)
	o := e.paidOrder("ann@example.com", "MUG", 1)
	e.must(http.StatusCreated, "POST", "/api/v1/orders/"+o.ID+"/fulfillments", map[string]any{"carrier": "ups", "tracking_number": "1Z1"})
	e.startJobs()
	waitFor(t, "four requests (one retried)", func() bool { return len(rc.events()) == 4 })
	got := rc.events()
	want := []string{"order.created:500", "order.created:200", "order.paid:200", "fulfillment.created:200"}
	for i, g := range got {
		if s := g.Type + ":" + strconv.Itoa(g.Code); s != want[i] {
			t.Fatalf("requests %v, want %v", got, want)
		}
		if g.WebhookID != g.ID {
			t.Errorf("webhook-id %q is not the body's id %q", g.WebhookID, g.ID)
		}
	}
	if got[0].WebhookID != got[1].WebhookID {
		t.Errorf("the retry has another webhook-id")
	}
	var body struct {
		Data struct {
			Order       orderJSON        `json:"order"`
			Fulfillment *fulfillmentJSON `json:"fulfillment"`
		} `json:"data"`
	}
	if err := json.Unmarshal(got[3].Body, &body); err != nil || body.Data.Order.ID != o.ID || body.Data.Fulfillment == nil ||
		body.Data.Fulfillment.TrackingNumber != "1Z1" || len(body.Data.Order.Items) != 1 {
		t.Errorf("fulfillment.created body: %v %s", err, got[3].Body)
	}
	h := http.Header{}
	h.Set("webhook-id", got[3].WebhookID)
	h.Set("webhook-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	if signatureValid(ep.Secret, h, append([]byte(`{"tampered":1,`), got[3].Body[1:]...)) {
		t.Error("a tampered body verified")
	}
	// The delivery log: the first message has both attempts.
	page, err := e.svc.ListDeliveries(context.Background(), mustUUID(t, ep.ID), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	first := page.Deliveries[len(page.Deliveries)-1]
	if first.Type != "order.created" || len(first.Attempts) != 2 || first.State != "sent" ||
		*first.Attempts[0].ResponseCode != 500 || *first.Attempts[1].ResponseCode != 200 {
		t.Errorf("delivery log of the first message: %+v", first)
	}
	// Redeliver sends it once more, with the same id.
	if err := e.svc.Redeliver(context.Background(), mustUUID(t, ep.ID), first.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the redelivery", func() bool { return len(rc.events()) == 5 })
	if g := rc.events()[4]; g.WebhookID != got[0].WebhookID {
		t.Errorf("redelivered with another id: %s", g.WebhookID)
	}
}

// An endpoint that has failed for three days is disabled, with the reason; the API
// lists it so.
func TestWebhookEndpointDisabledAfterThreeDaysOfFailure(t *testing.T) {
	e := newNotifyEnv(t, nil)
	rc := &receiver{t: t, codes: []int{503, 503, 503, 503, 503, 503, 503, 503}}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	var ep struct{ ID, Secret string }
	e.must(http.StatusCreated, "POST", "/api/v1/webhook_endpoints", map[string]any{"url": hook.URL, "events": []string{"order.created"}}).JSON(t, &ep)
	rc.secret = ep.Secret
	e.product("MUG", "8.50", 10)
	e.createOrder(orderBody("ann@example.com", "MUG", 1))
	// Three days of failures, compressed: the message and the failing streak are aged.
	e.exec(`UPDATE messages SET created_at = now() - interval '73 hours'`)
	e.exec(`UPDATE webhook_endpoints SET failing_since = now() - interval '73 hours'`)
	e.startJobs()
	var list struct {
		Endpoints []struct {
			Enabled        bool    `json:"enabled"`
			DisabledReason *string `json:"disabled_reason"`
		} `json:"webhook_endpoints"`
	}
	waitFor(t, "the endpoint disabled", func() bool {
		e.must(http.StatusOK, "GET", "/api/v1/webhook_endpoints", nil).JSON(t, &list)
		return len(list.Endpoints) == 1 && !list.Endpoints[0].Enabled
	})
	if r := list.Endpoints[0].DisabledReason; r == nil || !strings.Contains(*r, "3 days") || !strings.Contains(*r, "503") {
		t.Errorf("disabled reason %v", r)
	}
	var failed int
	e.scalar(&failed, `SELECT count(*) FROM messages WHERE state = 'failed'`)
	if failed != 1 {
		t.Errorf("%d messages given up, want 1", failed)
	}
}

// Endpoints on loopback or private addresses are refused unless allowed; bad event
// types and missing fields are 422 beside their field; DELETE removes.
func TestWebhookEndpointValidation(t *testing.T) {
	e := newAPIEnv(t) // private addresses not allowed
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://10.0.0.7/x", "http://169.254.169.254/latest", "http://localhost/x"} {
		r := e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/webhook_endpoints",
			map[string]any{"url": u, "events": []string{"order.created"}})
		if !strings.Contains(string(r.Body), "url") {
			t.Errorf("%s: %s", u, r.Body)
		}
	}
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/webhook_endpoints",
		map[string]any{"url": "https://example.com/x", "events": []string{"order.exploded"}})
	e.mustCode(http.StatusUnprocessableEntity, "validation_failed", "POST", "/api/v1/webhook_endpoints",
		map[string]any{"url": "https://example.com/x", "events": []string{}})
	e.mustCode(http.StatusNotFound, "not_found", "DELETE", "/api/v1/webhook_endpoints/"+"00000000-0000-0000-0000-000000000000", nil)
	e.mustCode(http.StatusNotFound, "not_found", "DELETE", "/api/v1/webhook_endpoints/nope", nil)
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
