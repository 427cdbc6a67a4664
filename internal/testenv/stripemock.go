package testenv

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var stripeMockBin struct {
	once sync.Once
	path string
	err  error
}

// StripeMock runs the official stripe-mock (a tool of tools/go.mod) on loopback for the
// test and returns its base URL.
func StripeMock(t testing.TB) string {
	t.Helper()
	stripeMockBin.once.Do(func() {
		cmd := exec.Command("go", "tool", "-modfile="+filepath.Join(Root(), "tools", "go.mod"), "-n", "stripe-mock")
		cmd.Dir = Root()
		out, err := cmd.Output()
		stripeMockBin.path, stripeMockBin.err = strings.TrimSpace(string(out)), err
	})
	if stripeMockBin.err != nil {
		t.Fatalf("build stripe-mock: %v", stripeMockBin.err)
	}
	httpPort, httpsPort := FreePort(t), FreePort(t)
	cmd := exec.Command(stripeMockBin.path, "-http-addr", "127.0.0.1:"+httpPort, "-https-addr", "127.0.0.1:"+httpsPort)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Kill)
		_ = cmd.Wait()
	})
	base := "http://127.0.0.1:" + httpPort
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest("GET", base+"/v1/payment_intents", nil)
		req.SetBasicAuth("sk_test_123", "")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not answer on %s: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
