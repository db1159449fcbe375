// Package stores lets a policy file name shared state by URL, so that every
// replica of a service shares it. Import it for its side effect:
//
//	import _ "github.com/paved-go/paved/policy/stores"
//
// It registers, with policy.RegisterStore (server.idempotency.store;
// STANDARDS.md RS-11):
//
//   - redis:// and rediss:// URLs (go-redis's redis.ParseURL syntax:
//     redis://user:password@host:6379/0): an idempotency/redisstore.Store
//     on a client of its own;
//   - postgres:// and postgresql:// URLs (pgx's syntax): an
//     idempotency/pgstore.Store on a pgxpool.Pool of its own, its schema
//     created by Migrate when the store is opened;
//
// and, with policy.RegisterFleet, for redis:// and rediss:// URLs:
//
//   - rate_limit.store and server.rate_limit.store: a fleet-wide limit,
//     ratelimit/redisrate (STANDARDS.md RS-8);
//   - breaker.store: a breaker whose trips the fleet shares,
//     breaker/redisbreaker (STANDARDS.md RS-6).
//
// Every URL is checked when the file is parsed (policy.FleetOpener.Check,
// policy.RegisterStoreCheck): one redis.ParseURL or pgxpool.ParseConfig
// refuses (a database that is not a number, an unknown option) is a
// validation problem with its path and line.
//
// An idempotency store opens a client of its own. The fleet-wide policies
// of one policy.Set share one client (one connection pool) per store URL,
// as written: twenty dependencies whose breakers name one Redis make one
// pool (go-redis dials lazily: it costs nothing until used). A store or
// policy is opened when a configuration that names it is built (at start,
// and at a reload that changes its section) and closed once a reload
// replaced it and the calls in flight on it have finished, or when the
// policy.Set is closed; a fleet client is closed after the last policy on
// it, whichever configuration that policy came from.
package stores

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/idempotency/pgstore"
	"github.com/paved-go/paved/idempotency/redisstore"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/ratelimit/redisrate"
)

func init() {
	policy.RegisterStore("redis", openRedis)
	policy.RegisterStore("rediss", openRedis)
	policy.RegisterStore("postgres", openPostgres)
	policy.RegisterStore("postgresql", openPostgres)
	policy.RegisterStoreCheck("redis", checkRedis)
	policy.RegisterStoreCheck("rediss", checkRedis)
	policy.RegisterStoreCheck("postgres", checkPostgres)
	policy.RegisterStoreCheck("postgresql", checkPostgres)
	fleet := policy.FleetOpener{Client: openClient, RateLimit: openRateLimit, Breaker: openBreaker, Check: checkRedis}
	policy.RegisterFleet("redis", fleet)
	policy.RegisterFleet("rediss", fleet)
}

// closingStore is a store that closes the connection it was opened on.
type closingStore struct {
	idempotency.Store
	close func() error
}

func (s *closingStore) Close() error { return s.close() }

func openRedis(ctx context.Context, rawURL string) (idempotency.Store, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(opt)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, err
	}
	st, err := redisstore.New(client)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &closingStore{Store: st, close: client.Close}, nil
}

func openPostgres(ctx context.Context, rawURL string) (idempotency.Store, error) {
	pool, err := pgxpool.New(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	st, err := pgstore.New(pool)
	if err == nil {
		err = st.Migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &closingStore{Store: st, close: func() error { pool.Close(); return nil }}, nil
}

// checkRedis reports a URL redis.ParseURL refuses: what openClient would.
func checkRedis(rawURL string) error {
	_, err := redis.ParseURL(rawURL)
	return err
}

// checkPostgres reports a URL pgxpool.ParseConfig refuses: what
// openPostgres would. It reads no network (a password file, if named).
func checkPostgres(rawURL string) error {
	_, err := pgxpool.ParseConfig(rawURL)
	return err
}

// hooks let the tests see the fleet clients opened and closed.
var hooks struct{ opened, closed func(*redis.Client) }

// fleetClient is the client of one fleet store URL, shared by the policies
// a Set opens on it.
type fleetClient struct{ *redis.Client }

func (c fleetClient) Close() error {
	err := c.Client.Close()
	if hooks.closed != nil {
		hooks.closed(c.Client)
	}
	return err
}

func openClient(rawURL string) (policy.FleetClient, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opt)
	if hooks.opened != nil {
		hooks.opened(c)
	}
	return fleetClient{c}, nil
}

// fleetPolicy is a fleet-wide policy, closed (not its client) by Close.
type fleetPolicy struct {
	paved.Middleware
	role  paved.Role
	close func() error
}

func (p *fleetPolicy) Role() paved.Role { return p.role }

func (p *fleetPolicy) Close() error { return p.close() }

func openRateLimit(c policy.FleetClient, l policy.FleetRateLimit) (policy.FleetPolicy, error) {
	opts := []redisrate.Option{
		redisrate.WithName(l.Name), redisrate.WithKeyPrefix(l.KeyPrefix),
		redisrate.WithDecisionTimeout(l.DecisionTimeout), redisrate.WithStoreRetry(l.StoreRetry),
		redisrate.WithMaxKeys(l.MaxKeys), redisrate.WithClock(l.Clock), redisrate.WithKeyFunc(l.Key),
	}
	if l.FailClosed {
		opts = append(opts, redisrate.WithFailClosed())
	} else {
		opts = append(opts, redisrate.WithFailOpen(l.Replicas))
	}
	lim, err := redisrate.New(c.(fleetClient).Client, rate.Limit(l.Rate), l.Burst, opts...)
	if err != nil {
		return nil, err
	}
	return &fleetPolicy{Middleware: lim, role: lim.Role(), close: lim.Close}, nil
}

func openBreaker(c policy.FleetClient, b policy.FleetBreaker) (policy.FleetPolicy, error) {
	br, err := redisbreaker.New(c.(fleetClient).Client, b.Name, redisbreaker.WithKeyPrefix(b.KeyPrefix),
		redisbreaker.WithSyncPeriod(b.SyncPeriod), redisbreaker.WithBreakerOptions(b.Options...))
	if err != nil {
		return nil, err
	}
	return &fleetPolicy{Middleware: br, role: br.Role(), close: br.Close}, nil
}
