package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// Real-browser tests: the OMS's back-office served by web.Server over a fresh database,
// driven by Debian's Chromium through chromedp. Each test gets one browser; each staff
// member in it is a session of their own (an isolated browser context: own cookies, own
// tabs). Every page visited is saved as a full-page PNG, under the test's temporary
// directory or under $OMS_SCREENSHOTS_DIR/<test name> when that is set.

const (
	uiChromium = "/usr/bin/chromium"
	uiPassword = "ui test password 1234"

	// uiTestBudget bounds a whole test, uiStepTimeout one browser step (a click, a wait).
	uiTestBudget  = 60 * time.Second
	uiStepTimeout = 15 * time.Second
)

// uiEnv is one test's OMS and browser.
type uiEnv struct {
	t        *testing.T
	svc      *service.Service
	server   *Server       // its route table, for tests that walk it
	pool     *pgxpool.Pool // for states no service makes (a delivery long ago)
	srv      *httptest.Server
	browser  context.Context // the browser's own context (its first, blank tab)
	deadline time.Time
	shots    string

	mu    sync.Mutex
	users map[domain.Role]bool // staff users made so far
	shotN int
}

// uiActor is who seeds the data.
var uiActor = domain.Actor{Type: domain.ActorStaff, Name: "Browser test setup"}

// needChromium skips the test (outside CI) or fails it (CI=true) when there is no browser.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(uiChromium); err == nil {
		return
	}
	msg := fmt.Sprintf("browser tests need Chromium at %s: apt-get install chromium", uiChromium)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// newUIEnv starts the OMS over a fresh database and a headless Chromium.
func newUIEnv(t *testing.T) *uiEnv {
	t.Helper()
	needChromium(t)
	e := &uiEnv{t: t, deadline: time.Now().Add(uiTestBudget), users: map[domain.Role]bool{}}

	e.pool = testdb.New(t)
	e.svc = service.New(e.pool, service.Config{})
	s := New(Config{ShopName: "Test Shop"}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.server, e.srv = s, httptest.NewServer(s.Handler())
	// The live-update streams end with Close; then the server can wait for its requests.
	t.Cleanup(func() { s.Close(); e.srv.Close() })

	e.shots = t.TempDir()
	if dir := os.Getenv("OMS_SCREENSHOTS_DIR"); dir != "" {
		e.shots = filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
		if err := os.RemoveAll(e.shots); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(e.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s", e.shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(uiChromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	quiet := func(string, ...any) {}
	browser, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(quiet), chromedp.WithErrorf(quiet))
	// Registered after the server's cleanup, so the browser (and its open event streams)
	// goes first.
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not have a timeout (that would end it).
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	e.browser = browser
	return e
}

// staff makes sure the staff user of role exists: <role>@example.com, "Test <Role>".
// Users are made when first needed: hashing a password is slow on purpose.
func (e *uiEnv) staff(r domain.Role) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users[r] {
		return
	}
	if _, err := e.svc.CreateStaffUser(context.Background(), string(r)+"@example.com", "Test "+strings.ToUpper(string(r[:1]))+string(r[1:]), r, uiPassword); err != nil {
		e.t.Fatalf("create %s: %v", r, err)
	}
	e.users[r] = true
}

// url is the address of path on the test server.
func (e *uiEnv) url(path string) string { return e.srv.URL + path }

// uiSession is one staff member's browser session: an isolated browser context with one tab.
type uiSession struct {
	e    *uiEnv
	name string
	tab  context.Context // the tab's own context (no deadline: it is the tab's life)
	ctx  context.Context // tab, bounded by the test's deadline

	mu       sync.Mutex
	problems []string // uncaught exceptions and CSP violations seen in the tab
}

// session opens a new isolated browser session named name (for screenshots and messages).
func (e *uiEnv) session(name string) *uiSession {
	e.t.Helper()
	s := &uiSession{e: e, name: name}
	tab, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(s.listen))
	// Cleanups run last-in first-out: the tab closes before the browser, and its
	// problems are reported before the test ends.
	e.t.Cleanup(func() {
		cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, p := range s.problems {
			e.t.Errorf("%s: page problem: %s", s.name, p)
		}
	})
	// The first Run opens the tab, whose life is that of the context it gets: no timeout.
	if err := chromedp.Do(tab); err != nil {
		e.t.Fatalf("%s: open tab: %v", name, err)
	}
	// A marker the page cannot see, to tell the live-update events apart.
	if _, err := chromedp.Run(tab, chromedp.Action[cdppage.AddScriptToEvaluateOnNewDocumentResult](
		func(ctx context.Context, t *chromedp.Target) (cdppage.AddScriptToEvaluateOnNewDocumentResult, error) {
			return cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
				Source: `document.addEventListener("htmx:sseOpen", function () { window.__omsSSEOpen = (window.__omsSSEOpen || 0) + 1; }, true);`,
			})
		})); err != nil {
		e.t.Fatalf("%s: add script: %v", name, err)
	}
	ctx, cancelDeadline := context.WithDeadline(tab, e.deadline)
	e.t.Cleanup(cancelDeadline)
	s.tab, s.ctx = tab, ctx
	return s
}

