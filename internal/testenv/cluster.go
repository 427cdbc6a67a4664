package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster is a PostgreSQL cluster of the test's own (scripts/db.sh under a temporary
// directory, on free ports), which the test may stop and start under load. It is stopped
// and removed at the end of the test.
type Cluster struct {
	t   testing.TB
	env []string
}

// NewCluster makes (lazily: the first URL starts it) a private cluster.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "oms-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the server may run as another user
		t.Fatal(err)
	}
	c := &Cluster{t: t, env: append(os.Environ(), "OMS_DATA_DIR="+dir, "OMS_PG_PORT="+FreePort(t),
		"OMS_PG_REPLICA_PORT="+FreePort(t), "DATABASE_URL=")}
	t.Cleanup(func() { c.run("stop"); os.RemoveAll(dir) })
	return c
}

func (c *Cluster) run(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(filepath.Join(Root(), "scripts", "db.sh"), args...)
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		c.t.Fatalf("db.sh %v: %v\n%s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// URL starts the cluster when it is stopped, creates database db when it is missing,
// and returns its URL.
func (c *Cluster) URL(db string) string { return c.run("url", db) }

// Replica is the URL of db on a streaming replica of the cluster, started when needed.
func (c *Cluster) Replica(db string) string { return c.run("replica", db) }

// Stop stops the cluster (fast shutdown: sessions are ended); URL starts it again.
func (c *Cluster) Stop() { c.run("stop") }
