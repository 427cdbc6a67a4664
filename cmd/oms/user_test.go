package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/internal/testenv"
	"github.com/oms/oms/web"
)

// runOMSExit runs a command of the binary that may fail: its standard output and error
// and its exit status.
func runOMSExit(t *testing.T, bin string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("oms %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// loginStatus is what POST /login answers a new browser for email and password.
func loginStatus(t *testing.T, base, email, password string) int {
	t.Helper()
	b := testenv.NewBrowser(t)
	b.Get(base + "/login")
	st, _, _ := b.Post(base+"/login", url.Values{"email": {email}, "password": {password}})
	return st
}

// An admin who forgot the password gets back in with `oms user passwd`, which reads the
// new one from standard input (with user add's rules) and ends the user's sessions;
// `oms user disable` refuses the user's logins and ends their sessions; `oms user list`
// shows every user. An unknown email, a password too short and disabling the last admin
// exit 1 with one line on stderr, changing nothing.
func TestUserPasswdDisableAndList(t *testing.T) {
	pool, dbURL := testdb.NewWithURL(t)
	bin := testenv.Build(t)
	env := testenv.Env("DATABASE_URL=" + dbURL)
	testenv.Run(t, bin, env, "the first long password\n", "user", "add", "--email", "ann@example.com", "--name", "Ann Lee", "--role", "admin")
	testenv.Run(t, bin, env, "bob's long password\n", "user", "add", "--email", "bob@example.com", "--name", "Bob", "--role", "support")
	srv := httptest.NewServer(web.New(web.Config{ShopName: "Test Shop"}, service.New(pool, service.Config{}),
		slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(srv.Close)
	// endsSessions runs the command while email is logged in: it must say what it did to
	// whom, and the session must be over.
	endsSessions := func(email, password, stdin string, args ...string) {
		t.Helper()
		b := testenv.NewBrowser(t)
		b.Login(srv.URL, email, password)
		if out := testenv.Run(t, bin, env, stdin, args...); !strings.Contains(out, email) {
			t.Errorf("oms %s said %q", strings.Join(args, " "), out)
		}
		if st, h, _ := b.Get(srv.URL + "/orders"); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
			t.Errorf("%s's session after oms %s: %d to %q, want sent to /login", email, strings.Join(args, " "), st, h.Get("Location"))
		}
	}
	expectLogin := func(email, password string, want int, what string) {
		t.Helper()
		if st := loginStatus(t, srv.URL, email, password); st != want {
			t.Errorf("%s: %d, want %d", what, st, want)
		}
	}
	fails := func(stdin, wantMsg string, args ...string) {
		t.Helper()
		out, errOut, code := runOMSExit(t, bin, env, stdin, args...)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "oms: ") || !strings.Contains(errOut, wantMsg) {
			t.Errorf("oms %s: exit %d, stdout %q, stderr %q; want 1 and one line saying %q", strings.Join(args, " "), code, out, errOut, wantMsg)
		}
	}

	endsSessions("ann@example.com", "the first long password", "a new long password\n", "user", "passwd", "--email", "ANN@example.com")
	expectLogin("ann@example.com", "the first long password", http.StatusUnauthorized, "the old password")
	expectLogin("ann@example.com", "a new long password", http.StatusSeeOther, "the new password")
	fails("short\n", "at least 12 characters", "user", "passwd", "--email", "ann@example.com")
	expectLogin("ann@example.com", "a new long password", http.StatusSeeOther, "after a refused passwd")

	endsSessions("bob@example.com", "bob's long password", "", "user", "disable", "--email", "bob@example.com")
	expectLogin("bob@example.com", "bob's long password", http.StatusForbidden, "a disabled user")
	fails("", "only active admin", "user", "disable", "--email", "ann@example.com")

	list := testenv.Run(t, bin, env, "", "user", "list")
	for _, want := range []string{`(?m)^EMAIL +NAME +ROLE +STATUS$`, `(?m)^ann@example\.com +Ann Lee +admin +active$`,
		`(?m)^bob@example\.com +Bob +support +disabled$`} {
		if !regexp.MustCompile(want).MatchString(list) {
			t.Errorf("user list lacks %s:\n%s", want, list)
		}
	}

	for _, cmd := range []string{"passwd", "disable"} {
		fails("a long enough password\n", "no staff user has the email nobody@example.com", "user", cmd, "--email", "nobody@example.com")
	}
	fails("", "usage: oms user", "user", "rename")
}
