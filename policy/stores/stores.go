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
// Each opens a client of its own (go-redis dials lazily: a pool costs
// nothing until used). A store or policy is opened when a configuration
// that names it is built (at start, and at a reload that changes its
// section) and closed, with its client, once a reload replaced it and the
// calls in flight on it have finished, or when the policy.Set is closed.
package stores

import (
	"context"
	"errors"

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
	fleet := policy.FleetOpener{RateLimit: openRateLimit, Breaker: openBreaker, Check: checkRedis}
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

// checkRedis reports a URL redis.ParseURL refuses: what newClient would.
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

func newClient(rawURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

// fleetPolicy is a fleet-wide policy and the client it was opened on, both
// closed by Close.
type fleetPolicy struct {
	paved.Middleware
	role   paved.Role
	close  func() error
	client *redis.Client
}

func (p *fleetPolicy) Role() paved.Role { return p.role }

func (p *fleetPolicy) Close() error { return errors.Join(p.close(), p.client.Close()) }

func openRateLimit(rawURL string, l policy.FleetRateLimit) (policy.FleetPolicy, error) {
	client, err := newClient(rawURL)
	if err != nil {
		return nil, err
	}
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
	lim, err := redisrate.New(client, rate.Limit(l.Rate), l.Burst, opts...)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &fleetPolicy{Middleware: lim, role: lim.Role(), close: lim.Close, client: client}, nil
}

func openBreaker(rawURL string, b policy.FleetBreaker) (policy.FleetPolicy, error) {
	client, err := newClient(rawURL)
	if err != nil {
		return nil, err
	}
	br, err := redisbreaker.New(client, b.Name, redisbreaker.WithKeyPrefix(b.KeyPrefix),
		redisbreaker.WithSyncPeriod(b.SyncPeriod), redisbreaker.WithBreakerOptions(b.Options...))
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &fleetPolicy{Middleware: br, role: br.Role(), close: br.Close, client: client}, nil
}
