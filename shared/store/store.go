// Package store is the platform's Postgres storage: embedded, numbered
// migrations and the queries of the engine, behind Noun+Verb methods that
// take Params structs. Row types never leave the package; pgx.ErrNoRows
// becomes ErrNotFound.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"github.com/lvao/dataplatform/shared/config"
	"io/fs"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lvao/dataplatform/shared/coalesce"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// Config opens a Store.
type Config struct {
	// URL is the Postgres connection URL. Required.
	URL string
	// Schema holds the platform tables; created if missing. Default "lvao_platform".
	Schema string
	// MaxConns bounds the pool. Default 10.
	MaxConns int32
	// Logger receives migration messages. Default: discard.
	Logger *slog.Logger
}

// Store is the platform database.
type Store struct {
	Pool   *pgxpool.Pool
	Schema string
	claims *coalesce.Group[claimRequest, claimResult]
}

var identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// FromPool returns the Store of a pool whose search_path is schema
// (already migrated).
func FromPool(pool *pgxpool.Pool, schema string) *Store {
	s := &Store{Pool: pool, Schema: schema}
	s.claims = s.newClaims()
	return s
}

// ConfigurePool sets what every connection of the platform's pool needs:
// the schema as search_path, and generic plans.
func ConfigurePool(pc *pgxpool.Config, schema string) {
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	// The engine's statements are few and prepared once per connection;
	// re-planning them at every execution (Postgres' custom plans, tried
	// first and kept while they look cheaper) costs more than running
	// them. Generic plans are planned once; the partial indexes match the
	// constant predicates of the queries, so they serve generic plans too.
	// A server that refuses the setting keeps its default.
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, _ = conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
		return nil
	}
}

// Open connects, creates the schema if missing and migrates it up.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Schema == "" {
		cfg.Schema = "lvao_platform"
	}
	if !identPattern.MatchString(cfg.Schema) {
		return nil, fmt.Errorf("schema %q is not a plain identifier", cfg.Schema)
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("error parsing database URL: %s", redact(err))
	}
	ConfigurePool(pc, cfg.Schema)
	pc.MaxConns = 10
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("error connecting to the platform database: %s", redact(err))
	}
	s := FromPool(pool, cfg.Schema)
	if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+cfg.Schema); err != nil {
		var pgErr *pgconn.PgError
		// Two processes creating the schema at once: one loses the race on
		// the catalog's unique index, the schema exists all the same.
		if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
			pool.Close()
			return nil, fmt.Errorf("error creating schema %s: %s", cfg.Schema, redact(err))
		}
	}
	if err := s.Migrate(ctx, cfg.Logger, "up"); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() { s.Pool.Close() }

// Migrate runs "up", "down" (one step) or "status" with goose. A
// table-based lock (a row with a lease, not an advisory lock) keeps two
// processes from migrating at once.
func (s *Store) Migrate(ctx context.Context, logger *slog.Logger, direction string) error {
	sub, err := fs.Sub(migrationsFS, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	locker, err := lock.NewPostgresTableLocker()
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithLocker(locker), goose.WithDisableGlobalRegistry(true)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("error loading migrations: %w", err)
	}
	switch direction {
	case "up":
		_, err = p.Up(ctx)
	case "down":
		_, err = p.Down(ctx)
	case "reset":
		_, err = p.DownTo(ctx, 0)
	default:
		return fmt.Errorf("unknown migration direction %q (up, down, reset)", direction)
	}
	if err != nil {
		return fmt.Errorf("error migrating the platform schema %s %s: %s", s.Schema, direction, redact(err))
	}
	return nil
}

// redact removes connection-string passwords from driver errors.
func redact(err error) string { return config.RedactURL(err.Error()) }

// Tx is a transaction with the store's queries.
type Tx struct{ tx pgx.Tx }

// InTx runs fn in a transaction: committed when fn returns nil, rolled
// back otherwise (with a context that is not cancelled, so a cancelled
// request still releases its locks promptly). BEGIN travels with the
// transaction's first statement (pipeTx): one round trip less.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	return s.inPipeTx(ctx, fn, func(conn *pgxpool.Conn, t *pipeTx) error {
		if !t.begun {
			return nil
		}
		tag, err := conn.Exec(ctx, "commit")
		if err != nil {
			return fmt.Errorf("error committing transaction: %w", err)
		}
		if tag.String() == "ROLLBACK" {
			return fmt.Errorf("error committing transaction: %w", pgx.ErrTxCommitRollback)
		}
		return nil
	})
}

// Read runs fn outside any explicit transaction (each query autocommits).
func (s *Store) Read(ctx context.Context, fn func(*Tx) error) error {
	return s.InTx(ctx, fn)
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// ts converts a nullable timestamp.
func ts(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

var _ = strings.TrimSpace
