package main

import (
	"strings"
	"testing"
)

// A govulncheck stream: a reached vulnerability with a fix, one without a fix (allowed
// or not), and one only imported (not reached), which the gate ignores.
const stream = `{"config":{"protocol_version":"v1.0.0"}}
{"finding":{"osv":"GO-1","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http","function":"ServeHTTP"}]}}
{"finding":{"osv":"GO-2","trace":[{"module":"example.com/m","version":"v1.0.0","package":"example.com/m","function":"F"}]}}
{"finding":{"osv":"GO-3","fixed_version":"v2.0.0","trace":[{"module":"example.com/n","version":"v1.0.0","package":"example.com/n"}]}}
`

func TestGate(t *testing.T) {
	findings, err := readFindings(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 2 {
		t.Fatalf("%d reached findings, want 2 (GO-3 is not reached)", len(findings))
	}
	var out strings.Builder
	if !judge(findings, map[string]string{"GO-2": "not used that way"}, &out) {
		t.Errorf("a reached vulnerability with a fix passed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAIL GO-1") || !strings.Contains(out.String(), "allowed GO-2") {
		t.Errorf("output:\n%s", out.String())
	}
	delete(findings, "GO-1")
	out.Reset()
	if judge(findings, map[string]string{"GO-2": "not used that way"}, &out) {
		t.Errorf("an explained vulnerability without a fix failed:\n%s", out.String())
	}
	out.Reset()
	if !judge(findings, map[string]string{}, &out) {
		t.Errorf("an unexplained vulnerability without a fix passed:\n%s", out.String())
	}
}
