package web

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain runs the package's tests, then says how many API answers the test servers
// checked against openapi.json (openapi_check_test.go) and how many of its operations
// they covered, so that a run shows the check ran, and what it never saw (go test shows
// these lines with -v, or when the package fails).
func TestMain(m *testing.M) {
	code := m.Run()
	if n := openAPIChecked.Load(); n > 0 {
		covered, total, missing := openAPICoverage()
		fmt.Printf("openapi: %d API answers checked against openapi.json, covering %d of its %d operations\n", n, covered, total)
		if testing.Verbose() && len(missing) > 0 {
			fmt.Printf("openapi: never answered in this run: %s\n", strings.Join(missing, ", "))
		}
	}
	os.Exit(code)
}
