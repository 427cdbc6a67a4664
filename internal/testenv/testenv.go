// Package testenv runs the real things the black-box tests drive: the oms binary built
// from this checkout (`oms serve` started, stopped and killed), a PostgreSQL cluster of a
// test's own that it may stop and start, stripe-mock, and a staff member's browser
// session. The cmd/oms process tests, the web outage tests and the torture driver
// (internal/torture) share it.
package testenv

import (
	"net"
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// FreeAddr is a loopback address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort is the port of FreeAddr.
func FreePort(t testing.TB) string {
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	return port
}
