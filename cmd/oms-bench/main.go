// Command oms-bench measures order creation through the JSON API (`oms serve`) and
// beside it the raw-SQL reference (pgbench running the same transaction straight
// against PostgreSQL) on the same server, and prints both rates and their ratio.
//
// It works on databases of its own (oms_bench, oms_rawbench), created afresh and dropped
// at the end, and sends traffic to loopback only. `make bench` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

const (
	apiDB   = "oms_bench"
	rawDB   = "oms_rawbench"
	numSKUs = 10000
	// The catalog's SKUs share a prefix, as a real catalog's do (PERF-00001 ...): every
	// trigram of the prefix then names every product, which is what a lookup by SKU
	// through a trigram index would read.
	skuPrefix = "PERF-"
	hotSKU    = skuPrefix + "00001"
)

type options struct {
	adminURL string
	oms      string
	rawDir   string
	pgbench  string
	duration time.Duration
	warmup   time.Duration
	clients  int
	modes    []string
	skipRaw  bool
	keep     bool
	cold     bool
	logFile  string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "oms-bench: "+err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	root := repoRoot()
	var o options
	var mode string
	var hot bool
	flag.StringVar(&o.adminURL, "admin-url", os.Getenv("DATABASE_URL"),
		"connection string of the PostgreSQL server, as a user that may create databases (default $DATABASE_URL)")
	flag.StringVar(&o.oms, "oms", filepath.Join(root, "bin", "oms"), "the oms binary")
	flag.StringVar(&o.rawDir, "raw-dir", filepath.Join(root, "..", "shared", "bench"),
		"directory of the raw-SQL reference (schema.sql, create_order.sql, create_order_hot.sql)")
	flag.StringVar(&o.pgbench, "pgbench", "", "the pgbench binary (default: PATH, then /usr/lib/postgresql/*/bin)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per mode, for the API and for pgbench each")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "API warm-up before each measurement (not counted)")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients")
	flag.StringVar(&mode, "mode", "both", "normal, hot (every order includes "+hotSKU+") or both")
	flag.BoolVar(&hot, "hot", false, "shorthand for -mode hot")
	flag.BoolVar(&o.skipRaw, "skip-raw", false, "skip the pgbench reference")
	flag.BoolVar(&o.keep, "keep", false, "keep the benchmark databases afterwards")
	flag.BoolVar(&o.cold, "cold", true, "measure also on a database whose tables autovacuum leaves alone and nothing analyzed after seeding")
	flag.StringVar(&o.logFile, "server-log", filepath.Join(root, ".data", "bench-serve.log"), "where the server's output goes")
	var read bool
	var ro readOptions
	flag.BoolVar(&read, "read", false, "the read benchmark instead: every page and list at -orders orders (make bench-read)")
	flag.StringVar(&ro.db, "db", "oms_bench_read", "-read: the database of the shop (kept between runs)")
	flag.IntVar(&ro.orders, "orders", 1_000_000, "-read: how many orders the shop has (loaded once, kept in -db)")
	flag.IntVar(&ro.requests, "requests", 100, "-read: requests per case")
	flag.BoolVar(&ro.export, "export", true, "-read: export every order at the end")
	flag.IntVar(&ro.history, "history", 10_000_000, "-read: order history rows the activity log's cases read (topped up with comments)")
	only := flag.String("cases", "", "-read: only the cases whose name matches this regular expression")
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fmt.Errorf("-cases: %w", err)
		}
		ro.only = re
	}
	if read {
		if o.adminURL == "" {
			return errors.New("no database server: pass -admin-url or set DATABASE_URL (make bench-read does)")
		}
		if ro.orders < 1 || ro.requests < 1 {
			return errors.New("-orders and -requests must be positive")
		}
		return benchRead(ctx, o, ro)
	}

	if hot {
		mode = "hot"
	}
	switch mode {
	case "both":
		o.modes = []string{"normal", "hot"}
	case "normal", "hot":
		o.modes = []string{mode}
	default:
		return fmt.Errorf("-mode must be normal, hot or both, not %q", mode)
	}
	if o.adminURL == "" {
		return errors.New("no database server: pass -admin-url or set DATABASE_URL (make bench does)")
	}
	if o.clients < 1 || o.duration <= 0 {
		return errors.New("-clients and -duration must be positive")
	}
	if _, err := os.Stat(o.oms); err != nil {
		return fmt.Errorf("oms binary: %w (run make build)", err)
	}
	if !o.skipRaw {
		for _, f := range []string{"schema.sql", "create_order.sql", "create_order_hot.sql"} {
			if _, err := os.Stat(filepath.Join(o.rawDir, f)); err != nil {
				return fmt.Errorf("raw-SQL reference: %w (set -raw-dir, or -skip-raw)", err)
			}
		}
		if o.pgbench == "" {
			o.pgbench = findPGTool("pgbench")
		}
		if o.pgbench == "" {
			return errors.New("pgbench not found: install the PostgreSQL client tools (apt-get install -y postgresql), or pass -skip-raw")
		}
	}
	return bench(ctx, o)
}

func step(s string) { fmt.Println("--> " + s) }

// --- database set-up ---

// --- the API server ---

// --- the API load ---

// --- the raw-SQL reference ---

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// --- report and checks ---

// --- helpers ---