// listen records what would be a bug whatever the page: an uncaught exception, or a
// resource or script refused by the Content-Security-Policy.
func (s *uiSession) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber)
	case *cdplog.EventEntryAdded:
		if ev.Entry != nil && strings.Contains(ev.Entry.Text, "Content Security Policy") {
			msg = "CSP violation: " + ev.Entry.Text
		}
	}
	if msg == "" {
		return
	}
	s.mu.Lock()
	s.problems = append(s.problems, msg)
	s.mu.Unlock()
}

// fatalf fails the test after a screenshot of where the tab is.
func (s *uiSession) fatalf(format string, args ...any) {
	s.e.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(s.tab, 5*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		msg += "\n  at " + loc
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		path := s.e.shotPath(s.name + "-FAILED")
		if os.WriteFile(path, png, 0o644) == nil {
			msg += "\n  screenshot " + path
		}
	}
	s.e.t.Fatalf("%s: %s", s.name, msg)
}

// step runs actions with a step timeout, failing the test with what on error.
func (s *uiSession) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.e.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, uiStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		s.fatalf("%s: %v", what, err)
	}
}

// uiRun runs one action that returns a value, with a step timeout.
func uiRun[T any](s *uiSession, what string, a chromedp.Action[T]) T {
	s.e.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, uiStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		s.fatalf("%s: %v", what, err)
	}
	return v
}

