// Package stores lets a policy file name a shared idempotency store by URL
// (server.idempotency.store), so that a key runs once across every replica
// of a service (STANDARDS.md RS-11). Import it for its side effect:
//
//	import _ "github.com/paved-go/paved/policy/stores"
//
// It registers, with policy.RegisterStore:
//
//   - redis:// and rediss:// URLs (go-redis's redis.ParseURL syntax:
//     redis://user:password@host:6379/0): an idempotency/redisstore.Store
//     on a client of its own;
//   - postgres:// and postgresql:// URLs (pgx's syntax): an
//     idempotency/pgstore.Store on a pgxpool.Pool of its own, its schema
//     created by Migrate when the store is opened.
//
// A store is opened when a configuration that names it is built (at start
// and at a reload that changes server.idempotency) and is not closed when a
// later configuration replaces it.
package stores

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/idempotency/pgstore"
	"github.com/paved-go/paved/idempotency/redisstore"
	"github.com/paved-go/paved/policy"
)

func init() {
	policy.RegisterStore("redis", openRedis)
	policy.RegisterStore("rediss", openRedis)
	policy.RegisterStore("postgres", openPostgres)
	policy.RegisterStore("postgresql", openPostgres)
}

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
	return st, nil
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
	return st, nil
}
