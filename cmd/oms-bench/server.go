package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type server struct {
	cmd  *exec.Cmd
	done chan error
	once sync.Once
}

// startServer starts oms serve on addr with env; its output goes to the -server-log
// file, or for a cold database to a file of its own beside it.
func startServer(ctx context.Context, o options, cold bool, env []string, addr string) (*server, error) {
	logFile := o.logFile
	if cold {
		logFile = strings.TrimSuffix(logFile, ".log") + "-cold.log"
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	// Not tied to ctx: on an interrupt it gets SIGTERM from stop, like in production.
	cmd := exec.Command(o.oms, "serve")
	// Jobs are off unless env turns them on (the last value of a variable wins).
	cmd.Env = append(append([]string{"OMS_JOBS=off"}, env...), "OMS_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	step(fmt.Sprintf("starting oms serve on %s (log: %s)", addr, logFile))
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start oms serve: %w", err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logf.Close() }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("oms serve exited: %v (see %s)", err, logFile)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("oms serve not ready on %s within 30s (see %s)", addr, logFile)
		}
	}
}

func (s *server) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// runCheck runs `oms check` when the binary has that command; ran is false otherwise.
func runCheck(ctx context.Context, o options, env []string) (ok, ran bool) {
	out, err := command(ctx, env, o.oms, "check").CombinedOutput()
	if err != nil && strings.Contains(string(out), "unknown command") {
		return false, false
	}
	step("oms check")
	fmt.Print(indent(string(out)))
	if err != nil {
		fmt.Printf("oms check: FAILED (%v)\n", err)
		return false, true
	}
	fmt.Println("oms check: OK")
	return true, true
}

func command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	return cmd
}

func describeExit(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}

// repoRoot is the directory holding go.mod, from the working directory up; or ".".
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