// uiEval evaluates a JavaScript expression in the page.
func uiEval[T any](s *uiSession, js string) T {
	s.e.t.Helper()
	return uiRun(s, "evaluate "+js, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// open navigates to path, waits for the page, screenshots it as shot (or after its
// path) and returns the HTTP status of the document.
func (s *uiSession) open(path, shot string) int64 {
	s.e.t.Helper()
	resp := uiRun(s, "open "+path, chromedp.NavigateResponse(s.e.url(path)))
	s.shot(shot)
	if resp == nil {
		return 0
	}
	return resp.Status
}

// submit clicks sel (a submit button or link) and waits for the page it leads to, which
// it screenshots as shot (or after its path); it returns that page's HTTP status (after
// redirects).
func (s *uiSession) submit(sel string, shot string) int64 {
	s.e.t.Helper()
	s.centre(sel)
	ctx, cancel := context.WithTimeout(s.ctx, uiStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		s.fatalf("click %s and wait for the next page: %v", sel, err)
	}
	s.shot(shot)
	if resp == nil {
		return 0
	}
	return resp.Status
}

// click clicks the first element sel matches, once it is visible.
func (s *uiSession) click(sel string) {
	s.e.t.Helper()
	s.centre(sel)
	s.step("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// centre waits for sel to be visible and scrolls it to the middle of the window, as a
// person looks at what they click. Chrome's own "scroll into view if needed" leaves an
// element alone when any of it is in the window, even under the sticky top bar, where
// the click would then land on the bar.
func (s *uiSession) centre(sel string) {
	s.e.t.Helper()
	s.step("scroll to "+sel, chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: "center", inline: "nearest"})`, sel)))
}

// typeInto types text into the field sel, key by key, as a person would.
func (s *uiSession) typeInto(sel, text string) {
	s.e.t.Helper()
	s.centre(sel)
	s.step("type into "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue sets a field's value (a select, a number) and fires its input and change events.
func (s *uiSession) setValue(sel, value string) {
	s.e.t.Helper()
	ok := uiEval[bool](s, fmt.Sprintf(`(function () {
		var el = document.querySelector(%q);
		if (!el) return false;
		el.value = %q;
		el.dispatchEvent(new Event("input", { bubbles: true }));
		el.dispatchEvent(new Event("change", { bubbles: true }));
		return el.value === %q;
	})()`, sel, value, value))
	if !ok {
		s.fatalf("set %s to %q: no such field or value", sel, value)
	}
}

// waitFor waits until the JavaScript predicate is true (polled on every animation frame).
func (s *uiSession) waitFor(what, predicate string) {
	s.e.t.Helper()
	s.waitForWithin(what, predicate, uiStepTimeout)
}

// waitForWithin is waitFor with its own limit.
// A navigation while it waits ends the poll with the old document; it then polls the new one.
func (s *uiSession) waitForWithin(what, predicate string, within time.Duration) {
	s.e.t.Helper()
	until := time.Now().Add(within)
	for {
		left := time.Until(until)
		ctx, cancel := context.WithTimeout(s.ctx, left+time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(max(left, time.Millisecond))))
		cancel()
		if err == nil {
			return
		}
		if navigatedAway(err) && time.Until(until) > 0 && s.ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond) // let the new document come
			continue
		}
		s.fatalf("waiting for %s (%s): %v", what, predicate, err)
	}
}

// navigatedAway says whether err is a script's document going away under it.
func navigatedAway(err error) bool {
	msg := err.Error()
	for _, m := range []string{"Cannot find context with specified id", "Execution context was destroyed", "Inspected target navigated or closed"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// pressEnter presses Enter in the field sel as a keyboard does: a keydown that carries
// the text (whose keypress, and so a form's implicit submission, the page can cancel in
// its keydown handler), then a keyup.
func (s *uiSession) pressEnter(sel string) {
	s.e.t.Helper()
	s.step("press Enter in "+sel, chromedp.Focus(chromedp.CSS(sel)), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
			if typ == input.DispatchKeyEventTypeKeyDown {
				p.Text, p.UnmodifiedText = "\r", "\r"
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
}

// waitText waits until the element sel holds text (its rendered text, case-sensitive).
func (s *uiSession) waitText(sel, text string) {
	s.e.t.Helper()
	s.waitFor(fmt.Sprintf("%s to show %q", sel, text),
		fmt.Sprintf(`(function () { var el = document.querySelector(%q); return !!el && el.innerText.includes(%q); })()`, sel, text))
}

// text is the rendered text of the first element sel matches ("" when none).
func (s *uiSession) text(sel string) string {
	s.e.t.Helper()
	return uiEval[string](s, fmt.Sprintf(`(function () { var el = document.querySelector(%q); return el ? el.innerText : ""; })()`, sel))
}

// count is how many elements sel matches.
func (s *uiSession) count(sel string) int {
	s.e.t.Helper()
	return uiEval[int](s, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// visible says whether sel matches an element that takes up space on the page.
func (s *uiSession) visible(sel string) bool {
	s.e.t.Helper()
	return uiEval[bool](s, fmt.Sprintf(`(function () { var el = document.querySelector(%q); return !!el && !el.closest("[hidden]") && el.getClientRects().length > 0; })()`, sel))
}

// back is the browser's Back button; wait for what it should show next.
func (s *uiSession) back() {
	s.e.t.Helper()
	s.step("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
}

// location is the tab's address, without the test server's origin.
func (s *uiSession) location() string {
	s.e.t.Helper()
	return strings.TrimPrefix(uiRun(s, "location", chromedp.Location()), s.e.srv.URL)
}

// expectLocation fails unless the address (path and query) is want.
func (s *uiSession) expectLocation(want string) {
	s.e.t.Helper()
	if got := s.location(); got != want {
		s.fatalf("at %s, want %s", got, want)
	}
}

// flash is the text of the page's flash messages.
func (s *uiSession) flash() string {
	s.e.t.Helper()
	return s.text(".flashes")
}

// shot saves a full-page screenshot named name (by default after the page's path) and
// checks that nothing sticks out of the page sideways (cut-off content at 1280 px).
func (s *uiSession) shot(name string) {
	s.e.t.Helper()
	if name == "" {
		name = strings.Trim(uiEval[string](s, `location.pathname`), "/")
		if name == "" {
			name = "dashboard"
		}
	}
	// A full-page capture of a scrolled page draws the sticky top bar and the navigation
	// where the scroll left them: capture from the top, then scroll back.
	y := uiEval[float64](s, `(function () { var y = window.scrollY; window.scrollTo(0, 0); return y; })()`)
	png := uiRun(s, "screenshot "+name, chromedp.FullScreenshot(100))
	uiEval[chromedp.Void](s, fmt.Sprintf(`window.scrollTo(0, %v)`, y))
	path := s.e.shotPath(s.name + "-" + name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.e.t.Fatalf("save screenshot: %v", err)
	}
	s.e.t.Logf("screenshot %s", path)
	if over := uiEval[string](s, `(function () {
		var w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w + 1) return "";
		var worst = null;
		document.querySelectorAll("body *").forEach(function (el) {
			var r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > w + 1 && (!worst || r.right > worst.r)) worst = { r: r.right, el: el };
		});
		return worst ? worst.el.tagName.toLowerCase() + (worst.el.id ? "#" + worst.el.id : "") + "." + worst.el.className + " ends at " + Math.round(worst.r) + "px" : "page wider than the window";
	})()`); over != "" {
		s.e.t.Errorf("%s: %s: content overflows the %dpx window sideways: %s", s.name, name, 1280, over)
	}
}

func (e *uiEnv) shotPath(name string) string {
	e.mu.Lock()
	e.shotN++
	n := e.shotN
	e.mu.Unlock()
	return filepath.Join(e.shots, fmt.Sprintf("%02d-%s.png", n, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(name, "-")))
}

// login logs the session in as the staff user of role and waits for the dashboard.
func (s *uiSession) login(role domain.Role) {
	s.e.t.Helper()
	s.e.staff(role)
	if st := s.open("/login", ""); st != 200 {
		s.fatalf("login page: status %d", st)
	}
	s.typeInto("#email", string(role)+"@example.com")
	s.typeInto("#password", uiPassword)
	s.submit(`form[action="/login"] button[type=submit]`, "")
	s.waitFor("the user menu", `!!document.querySelector(".usermenu")`)
	if loc := s.location(); strings.HasPrefix(loc, "/login") {
		s.fatalf("still on the login page after logging in as %s: %s", role, s.text("main"))
	}
}

// logout logs out through the user menu.
func (s *uiSession) logout() {
	s.e.t.Helper()
	s.click(".usermenu summary")
	s.submit(`.usermenu form[action="/logout"] button`, "")
	s.waitFor("the login form", `!!document.querySelector("form[action='/login']")`)
}

// Seeding, through the services as the API or the storefront would.

// uiProduct makes sure sku exists, priced price, with onHand units.
func (e *uiEnv) product(sku, name, price string, onHand int) {
	e.t.Helper()
	ctx := context.Background()
	if _, _, err := e.svc.PutProduct(ctx, domain.Product{SKU: sku, Name: name, Price: decimal.RequireFromString(price),
		Currency: "USD", Active: true}); err != nil {
		e.t.Fatalf("product %s: %v", sku, err)
	}
	if _, err := e.svc.SetOnHand(ctx, uiActor, sku, onHand); err != nil {
		e.t.Fatalf("stock %s: %v", sku, err)
	}
}

// uiCustomer is who orders.
type uiCustomer struct{ first, last, email, phone, city, country string }

var (
	uiGrace = uiCustomer{"Grace", "Hopper", "grace@example.com", "+1 555 0101", "Arlington", "US"}
	uiAlan  = uiCustomer{"Alan", "Turing", "alan@example.com", "+44 161 555 0102", "Manchester", "GB"}
	uiAda   = uiCustomer{"Ada", "Lovelace", "ada@example.com", "+44 20 7946 0000", "London", "GB"}
)

// order places an order for c of 2 × MUG-1 and 1 × TEE-1 (creating the products on first
// use) and takes it to state: created, paid, processing, partial (one mug shipped),
// shipped, delivered, or returned (delivered with a return of one mug requested).
func (e *uiEnv) order(c uiCustomer, state string) domain.Order {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.svc.GetInventory(ctx, "MUG-1"); err != nil {
		e.product("MUG-1", "Enamel mug, blue", "12.50", 100)
		e.product("TEE-1", "Logo T-shirt, large", "25.00", 100)
	}
	o, _, err := e.svc.CreateOrder(ctx, uiActor, domain.NewOrder{
		Customer: domain.Customer{Email: c.email, Name: c.first + " " + c.last, Phone: c.phone},
		ShippingAddress: domain.Address{FirstName: c.first, LastName: c.last, Address1: "1 Main Street",
			City: c.city, PostalCode: "10001", Country: c.country},
		Items: []domain.ItemRequest{{SKU: "MUG-1", Quantity: 2}, {SKU: "TEE-1", Quantity: 1}},
	}, nil)
	if err != nil {
		e.t.Fatalf("create order: %v", err)
	}
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatalf("order %s to %s: %v", o.Number, state, err)
		}
	}
	if state != "created" {
		_, _, err = e.svc.RecordPayment(ctx, uiActor, o.Number, service.NewPayment{Amount: o.Total, Reference: "BANK-" + o.Number})
		must(err)
	}
	mug := o.Items[0].ID
	switch state {
	case "created", "paid":
	case "processing":
		_, err = e.svc.Transition(ctx, uiActor, o.Number, domain.StatusProcessing, "picking")
		must(err)
	case "partial":
		_, _, err = e.svc.Fulfill(ctx, uiActor, o.Number, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z111",
			Items: []domain.LineQuantity{{OrderItemID: mug, Quantity: 1}}})
		must(err)
	case "shipped", "delivered", "returned":
		f, _, err := e.svc.Fulfill(ctx, uiActor, o.Number, domain.FulfillmentRequest{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784"})
		must(err)
		if state == "shipped" {
			break
		}
		_, err = e.svc.AddTrackingEvent(ctx, domain.System, f.ID, domain.TrackingEventRequest{Status: domain.ShipmentDelivered})
		must(err)
		if state == "returned" {
			_, err = e.svc.RequestReturn(ctx, uiActor, o.Number, service.NewReturn{Reason: "Too small",
				Items: []domain.LineQuantity{{OrderItemID: mug, Quantity: 1}}})
			must(err)
		}
	default:
		e.t.Fatalf("unknown order state %q", state)
	}
	o, err = e.svc.GetOrder(ctx, o.Number)
	must(err)
	return o
}

// getOrder reads an order as it is now.
func (e *uiEnv) getOrder(number string) domain.Order {
	e.t.Helper()
	o, err := e.svc.GetOrder(context.Background(), number)
	if err != nil {
		e.t.Fatalf("get order %s: %v", number, err)
	}
	return o
}
