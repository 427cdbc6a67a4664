// Command vulncheck-gate reads govulncheck's JSON output on standard input and fails
// (exit 1) on any vulnerability that the project's code reaches and that has a fixed
// version (upgrade), and on any reached one without a fix that the allow-list file
// given as its argument does not explain. `make vulncheck` runs it.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// finding is the part of govulncheck's "finding" message the gate reads.
type finding struct {
	OSV          string `json:"osv"`
	FixedVersion string `json:"fixed_version"`
	Trace        []struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
	} `json:"trace"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: govulncheck -format json ./... | vulncheck-gate ALLOW-LIST")
		os.Exit(2)
	}
	allowed, err := readAllowList(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck-gate:", err)
		os.Exit(2)
	}
	findings, err := readFindings(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck-gate:", err)
		os.Exit(2)
	}
	if failed := judge(findings, allowed, os.Stdout); failed {
		os.Exit(1)
	}
}

// readAllowList reads "ID reason..." lines; # starts a comment.
func readAllowList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", path, n, id)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, s.Err()
}

// readFindings keeps the findings the code reaches (a function in the trace), by ID.
func readFindings(r io.Reader) (map[string][]finding, error) {
	out := map[string][]finding{}
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Finding *finding `json:"finding"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read govulncheck output: %w", err)
		}
		if f := msg.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			out[f.OSV] = append(out[f.OSV], *f)
		}
	}
}

// judge prints a line per reached vulnerability and reports whether any fails the gate.
func judge(findings map[string][]finding, allowed map[string]string, w io.Writer) (failed bool) {
	ids := make([]string, 0, len(findings))
	for id := range findings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		f := findings[id][0]
		where := f.Trace[0].Module + "@" + f.Trace[0].Version
		switch reason, ok := allowed[id]; {
		case f.FixedVersion != "":
			failed = true
			fmt.Fprintf(w, "FAIL %s in %s: fixed in %s, upgrade\n", id, where, f.FixedVersion)
		case !ok:
			failed = true
			fmt.Fprintf(w, "FAIL %s in %s: no fix yet; stop reaching it, or say in the allow-list why it does not apply\n", id, where)
		default:
			fmt.Fprintf(w, "allowed %s in %s (no fix): %s\n", id, where, reason)
		}
	}
	for id := range allowed {
		if _, ok := findings[id]; !ok {
			fmt.Fprintf(w, "note: %s is in the allow-list but no longer reached; remove it\n", id)
		}
	}
	if !failed {
		fmt.Fprintf(w, "vulncheck: no reachable vulnerability with a fix (%d without one, explained)\n", len(ids))
	}
	return failed
}
