package policy

import (
	"context"
	"errors"

	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/ratelimit"
)

// newBreaker builds a dependency's breaker: one, one per key, or the
// fleet's (breaker.store).
func newBreaker(name string, b Breaker, o *options) (paved.Middleware, error) {
	opts := breakerOptions(b, o)
	switch {
	case b.Store != "memory":
		op, ok := fleetOpener(b.Store)
		if !ok {
			return nil, errors.New("breaker.store: " + notLinked(b.Store))
		}
		fb := FleetBreaker{Name: name, KeyPrefix: b.KeyPrefix, SyncPeriod: b.SyncPeriod, Options: opts}
		return o.fleet.open(b.Store, op.Client, func(c FleetClient) (FleetPolicy, error) { return op.Breaker(c, fb) })
	case b.PerKey != "":
		key := func(ctx context.Context) string { return paved.CallFrom(ctx).Operation() }
		if b.PerKey == "caller" {
			key = func(ctx context.Context) string { return paved.CallFrom(ctx).Key() }
		}
		return breaker.PerKey(func(ctx context.Context) string {
			if paved.CallFrom(ctx) == nil {
				return ""
			}
			return key(ctx)
		}, append(opts, breaker.WithMaxKeys(b.MaxKeys), breaker.WithIdleTimeout(b.IdleTimeout))...)
	}
	return breaker.New(name, opts...)
}

// newClientLimiter builds a dependency's rate limit: the process's, or the
// fleet's (rate_limit.store), keyed by rate_limit.key (default the
// dependency's name).
func newClientLimiter(name string, l RateLimit, o *options) (paved.Middleware, error) {
	if l.Store == "memory" {
		return ratelimit.New(rate.Limit(l.Rate), l.Burst,
			ratelimit.WithMaxWait(l.MaxWait), ratelimit.WithServerFeedback(l.ServerFeedback),
			ratelimit.WithClock(o.clock))
	}
	key := l.Key
	if key == "" {
		key = name
	}
	return openFleetLimit(l, clientLimitName, func(context.Context) string { return key }, o)
}

// clientLimitName names a dependency's fleet-wide limit, in its Redis keys
// (prefix{key}:name): not the server's per-caller name (ratelimit.DefaultName,
// which its RateLimit fields show callers), so that dependency "acme" and
// tenant "acme" keep separate buckets under one key_prefix.
const clientLimitName = "client"

// newServerLimiter builds the per-caller limit: the process's, or the
// fleet's (server.rate_limit.store), keyed by the caller's key.
func newServerLimiter(l RateLimit, o *options) (paved.Middleware, error) {
	if l.Store == "memory" {
		return ratelimit.PerKey(rate.Limit(l.Rate), l.Burst, ratelimit.WithMaxKeys(l.MaxKeys), ratelimit.WithClock(o.clock))
	}
	return openFleetLimit(l, ratelimit.DefaultName, nil, o)
}

func openFleetLimit(l RateLimit, name string, key func(context.Context) string, o *options) (paved.Middleware, error) {
	op, ok := fleetOpener(l.Store)
	if !ok {
		return nil, errors.New("rate_limit.store: " + notLinked(l.Store))
	}
	fl := FleetRateLimit{
		Rate: l.Rate, Burst: l.Burst, Name: name, KeyPrefix: l.KeyPrefix, Key: key,
		FailClosed: l.FailClosed, Replicas: l.Replicas, DecisionTimeout: l.DecisionTimeout,
		StoreRetry: l.StoreRetry, MaxKeys: l.MaxKeys, Clock: o.clock,
	}
	return o.fleet.open(l.Store, op.Client, func(c FleetClient) (FleetPolicy, error) { return op.RateLimit(c, fl) })
}
