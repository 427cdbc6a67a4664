package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Build builds ./cmd/oms into the test's temporary directory. `go test` puts its own go
// command first on PATH, so this is the toolchain testing it.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oms")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/oms")
	cmd.Dir = Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/oms: %v\n%s", err, out)
	}
	return bin
}

// Env is the environment for the binary: this process's, less every OMS setting,
// DATABASE_URL and Stripe's, plus extra ("KEY=value").
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OMS_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "STRIPE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// Run runs a command of the binary to its end and returns its standard output.
func Run(t testing.TB, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oms %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// Proc is a running `oms serve`.
type Proc struct {
	t    testing.TB
	Name string
	URL  string
	Log  string // its stderr and stdout, in a file
	cmd  *exec.Cmd
	done chan struct{}
	err  error // how it ended, once done is closed
}

// Start starts `oms serve` on a free loopback port with env (DATABASE_URL and the rest)
// and waits until it answers /readyz. It is stopped (SIGTERM) at the end of the test
// unless it was killed before.
func Start(t testing.TB, bin, name string, env []string) *Proc {
	t.Helper()
	return StartAt(t, bin, name, FreeAddr(t), env)
}

// StartAt is Start on addr (host:port), so that a process killed can be started again
// where its clients look for it.
func StartAt(t testing.TB, bin, name, addr string, env []string) *Proc {
	t.Helper()
	p := &Proc{t: t, Name: name, URL: "http://" + addr, done: make(chan struct{}),
		Log: filepath.Join(t.TempDir(), name+".log")}
	logFile, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(slices.Clone(env), "OMS_ADDR="+addr)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.Stop(40*time.Second) != nil || t.Failed() {
			t.Logf("%s's log (%s):\n%s", p.Name, p.Log, p.Tail(60))
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("%s ended before it was ready: %v\n%s", name, p.err, p.Tail(40))
		default:
		}
		if resp, err := client.Get(p.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 90s\n%s", name, p.Tail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits up to wait for the process to end (then kills it); it
// returns how the process ended when that was not a clean exit.
func (p *Proc) Stop(wait time.Duration) error {
	select {
	case <-p.done:
		return nil // killed or ended earlier: reported there
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(wait):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM", p.Name, wait)
	}
}

// Kill ends the process at once (SIGKILL): no shutdown, no goodbye to the database.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Tail is the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	b, _ := os.ReadFile(p.Log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
