package pgstore_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/idempotency/pgstore"
	"github.com/paved-go/paved/idempotency/storetest"
	"github.com/paved-go/paved/internal/servicetest"
)

// pool connects to the real PostgreSQL, or skips (fails when
// PAVED_REQUIRE_SERVICES=1).
func pool(t *testing.T, tracer *statements) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(servicetest.PostgresURL())
	require.NoError(t, err)
	if tracer != nil {
		cfg.ConnConfig.Tracer = tracer
		cfg.MaxConns = 1 // one connection, whose statements the warm-up prepared
		dial := cfg.ConnConfig.DialFunc
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			fc := &flightConn{Conn: c, n: &tracer.flights}
			fc.reading.Store(true)
			return fc, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = p.Ping(ctx)
	}
	if err != nil {
		if p != nil {
			p.Close()
		}
		servicetest.SkipOrFail(t, fmt.Sprintf("postgres not reachable at %s (set PAVED_POSTGRES_URL): %v", servicetest.PostgresURL(), err))
	}
	t.Cleanup(p.Close)
	return p
}

// newStore makes a Store on a table of the test's own, migrated, dropped
// when the test ends.
func newStore(t *testing.T, db *pgxpool.Pool) *pgstore.Store {
	t.Helper()
	table := servicetest.Name(t, "idem_")
	s, err := pgstore.New(db, pgstore.WithTable(table))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background()))
	t.Cleanup(func() { _, _ = db.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize()) })
	return s
}

func TestConformance(t *testing.T) {
	db := pool(t, nil)
	storetest.Run(t, storetest.Harness{
		New:  func(t *testing.T) idempotency.Store { return newStore(t, db) },
		Wait: func(_ *testing.T, d time.Duration) { time.Sleep(d) }, // the database's clock
	})
}

// Instances migrating at once all succeed, in a schema of their own.
func TestMigrateConcurrentlyInSchema(t *testing.T) {
	db := pool(t, nil)
	schema := servicetest.Name(t, "s_")
	t.Cleanup(func() {
		_, _ = db.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := pgstore.New(db, pgstore.WithSchema(schema), pgstore.WithTable("keys"))
			if assert.NoError(t, err) {
				assert.NoError(t, s.Migrate(context.Background()))
			}
		})
	}
	wg.Wait()
	s, err := pgstore.New(db, pgstore.WithSchema(schema), pgstore.WithTable("keys"))
	require.NoError(t, err)
	r, err := s.Claim(context.Background(), idempotency.Claim{Scope: "s", Key: "k", Token: "t", Lease: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, idempotency.StateClaimed, r.State)
	var unique bool
	require.NoError(t, db.QueryRow(context.Background(), `SELECT indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'keys' AND i.indisprimary`, schema).Scan(&unique))
	assert.True(t, unique, "a unique index on (scope, key)")
}

func TestSweepIsBounded(t *testing.T) {
	db := pool(t, nil)
	s := newStore(t, db)
	ctx := context.Background()
	for i := range 5 {
		_, err := s.Claim(ctx, idempotency.Claim{Scope: "s", Key: fmt.Sprint("k", i), Token: "t", Lease: time.Millisecond})
		require.NoError(t, err)
	}
	_, err := s.Claim(ctx, idempotency.Claim{Scope: "s", Key: "live", Token: "t", Lease: time.Hour})
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // the database's clock
	n, err := s.Sweep(ctx, 3)
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
	n, err = s.Sweep(ctx, 100)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "only expired rows; the live one stays")
	r, err := s.Claim(ctx, idempotency.Claim{Scope: "s", Key: "live", Token: "t2", Lease: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, idempotency.StateInFlight, r.State)
	_, err = s.Sweep(ctx, 0)
	require.ErrorContains(t, err, "Sweep limit must be 1..100000, got 0")
}

func TestOptions(t *testing.T) {
	db := pool(t, nil)
	for _, tt := range []struct {
		opt  pgstore.Option
		want string
	}{
		{pgstore.WithTable(""), `Table must be a letter or underscore then up to 62 letters, digits or underscores, got ""`},
		{pgstore.WithTable("a;drop"), "Table must be"},
		{pgstore.WithTable(strings.Repeat("a", 64)), "Table must be"},
		{pgstore.WithSchema("1x"), `Schema must be a letter or underscore then up to 62 letters, digits or underscores, got "1x"`},
	} {
		_, err := pgstore.New(db, tt.opt)
		require.ErrorContains(t, err, tt.want)
	}
	_, err := pgstore.New(nil)
	require.ErrorContains(t, err, "needs a DB")
}

// A PostgreSQL that is down, or accepts connections and never answers,
// fails a call within its context's deadline.
func TestDownAndHung(t *testing.T) {
	for name, addr := range map[string]string{"down": servicetest.DownAddr(t), "hung": servicetest.HungServer(t)} {
		t.Run(name, func(t *testing.T) {
			cfg, err := pgxpool.ParseConfig("postgres://postgres@" + addr + "/test?connect_timeout=60")
			require.NoError(t, err)
			p, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
			require.NoError(t, err)
			defer p.Close()
			s, err := pgstore.New(p)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = s.Claim(ctx, idempotency.Claim{Scope: "s", Key: "k", Token: "t", Lease: time.Minute})
			require.Error(t, err)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// statements counts the statements sent (pgx's QueryTracer). With pgx's
// default statement cache, each is one round trip once its connection has
// prepared it (the first use on a connection adds one to prepare it).
type statements struct{ n, flights atomic.Int64 }

// flightConn counts round trips on the wire: a write after a read (or the
// first write) starts one. pgx writes each statement's messages at once.
type flightConn struct {
	net.Conn
	n       *atomic.Int64
	reading atomic.Bool
}

func (c *flightConn) Write(b []byte) (int, error) {
	if c.reading.Swap(false) { // else the previous operation was a write too: the same flight
		c.n.Add(1)
	}
	return c.Conn.Write(b)
}

func (c *flightConn) Read(b []byte) (int, error) {
	c.reading.Store(true)
	return c.Conn.Read(b)
}

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A first request costs two statements (claim, complete), a replay one.
func TestRoundTrips(t *testing.T) {
	var st statements
	db := pool(t, &st)
	g := idempotency.MustNew(idempotency.WithStore(newStore(t, db)))
	ctx := context.Background()
	run := func(context.Context) (*idempotency.Response, error) {
		return &idempotency.Response{Code: 201, Body: []byte("ok")}, nil
	}
	_, err := g.Do(ctx, idempotency.Request{Key: "warm-up"}, run)
	require.NoError(t, err)
	_, err = g.Do(ctx, idempotency.Request{Key: "warm-up"}, run)
	require.NoError(t, err)
	for _, key := range []string{"a", "b"} {
		st.n.Store(0)
		st.flights.Store(0)
		_, err := g.Do(ctx, idempotency.Request{Key: key}, run)
		require.NoError(t, err)
		assert.EqualValues(t, 2, st.n.Load(), "first request: statements")
		assert.EqualValues(t, 2, st.flights.Load(), "first request: round trips")
		st.n.Store(0)
		st.flights.Store(0)
		r, err := g.Do(ctx, idempotency.Request{Key: key}, run)
		require.NoError(t, err)
		require.True(t, r.Replayed)
		assert.EqualValues(t, 1, st.n.Load(), "replay: statements")
		assert.EqualValues(t, 1, st.flights.Load(), "replay: round trips")
	}
}
