package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/policy"
)

const designExample = `
defaults:
  timeout:  { total: 10s, attempt: 2s }
  retry:    { max_attempts: 3, backoff: { base: 100ms, max: 5s, jitter: full }, budget: { ratio: 0.1, min_per_second: 10 } }
  breaker:  { failure_ratio: 0.5, min_requests: 20, window: 10s, open_for: 5s, half_open_requests: 5 }
dependencies:
  payments:
    timeout: { attempt: 500ms }
    retry:   { max_attempts: 2 }
`

func TestInheritanceFieldByField(t *testing.T) {
	cfg, err := policy.Parse([]byte(designExample))
	require.NoError(t, err)
	pay, known := cfg.Dependency("payments")
	require.True(t, known)

	want := policy.BuiltinDefaults()
	want.Retry.Backoff.Max = 5 * time.Second
	want.Retry.Budget.Ratio, want.Retry.Budget.MinPerSecond = 0.1, 10
	assert.Equal(t, want, cfg.Defaults, "defaults: the file's values over the built-in ones")

	want.Timeout.Attempt = 500 * time.Millisecond // its own
	want.Retry.MaxAttempts = 2                    // its own
	assert.Equal(t, want, pay, "payments keeps the defaults' timeout.total, retry.backoff and retry.budget")

	other, known := cfg.Dependency("search")
	assert.False(t, known)
	assert.Equal(t, cfg.Defaults, other, "an unknown name gets the defaults")
	assert.Equal(t, []string{"payments"}, cfg.Names())
}

func TestInheritanceTable(t *testing.T) {
	b := policy.BuiltinDefaults()
	cases := []struct {
		name string
		yaml string
		get  func(policy.Dependency) any
		want any
	}{
		{"nothing set: built-in", "dependencies: {d: {}}", func(d policy.Dependency) any { return d.Timeout }, b.Timeout},
		{"empty section name", "dependencies:\n  d:\n", func(d policy.Dependency) any { return d.Retry }, b.Retry},
		{"defaults reach a dependency", "defaults: {retry: {max_attempts: 5}}\ndependencies: {d: {}}", func(d policy.Dependency) any { return d.Retry.MaxAttempts }, 5},
		{"the dependency wins", "defaults: {retry: {max_attempts: 5}}\ndependencies: {d: {retry: {max_attempts: 2}}}", func(d policy.Dependency) any { return d.Retry.MaxAttempts }, 2},
		{"nested sections merge", "defaults: {retry: {backoff: {base: 1s, max: 30s}}}\ndependencies: {d: {retry: {backoff: {max: 20s}}}}", func(d policy.Dependency) any { return d.Retry.Backoff }, policy.Backoff{Base: time.Second, Max: 20 * time.Second, Jitter: "full"}},
		{"budget inherits", "defaults: {retry: {budget: {enabled: false}}}\ndependencies: {d: {retry: {budget: {ratio: 0.5}}}}", func(d policy.Dependency) any { return d.Retry.Budget }, policy.Budget{Enabled: false, Ratio: 0.5, MinPerSecond: 1, Capacity: 20}},
		{"a hedge section turns hedging on", "dependencies: {d: {hedge: {max_hedges: 2}}}", func(d policy.Dependency) any { return d.Hedge.Enabled }, true},
		{"an empty hedge section too", "dependencies:\n  d:\n    hedge:\n", func(d policy.Dependency) any { return d.Hedge.Enabled }, true},
		{"hedging in defaults reaches all", "defaults: {hedge: {delay: 50ms}}\ndependencies: {d: {}}", func(d policy.Dependency) any { return d.Hedge.Enabled }, true},
		{"a dependency turns it off", "defaults: {hedge: {delay: 50ms}}\ndependencies: {d: {hedge: {enabled: false}}}", func(d policy.Dependency) any { return d.Hedge.Enabled }, false},
		{"no hedge section: off", "dependencies: {d: {}}", func(d policy.Dependency) any { return d.Hedge.Enabled }, false},
		{"breaker on by default", "dependencies: {d: {breaker: {min_requests: 5}}}", func(d policy.Dependency) any { return d.Breaker.Enabled }, true},
		{"breaker off in defaults", "defaults: {breaker: {enabled: false}}\ndependencies: {d: {breaker: {min_requests: 5}}}", func(d policy.Dependency) any { return d.Breaker.Enabled }, false},
		{"zero values are values", "defaults: {breaker: {consecutive_failures: 5}}\ndependencies: {d: {breaker: {consecutive_failures: 0}}}", func(d policy.Dependency) any { return d.Breaker.ConsecutiveFailures }, 0},
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

func TestServerSection(t *testing.T) {
	cfg, err := policy.Parse([]byte(`
server:
  name: api
  deadline: { max: 3s }
  caller_key: { header: X-Tenant, metadata: x-tenant }
`))
	require.NoError(t, err)
	assert.Equal(t, "api", cfg.Server.Name)
	assert.Equal(t, policy.Deadline{Enabled: true, Header: "X-Envoy-Expected-Rq-Timeout-Ms", Max: 3 * time.Second}, cfg.Server.Deadline)
	assert.Equal(t, policy.CallerKey{Header: "X-Tenant", Metadata: "x-tenant"}, cfg.Server.CallerKey)
	assert.False(t, cfg.Server.LoadShed.Enabled || cfg.Server.Limit.Enabled || cfg.Server.Idempotency.Enabled)

	cfg, err = policy.Parse(nil)
	require.NoError(t, err)
	assert.Equal(t, "server", cfg.Server.Name)
	assert.False(t, cfg.Server.Deadline.Enabled)
	assert.Equal(t, policy.BuiltinDefaults(), cfg.Defaults)
}

// breaker.per_key: caller on a client keys by the server call it runs
// within: tenant a's failures open a's breaker, not b's; calls with no key
// share one breaker.
func TestClientPerCallerBreakerKeysByTheServerCall(t *testing.T) {
	s := policy.New(mustParse(t, `
dependencies:
  d:
    retry: {max_attempts: 1}
    breaker: {per_key: caller, consecutive_failures: 1, min_requests: 1}
`))
	defer func() { require.NoError(t, s.Close()) }()
	fail := func(context.Context) error { return errFlaky }
	ok := func(context.Context) error { return nil }
	within := func(key string, op paved.Op) error {
		var err error
		require.NoError(t, s.ServerPipeline().Run(paved.WithCallInfo(context.Background(), paved.CallInfo{Key: key}), func(ctx context.Context) error {
			err = s.Pipeline("d").Run(ctx, op)
			return nil
		}))
		return err
	}
	require.ErrorIs(t, within("a", fail), errFlaky)
	assert.ErrorIs(t, within("a", ok), breaker.ErrOpen, "a's breaker opened")
	assert.NoError(t, within("b", ok), "b's is its own")

	require.ErrorIs(t, s.Pipeline("d").Run(context.Background(), fail), errFlaky)
	assert.ErrorIs(t, s.Pipeline("d").Run(context.Background(), ok), breaker.ErrOpen, "no key: one breaker")
	assert.NoError(t, within("b", ok))
}
