package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// holdBlock blocks a login throttling key for an hour from now: however slow the machine,
// it is still blocked when the test looks.
func holdBlock(t *testing.T, e *pageEnv, key string) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), `UPDATE login_throttle SET blocked_until = now() + interval '1 hour' WHERE key = $1`, key); err != nil {
		t.Fatal(err)
	}
}

// loginsRefused reads oms_logins_refused_total{why} from /metrics (the web tests do not
// run in parallel, so a difference is this test's).
func loginsRefused(t *testing.T, srvURL, why string) int {
	t.Helper()
	resp, err := http.Get(srvURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	prefix := `oms_logins_refused_total{why="` + why + `"} `
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
	}
	return 0
}

// Guesses at one account spread over many addresses (a /48 holds 65,536 /64s) are
// throttled per account: past the free failures the account's delay grows, and guesses
// during it are refused without a password check, whatever their address. Every refusal
// (wrong password, unknown account, throttled) has the same status and page and takes
// about as long. Another account is unaffected; the owner gets in from a browser they
// logged in with before at once, from any other once the delay is over, and that
// success starts the count over.
func TestLoginGuessesFromManyAddressesAreThrottledPerAccount(t *testing.T) {
	e := newPageEnv(t)
	ctx := context.Background()
	loopback := &net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(32, 32)}
	proxied := *e // behind a proxy that names each client, so that one test can be many addresses
	proxied.srv = newTestServer(t, New(Config{ShopName: "Test Shop", TrustedProxies: []*net.IPNet{loopback}},
		e.svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	login := func(b *browser, from, email, password string) (page, time.Duration) {
		t.Helper()
		start := time.Now()
		p := b.post("/login", url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", from)
		return p, time.Since(start)
	}
	const free = service.LoginFreeAccountFailures

	// The owner logged in on their laptop before the guessing started.
	laptop := proxied.browser()
	laptop.get("/login")
	if p, _ := login(laptop, "198.51.100.1", "support@example.com", testPassword); p.Status != http.StatusSeeOther {
		t.Fatalf("the owner's first login: %d", p.Status)
	}
	laptop.get("/") // the CSRF token is new after the login
	expectStatus(t, laptop.post("/logout", nil), http.StatusSeeOther)

	attacker := proxied.browser()
	attacker.get("/login")
	address := func(i int) string { return fmt.Sprintf("2001:db8:7:%x::1", i) } // one /64 each
	wrongBefore, throttledBefore := loginsRefused(t, e.srv.URL, "wrong"), loginsRefused(t, e.srv.URL, "throttled")
	var first string
	var checked, unchecked []time.Duration
	for i := range 3 * free {
		p, took := login(attacker, address(i), "support@example.com", fmt.Sprintf("guess number %d", i))
		expectStatus(t, p, http.StatusUnauthorized)
		if i == 0 {
			first = p.Body
		} else if p.Body != first {
			t.Fatalf("refusal %d reads differently from the first", i)
		}
		if i <= free {
			checked = append(checked, took)
		} else {
			unchecked = append(unchecked, took)
		}
		if i == free {
			// The first block is a second; a slow machine may outlast it, so hold it here.
			holdBlock(t, e, "user:support@example.com")
		}
	}
	if got := loginsRefused(t, e.srv.URL, "wrong") - wrongBefore; got != free+1 {
		t.Errorf("%d passwords checked from %d addresses, want %d (the rest refused unchecked)", got, 3*free, free+1)
	}
	if got := loginsRefused(t, e.srv.URL, "throttled") - throttledBefore; got != 3*free-(free+1) {
		t.Errorf("%d refused unchecked, want %d", got, 3*free-(free+1))
	}
	// A refusal without a check takes about as long as one with (a check's time is
	// waited, not spent): the time does not tell a throttled account.
	slices.Sort(checked)
	slices.Sort(unchecked)
	if c, u := checked[len(checked)/2], unchecked[len(unchecked)/2]; u < c/3 {
		t.Errorf("median refusal: %v checked, %v unchecked: the time tells them apart", c, u)
	}

	// While the account is throttled the right password from yet another address is
	// refused alike, an unknown account reads the same, and another account is unaffected.
	p, _ := login(attacker, "2001:db8:7:ffff::1", "support@example.com", testPassword)
	expectStatus(t, p, http.StatusUnauthorized)
	if p.Body != first {
		t.Error("the right password while throttled reads differently from a wrong one")
	}
	p, _ = login(attacker, "2001:db8:8::1", "nobody@example.com", "guess number 0")
	expectStatus(t, p, http.StatusUnauthorized)
	if strings.ReplaceAll(p.Body, "nobody@example.com", "support@example.com") != first {
		t.Error("an unknown account reads differently from a wrong password")
	}
	colleague := proxied.browser()
	colleague.get("/login")
	if p, _ := login(colleague, address(0), "warehouse@example.com", testPassword); p.Status != http.StatusSeeOther {
		t.Errorf("another account from a guessing address: %d", p.Status)
	}

	// The owner's laptop is known: it gets in now, from a new address.
	if p, _ := login(laptop, "203.0.113.77", "support@example.com", testPassword); p.Status != http.StatusSeeOther {
		t.Errorf("the owner's known browser while the account is throttled: %d", p.Status)
	}
	// A new browser waits for the delay (capped), then gets in, and the count starts over.
	phone := proxied.browser()
	phone.get("/login")
	if p, _ := login(phone, "203.0.113.78", "support@example.com", testPassword); p.Status != http.StatusUnauthorized {
		t.Errorf("a new browser during the delay: %d", p.Status)
	}
	// However long the guessing went on, the delay is at most LoginMaxBlock.
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET failures = 1000, blocked_until = now() - interval '1 second'
		WHERE key = 'user:support@example.com'`); err != nil {
		t.Fatal(err)
	}
	login(attacker, "2001:db8:7:fffe::1", "support@example.com", "one more guess")
	var wait time.Duration
	if err := e.pool.QueryRow(ctx, `SELECT blocked_until - now() FROM login_throttle WHERE key = 'user:support@example.com'`).Scan(&wait); err != nil {
		t.Fatal(err)
	}
	if wait < service.LoginMaxBlock-time.Minute || wait > service.LoginMaxBlock {
		t.Errorf("after 1000 failures the account's delay is %v, want %v", wait, service.LoginMaxBlock)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE login_throttle SET blocked_until = now() - interval '1 second' WHERE key = 'user:support@example.com'`); err != nil {
		t.Fatal(err)
	}
	if p, _ := login(phone, "203.0.113.78", "support@example.com", testPassword); p.Status != http.StatusSeeOther {
		t.Errorf("a new browser after the delay: %d", p.Status)
	}
	var failures int
	if err := e.pool.QueryRow(ctx, `SELECT failures FROM login_throttle WHERE key = 'user:support@example.com'`).Scan(&failures); err != nil || failures != 0 {
		t.Errorf("after a success the account counts %d failures (%v), want 0", failures, err)
	}

	// A new password makes the guesses so far worthless: the account's count goes, and so
	// does what its browsers were known for.
	holdBlock(t, e, "user:support@example.com")
	if _, err := e.svc.ResetStaffPassword(ctx, e.users[domain.RoleSupport].ID, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	var keys, devices int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM login_throttle WHERE key = 'user:support@example.com'),
		(SELECT count(*) FROM login_devices WHERE staff_user_id = $1)`, e.users[domain.RoleSupport].ID).Scan(&keys, &devices); err != nil {
		t.Fatal(err)
	}
	if keys != 0 || devices != 0 {
		t.Errorf("after a password reset: %d account keys, %d known browsers, want none", keys, devices)
	}
}
