package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paved-go/paved/idempotency"
)

// DefaultTable is the table the Store keeps records in.
const DefaultTable = "paved_idempotency_keys"

// DB is what the Store needs of PostgreSQL: a *pgxpool.Pool, a *pgx.Conn or
// a pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store is an idempotency.Store in a PostgreSQL table. Make one with New,
// and create its table once with Migrate. It is safe for concurrent use
// when its DB is (a pool is).
type Store struct {
	db     DB
	schema string
	table  string // quoted, qualified
	index  string // quoted
	lockID string // names the Migrate advisory lock

	claimSQL, completeSQL, releaseSQL, sweepSQL string
}

var _ idempotency.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*config)

type config struct{ schema, table string }

// WithTable names the table. It must be a plain identifier: a letter or
// underscore, then up to 62 letters, digits or underscores. Default
// "paved_idempotency_keys".
func WithTable(name string) Option { return func(c *config) { c.table = name } }

// WithSchema puts the table in schema (Migrate creates it if need be),
// named by the same rule as WithTable. Default: none, so the table is
// found through the connection's search_path.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

var ident = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// New returns a Store on db. It returns an error naming the option when one
// is invalid. It does not touch the database: call Migrate to create the
// table.
func New(db DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("pgstore: New needs a DB, got nil")
	}
	c := config{table: DefaultTable}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case !ident.MatchString(c.table):
		return nil, fmt.Errorf("pgstore: Table must be a letter or underscore then up to 62 letters, digits or underscores, got %q", c.table)
	case c.schema != "" && !ident.MatchString(c.schema):
		return nil, fmt.Errorf("pgstore: Schema must be a letter or underscore then up to 62 letters, digits or underscores, got %q", c.schema)
	}
	id := pgx.Identifier{c.table}
	if c.schema != "" {
		id = pgx.Identifier{c.schema, c.table}
	}
	t := id.Sanitize()
	s := &Store{db: db, schema: c.schema, table: t, index: pgx.Identifier{c.table + "_expires_at"}.Sanitize(), lockID: "paved.idempotency:" + c.schema + "." + c.table}
	s.claimSQL = fmt.Sprintf(claimSQL, t)
	s.completeSQL = fmt.Sprintf(completeSQL, t)
	s.releaseSQL = fmt.Sprintf(releaseSQL, t)
	s.sweepSQL = fmt.Sprintf(sweepSQL, t)
	return s, nil
}

// Migrate creates the schema (WithSchema), the table and its index when
// they do not exist. Instances that migrate at once are serialised by a
// transaction-scoped advisory lock, so it is safe to call at every start.
//
// The table has a row per (scope, key), which its primary key (a unique
// index) enforces: fingerprint, token (the holder's while in flight, NULL
// once done), result (the stored response) and expires_at (the lease's
// end in flight, the retention's once done), indexed for Sweep.
func (s *Store) Migrate(ctx context.Context) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	stmts := []string{"SELECT pg_advisory_xact_lock(hashtext($1))"}
	if s.schema != "" {
		stmts = append(stmts, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize())
	}
	stmts = append(stmts, fmt.Sprintf(createTableSQL, s.table), fmt.Sprintf(createIndexSQL, s.table, s.index))
	for i, q := range stmts {
		var args []any
		if i == 0 {
			args = []any{s.lockID}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}

func ms(d time.Duration) int64 { return max(1, d.Milliseconds()) }

// claimAttempts bounds the re-runs of a claim that raced: see Claim.
const claimAttempts = 4

// Claim implements idempotency.Store in one statement (its own transaction,
// one round trip): an insert that takes the key when it is free or its
// record expired, else a read of the live record. In the rare race where a
// concurrent claim's insert committed after this statement's snapshot was
// taken, the insert waits for it and yields, but the read cannot see it:
// the statement finds no row, and is run again with a fresh snapshot.
func (s *Store) Claim(ctx context.Context, c idempotency.Claim) (idempotency.Record, error) {
	for range claimAttempts {
		var state string
		var fp, result []byte
		err := s.db.QueryRow(ctx, s.claimSQL, []byte(c.Scope), []byte(c.Key), []byte(c.Fingerprint), c.Token, ms(c.Lease)).Scan(&state, &fp, &result)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return idempotency.Record{}, fmt.Errorf("pgstore: claim: %w", err)
		}
		r := idempotency.Record{Fingerprint: string(fp)}
		switch state {
		case "c":
			r.State = idempotency.StateClaimed
		case "i":
			r.State = idempotency.StateInFlight
		default:
			r.State, r.Result = idempotency.StateDone, result
		}
		return r, nil
	}
	return idempotency.Record{}, errors.New("pgstore: claim: no row after racing claims")
}

// Complete implements idempotency.Store in one statement.
func (s *Store) Complete(ctx context.Context, scope, key, token string, result []byte, retention time.Duration) error {
	if result == nil {
		result = []byte{} // an empty response, not a missing one
	}
	tag, err := s.db.Exec(ctx, s.completeSQL, []byte(scope), []byte(key), token, result, ms(retention))
	if err != nil {
		return fmt.Errorf("pgstore: complete: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return idempotency.ErrLeaseLost
	}
	return nil
}

// Release implements idempotency.Store in one statement.
func (s *Store) Release(ctx context.Context, scope, key, token string) error {
	tag, err := s.db.Exec(ctx, s.releaseSQL, []byte(scope), []byte(key), token)
	if err != nil {
		return fmt.Errorf("pgstore: release: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return idempotency.ErrLeaseLost
	}
	return nil
}

// Sweep deletes up to limit expired records (leases and retention passed)
// and returns how many it deleted. Rows another sweep holds are skipped, so
// instances may sweep at once. Expired rows are ignored by Claim whether
// swept or not: sweeping only frees space. Call it periodically, say every
// minute with a limit of 1000, and again at once while it deletes limit.
// limit must be 1..100000.
func (s *Store) Sweep(ctx context.Context, limit int) (int64, error) {
	if limit < 1 || limit > 100_000 {
		return 0, fmt.Errorf("pgstore: Sweep limit must be 1..100000, got %d", limit)
	}
	tag, err := s.db.Exec(ctx, s.sweepSQL, limit)
	if err != nil {
		return 0, fmt.Errorf("pgstore: sweep: %w", err)
	}
	return tag.RowsAffected(), nil
}
