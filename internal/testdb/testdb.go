// Package testdb gives each test a fresh, migrated PostgreSQL database of its own.
//
// The server comes from OMS_TEST_DATABASE_URL (or DATABASE_URL): an admin connection
// string that may create databases; `make test` sets it. The schema is migrated once per
// version of the embedded migrations into a template database (oms_tpl_<hash>), which is
// kept between runs; each test then gets a cheap copy (CREATE DATABASE ... TEMPLATE),
// dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/dburl"
	"github.com/oms/oms/migrations"
	"github.com/oms/oms/queries"
)

// MaxConns is the pool size of a test database: enough for concurrency tests with a
// few hundred goroutines to queue on a pool without exhausting the server.
const MaxConns = 40

// New returns a pool on a fresh migrated database, dropped in t.Cleanup.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewWithURL(t)
	return pool
}

// URL returns the connection string of a fresh migrated database, dropped in
// t.Cleanup; for tests that start `oms serve` or another process against it.
func URL(t testing.TB) string {
	t.Helper()
	return create(t)
}

// NewWithURL returns a pool on a fresh migrated database and its connection string.
func NewWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dbURL := create(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("testdb: parse url: %v", err)
	}
	cfg.MaxConns = MaxConns
	cfg.AfterConnect = queries.RegisterTypes // as oms does
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("testdb: connect: %v", err)
	}
	// Registered after the drop in create, so it runs before it (cleanups are LIFO).
	t.Cleanup(pool.Close)
	return pool, dbURL
}

// AdminURL is the server connection string the tests use, or "" when none is set.
func AdminURL() string {
	if u := os.Getenv("OMS_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return os.Getenv("DATABASE_URL")
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

func create(t testing.TB) string {
	t.Helper()
	admin := AdminURL()
	if admin == "" {
		t.Fatal("testdb: no database server: run `make test`, or set OMS_TEST_DATABASE_URL " +
			"to an admin connection string (one that may create databases)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, admin) })
	if templateErr != nil {
		t.Fatalf("testdb: %v", templateErr)
	}

	name := "oms_t_" + randomHex(8)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", redact(admin), err)
	}
	defer conn.Close(ctx)
	// CREATE DATABASE ... TEMPLATE fails while another session is connected to the
	// template; creation runs only under the advisory lock, so retry briefly.
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+templateName)
		if err == nil || attempt >= 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("testdb: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, admin, name) })

	dbURL, err := dburl.WithDatabase(admin, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return dbURL
}

func drop(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("testdb: drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("testdb: drop %s: %v", name, err)
	}
}

// ensureTemplate creates and migrates the template database for the current
// migrations unless it exists. Test packages run as separate processes at the same
// time, so creation is serialised with an advisory lock on the server.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "oms_tpl_" + sum[:8]

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(ctx)
	const lockKey = 0x6f6d735f74706c // "oms_tpl"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return "", fmt.Errorf("template lock: %w", err)
	}
	// The lock is released when conn closes.

	// A template is marked ready (datistemplate) only once fully migrated; a
	// half-built one left by a crashed run is rebuilt.
	var ready bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&ready)
	switch {
	case err == nil && ready:
		return name, nil
	case err == nil:
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", fmt.Errorf("drop unfinished template %s: %w", name, err)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("look up template %s: %w", name, err)
	}

	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create template %s: %w", name, err)
	}
	tplURL, err := dburl.WithDatabase(admin, name)
	if err != nil {
		return "", err
	}
	pool, err := pgxpool.New(ctx, tplURL)
	if err != nil {
		return "", fmt.Errorf("connect to template %s: %w", name, err)
	}
	err = migrations.Up(ctx, pool)
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true"); err != nil {
		return "", fmt.Errorf("mark template %s: %w", name, err)
	}
	return name, nil
}

// migrationsHash identifies the schema version by the embedded migration files.
func migrationsHash() (string, error) {
	var names []string
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", fmt.Errorf("read migration %s: %w", n, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func redact(connString string) string {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return "the test database server"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// WithoutAutovacuum turns autovacuum off for every table of the test's database, so
// that its tables have the planner's statistics only when the test, or the code it
// tests, analyzes them: on a shared server autovacuum would analyze them at a moment
// of its own choosing.
func WithoutAutovacuum(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if err := queries.DisableAutovacuum(context.Background(), pool); err != nil {
		t.Fatalf("testdb: %v", err)
	}
}
