package torture

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

var (
	duration = flag.Duration("torture.duration", envDuration("TORTURE_DURATION", 45*time.Second), "how long the torture runs (TORTURE_DURATION)")
	seed     = flag.Int64("torture.seed", envInt("TORTURE_SEED", 0), "the seed of a run; 0: a new one, printed (TORTURE_SEED)")
	workers  = flag.Int("torture.workers", int(envInt("TORTURE_WORKERS", 6)), "how many workers send operations at once (TORTURE_WORKERS)")
	faults   = flag.Bool("torture.faults", os.Getenv("TORTURE_FAULTS") != "off", "kill the server, restart PostgreSQL and drop requests (TORTURE_FAULTS=off: no faults)")
)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envInt(name string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return n
	}
	return def
}

// The server driven by random operations of many workers, through the API and the
// back-office forms, with faults, checked against the reference model as it goes and
// compared with it at the end. `make torture` runs it longer (README, Testing).
func TestTorture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server, PostgreSQL and stripe-mock for a while")
	}
	cfg := Config{Duration: *duration, Seed: *seed, Workers: *workers, Faults: *faults}
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	fmt.Printf("torture: seed %d, %d workers, %s, faults %v\n", cfg.Seed, cfg.Workers, cfg.Duration, cfg.Faults)
	r := Run(t, cfg)
	fmt.Print(r.String())
	if len(r.Failures) > 0 {
		t.Errorf("torture seed %d failed: %d failure(s), listed above", cfg.Seed, len(r.Failures))
	}
}
