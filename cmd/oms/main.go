// Command oms is the Order Management System: one binary that migrates the database,
// serves the API and back-office, runs background jobs and administers users and tokens.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/payment"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/webhook"
	"github.com/oms/oms/migrations"
	"github.com/oms/oms/queries"
)

const usage = `usage: oms <command> [flags]

commands:
  migrate                                    apply pending database migrations
  serve                                      serve HTTP on OMS_ADDR and run background jobs
  user add --email E --name N --role R       add a staff user (password read from stdin)
  user passwd --email E                      set a staff user's password (read from stdin); ends their sessions
  user disable --email E                     disable a staff user; ends their sessions
  user list                                  list the staff users: email, name, role, active or disabled
  token add --name N [--scopes S,...]        create an API token (printed once), limited to scopes
                                             (orders:read, orders:write, payments:write,
                                             catalog:write, exports, webhooks; none: everything)
  demo                                       load demo catalog, stock and orders (idempotent)
  demo --orders N [--years Y] [--seed S]     ... and add N realistic orders over Y years (default 2)
  check                                      audit the database's invariants
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oms: "+oneLine(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command (oms help lists them)")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if args[0] != "serve" {
		// What the command line changes (users, tokens) is the CLI's in the activity log.
		ctx = service.WithActor(ctx, domain.CLI)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "migrate":
		// Migrations hold session advisory locks: never through a transaction pooler.
		return withPool(ctx, cfg.direct(), func(pool *pgxpool.Pool) error {
			if err := migrations.Up(ctx, pool); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "migrations applied")
			return nil
		})
	case "serve":
		return serve(ctx, cfg, rest)
	case "user":
		return userCmd(ctx, cfg, rest, stdin, stdout)
	case "token":
		return tokenCmd(ctx, cfg, rest, stdout)
	case "demo":
		return demoCmd(ctx, cfg, rest, stdout)
	case "check":
		return withService(ctx, cfg, func(svc *service.Service) error { return check(ctx, svc, stdout) })
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q (oms help lists them)", cmd)
	}
}

// userUsage is what `oms user` takes.
const userUsage = "usage: oms user add --email E --name N --role admin|support|warehouse | passwd --email E | disable --email E | list"

func userCmd(ctx context.Context, cfg config, args []string, stdin io.Reader, stdout io.Writer) error {
	switch {
	case len(args) == 0:
	case args[0] == "add":
		return userAdd(ctx, cfg, args[1:], stdin, stdout)
	case args[0] == "passwd" || args[0] == "disable":
		return userChange(ctx, cfg, args[0], args[1:], stdin, stdout)
	case args[0] == "list" && len(args) == 1:
		return withService(ctx, cfg, func(svc *service.Service) error { return listUsers(ctx, svc, stdout) })
	}
	return errors.New(userUsage)
}

func userAdd(ctx context.Context, cfg config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "email address (the login)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "admin, support or warehouse")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	return withService(ctx, cfg, func(svc *service.Service) error {
		u, err := svc.CreateStaffUser(ctx, *email, *name, domain.Role(*role), password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s user %s (%s)\n", u.Role, u.Email, u.ID)
		return nil
	})
}

// userChange is `oms user passwd` (the password read from stdin) and `oms user disable`:
// the same changes as in Settings, so each ends the user's sessions.
func userChange(ctx context.Context, cfg config, cmd string, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the user's email address")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("user %s: %w", cmd, err)
	}
	if *email == "" {
		return fmt.Errorf("user %s: --email is required", cmd)
	}
	var password string
	if cmd == "passwd" {
		var err error
		if password, err = readPassword(stdin); err != nil {
			return err
		}
	}
	return withService(ctx, cfg, func(svc *service.Service) error {
		u, err := svc.StaffUserByEmail(ctx, *email)
		if err != nil {
			return err
		}
		done := "disabled"
		if cmd == "passwd" {
			_, err = svc.ResetStaffPassword(ctx, u.ID, password)
			done = "has a new password"
		} else {
			_, err = svc.SetStaffDisabled(ctx, domain.CLI, u.ID, true) // nobody's own account: no rule about oneself applies
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s; their sessions have ended\n", u.Email, done)
		return nil
	})
}

// readPassword reads a password, one line of standard input.
func readPassword(stdin io.Reader) (string, error) {
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(password, "\r\n"), nil
}

// listUsers prints the staff users, a column each for email, name, role and whether they
// are disabled.
func listUsers(ctx context.Context, svc *service.Service, stdout io.Writer) error {
	users, err := svc.ListStaffUsers(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tNAME\tROLE\tSTATUS")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Email, u.Name, u.Role, status)
	}
	return w.Flush()
}

func tokenCmd(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: oms token add --name N [--scopes S,...]")
	}
	fs := flag.NewFlagSet("token add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "what the token is for")
	scopeList := fs.String("scopes", "", "comma-separated scopes it is limited to (none: the whole API)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("token add: %w", err)
	}
	scopes, err := domain.ParseScopes(*scopeList)
	if err != nil {
		return fmt.Errorf("token add: %w", err)
	}
	return withService(ctx, cfg, func(svc *service.Service) error {
		t, secret, err := svc.CreateToken(ctx, *name, scopes...)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created API token %q (%s); it is shown only once:\n%s\n", t.Name, t.ID, secret)
		return nil
	})
}

func withPool(ctx context.Context, cfg config, fn func(*pgxpool.Pool) error) error {
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(pool)
}

func withService(ctx context.Context, cfg config, fn func(*service.Service) error) error {
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error { return fn(newService(pool, cfg)) })
}

// openReplica connects to OMS_READ_DATABASE_URL lazily: a replica that is down at start
// only means reads stay on the primary until it answers.
func openReplica(ctx context.Context, cfg config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.ReadDatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("OMS_READ_DATABASE_URL: %w", err)
	}
	pc.MaxConns = max(pc.MaxConns, 32)
	pc.AfterConnect = queries.RegisterTypes
	return pgxpool.NewWithConfig(ctx, pc)
}

func openPool(ctx context.Context, cfg config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if pc.MaxConns < 32 {
		pc.MaxConns = 32
	}
	pc.AfterConnect = queries.RegisterTypes
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	return pool, nil
}

func newService(pool *pgxpool.Pool, cfg config) *service.Service {
	return service.New(pool, serviceConfig(cfg))
}

func serviceConfig(cfg config) service.Config {
	sc := service.Config{ReservationTTL: cfg.ReservationTTL, ReturnWindow: cfg.ReturnWindow,
		Stripe:   payment.NewStripe(payment.StripeConfig{SecretKey: cfg.StripeKey, APIBase: cfg.StripeAPIBase, WebhookSecret: cfg.StripeWebhook}),
		Webhooks: webhook.NewClient(cfg.WebhooksAllowPrivate, 0), WebhooksAllowPrivate: cfg.WebhooksAllowPrivate,
		ShopName: cfg.ShopName, PublicURL: cfg.PublicURL, ReplicaMaxLag: cfg.ReadMaxLag}
	if cfg.Mailer != nil { // not a nil *mail.Sender in the interface: the service tells "none" by nil
		sc.Mailer = cfg.Mailer
	}
	return sc
}

// direct is cfg with DatabaseURL set to the direct connection (OMS_DIRECT_DATABASE_URL),
// for the commands that need sessions of their own.
func (c config) direct() config {
	c.DatabaseURL = c.directURL()
	return c
}

// oneLine keeps the failure message to the one line the contract promises.
func oneLine(err error) string {
	var de *domain.Error
	msg := err.Error()
	if errors.As(err, &de) {
		msg = de.Message
		for f, m := range de.Fields {
			msg += "; " + f + " " + m
		}
	}
	first, _, _ := strings.Cut(msg, "\n")
	return first
}

var logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("OMS_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
