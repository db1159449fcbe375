package stores_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/policy"
)

// With policy/stores linked in, Redis store URLs parse, and inherit field by
// field.
func TestFleetStoreInheritance(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		get  func(policy.Dependency) any
		want any
	}{
		{"breaker store from defaults", "defaults: {breaker: {store: 'redis://r:6379/0'}}\ndependencies: {d: {breaker: {sync_period: 1s}}}",
			func(d policy.Dependency) any {
				return []any{d.Breaker.Store, d.Breaker.KeyPrefix, d.Breaker.SyncPeriod}
			},
			[]any{"redis://r:6379/0", "paved:breaker:", time.Second}},
		{"no store: memory", "dependencies: {d: {rate_limit: {rate: 5}}}",
			func(d policy.Dependency) any { return []any{d.Limit.Store, d.Limit.MaxWait, d.Limit.ServerFeedback} },
			[]any{"memory", time.Second, true}},
		{"a redis limit neither waits nor follows feedback by default", "defaults: {rate_limit: {store: 'redis://r/0', replicas: 4}}\ndependencies: {d: {rate_limit: {key: vendor}}}",
			func(d policy.Dependency) any {
				return []any{d.Limit.Store, d.Limit.MaxWait, d.Limit.ServerFeedback, d.Limit.Replicas, d.Limit.Key, d.Limit.DecisionTimeout}
			},
			[]any{"redis://r/0", time.Duration(0), false, 4, "vendor", 50 * time.Millisecond}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := policy.Parse([]byte(c.yaml))
			require.NoError(t, err)
			d, ok := cfg.Dependency("d")
			require.True(t, ok)
			assert.Equal(t, c.want, c.get(d))
		})
	}
}

// The rules of a fleet-wide store, each with its path and range.
func TestFleetStoreValidationErrors(t *testing.T) {
	const p = "dependencies.d."
	cases := []struct{ yaml, want string }{
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', max_wait: 1s}}}", p + "rate_limit.max_wait: must be 0s with a Redis store: the fleet-wide limit refuses at once, got 1s"},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', server_feedback: true}}}", p + "rate_limit.server_feedback: must be false with a Redis store: the fleet-wide limit does not follow the server's RateLimit fields, got true"},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', rate: 2e6}}}", p + "rate_limit.rate: must be in (0, 1e+06], got 2e+06"},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', rate: 0.001, burst: 1000000000}}}", p + "rate_limit.burst: must be at most 1e9 seconds of the rate with a Redis store, got 1000000000"},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', key_prefix: 'a{b'}}}", p + `rate_limit.key_prefix: must not contain '{' or '}' (the caller's key is the Redis Cluster hash tag), got "a{b"`},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', replicas: 0}}}", p + "rate_limit.replicas: must be 1..10000, got 0"},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', decision_timeout: 0s}}}", p + "rate_limit.decision_timeout: must be 1ms..10s, got 0s"},
		{"dependencies: {d: {rate_limit: {store: 'redis://r/0', store_retry: 1ms}}}", p + "rate_limit.store_retry: must be 10ms..1m, got 1ms"},
		{"dependencies: {d: {breaker: {store: 'redis://r/0', per_key: caller}}}", p + `breaker.per_key: must be "" with a Redis store: the fleet shares one breaker per dependency, got "caller"`},
		{"dependencies: {d: {breaker: {store: 'redis://r/0', key_prefix: 'x{}'}}}", p + `breaker.key_prefix: must not hold an empty Redis Cluster hash tag '{}', got "x{}"`},
		{"dependencies: {d: {breaker: {store: 'redis://r/0', sync_period: 1ms}}}", p + "breaker.sync_period: must be 10ms..10s, got 1ms"},
		{"server: {rate_limit: {store: 'redis://r/0', replicas: 10001}}", "server.rate_limit.replicas: must be 1..10000, got 10001"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.yaml))
			var got []string
			for _, p := range policy.ProblemsOf(err) {
				got = append(got, p.Error())
			}
			assert.Equal(t, []string{c.want}, got)
		})
	}
}

// A fleet store URL the opener would refuse is a problem at Parse, with its
// path and line, rather than a Set that cannot build the policy.
func TestFleetStoreURLCheckedAtParse(t *testing.T) {
	const refused = "must be a URL its opener accepts: "
	cases := []struct{ yaml, want string }{
		{"dependencies:\n  d:\n    breaker: {store: 'redis://127.0.0.1:6379/abc'}\n",
			`line 3: dependencies.d.breaker.store: ` + refused + `redis: invalid database number: "abc", got "redis://127.0.0.1:6379/abc"`},
		{"dependencies:\n  d:\n    rate_limit: {store: 'redis://127.0.0.1:6379/0?foo=1'}\n",
			`line 3: dependencies.d.rate_limit.store: ` + refused + `redis: unexpected option: foo, got "redis://127.0.0.1:6379/0?foo=1"`},
		{"defaults:\n  breaker: {store: 'redis://127.0.0.1:6379/abc'}\ndependencies: {d: {}, e: {}}\n",
			`line 2: defaults.breaker.store: ` + refused + `redis: invalid database number: "abc", got "redis://127.0.0.1:6379/abc"`},
		{"server:\n  rate_limit:\n    store: 'rediss://:sekrit@127.0.0.1:6379/0?foo=1'\n",
			`line 3: server.rate_limit.store: ` + refused + `redis: unexpected option: foo, got "rediss://:[redacted]@127.0.0.1:6379/0?foo=1"`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.yaml))
			var pe *policy.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "invalid paved policy configuration:\n  "+c.want, err.Error())
			assert.NotContains(t, err.Error(), "sekrit")
		})
	}
}

// So is an idempotency store URL its opener would refuse: it validated,
// then every keyed request was answered 503.
func TestIdempotencyStoreURLCheckedAtParse(t *testing.T) {
	const refused = "must be a URL its opener accepts: "
	cases := []struct{ store, want string }{
		{"redis://127.0.0.1:6379/abc", refused + `redis: invalid database number: "abc"`},
		{"rediss://127.0.0.1:6379/0?foo=1", refused + `redis: unexpected option: foo`},
		{"postgres://u:sekrit@127.0.0.1:5432/db?pool_max_conns=x",
			refused + "cannot parse `postgres://u:xxxxx@127.0.0.1:5432/db?pool_max_conns=x`: cannot parse pool_max_conns (strconv.ParseInt: parsing \"x\": invalid syntax)"},
		{"postgresql://u@127.0.0.1/db?sslmode=bogus", refused + "cannot parse `postgresql://u@127.0.0.1/db?sslmode=bogus`: failed to configure TLS (sslmode is invalid)"},
	}
	for _, c := range cases {
		t.Run(c.store, func(t *testing.T) {
			_, err := policy.Parse([]byte("server:\n  idempotency:\n    store: '" + c.store + "'\n"))
			ps := policy.ProblemsOf(err)
			require.Len(t, ps, 1, "%v", err)
			assert.Equal(t, "server.idempotency.store", ps[0].Path)
			assert.Equal(t, 3, ps[0].Line)
			assert.Equal(t, c.want, ps[0].Rule)
			assert.NotContains(t, err.Error(), "sekrit")
		})
	}
	_, err := policy.Parse([]byte("server: {idempotency: {store: 'postgres://u@127.0.0.1:5432/db?pool_max_conns=4'}}"))
	assert.NoError(t, err, "what the opener accepts passes")
}
