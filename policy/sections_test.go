package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/policy"
)

// The sections added for breaker.PerKey, the fleet-wide stores, fallback
// and chaos inherit field by field like every other.
func TestSectionsInheritance(t *testing.T) {
	b := policy.BuiltinDefaults()
	cases := []struct {
		name string
		yaml string
		get  func(policy.Dependency) any
		want any
	}{
		{"breaker per key", "defaults: {breaker: {per_key: operation}}\ndependencies: {d: {breaker: {max_keys: 10}}}",
			func(d policy.Dependency) any {
				return []any{d.Breaker.PerKey, d.Breaker.MaxKeys, d.Breaker.IdleTimeout}
			},
			[]any{"operation", 10, 10 * time.Minute}},
		{"fallback off by default", "dependencies: {d: {}}", func(d policy.Dependency) any { return d.Fallback }, b.Fallback},
		{"a fallback section turns it on", "dependencies: {d: {fallback: {stale: {max_age: 1m}}}}",
			func(d policy.Dependency) any {
				return []any{d.Fallback.Enabled, d.Fallback.Stale.MaxAge, d.Fallback.Stale.MaxEntries, d.Fallback.Outcomes}
			},
			[]any{true, time.Minute, 1000, []string{"transient", "overload", "fault", "rejected"}}},
		{"outcomes are a list, replaced whole", "defaults: {fallback: {outcomes: [fault]}}\ndependencies: {d: {fallback: {outcomes: [transient, rejected]}}}",
			func(d policy.Dependency) any { return d.Fallback.Outcomes }, []string{"transient", "rejected"}},
		{"a chaos section alone stays off", "dependencies: {d: {chaos: {rate: 0.5, faults: [{hang: true}]}}}",
			func(d policy.Dependency) any { return []any{d.Chaos.Enabled, d.Chaos.Faults[0].Rate} }, []any{false, 0.5}},
		{"chaos inherits its faults and rate", "defaults: {chaos: {rate: 0.2, seed: 7, faults: [{error: transient}, {latency: 50ms, rate: 1}]}}\ndependencies: {d: {chaos: {enabled: true}}}",
			func(d policy.Dependency) any { return d.Chaos },
			policy.Chaos{Enabled: true, Rate: 0.2, Seed: 7, Seeded: true, Faults: []policy.Fault{{Error: "transient", Rate: 0.2}, {Latency: 50 * time.Millisecond, Rate: 1}}}},
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

func TestServerChaosAndFleetLimit(t *testing.T) {
	cfg, err := policy.Parse([]byte(`
server:
  rate_limit: { rate: 10, store: 'rediss://u:secret@r:6380/1', fail_closed: true }
  chaos: { enabled: true, seed: 1, faults: [{latency_median: 10ms, latency_p99: 1s}] }
`))
	require.Error(t, err, "policy/stores is not linked into this test")
	assert.Equal(t, []string{`server.rate_limit.store: needs an opener for rediss:// URLs, and none is linked in: import _ "github.com/paved-go/paved/policy/stores", got "rediss://u:[redacted]@r:6380/1"`},
		problemStrings(err), "the error names the field and the import, never the password")
	assert.Nil(t, cfg)
}

func problemStrings(err error) []string {
	var out []string
	for _, p := range policy.ProblemsOf(err) {
		out = append(out, p.Error())
	}
	return out
}

// Every validation error of the new fields, with its path and range.
func TestSectionValidationErrors(t *testing.T) {
	const p = "dependencies.d."
	const notLinked = `needs an opener for redis:// URLs, and none is linked in: import _ "github.com/paved-go/paved/policy/stores"`
	cases := []struct{ yaml, want string }{
		{dep("breaker: {per_key: host}"), p + `breaker.per_key: must be "" (one breaker) or one of operation, caller, got "host"`},
		{dep("breaker: {per_key: caller, max_keys: 0}"), p + "breaker.max_keys: must be 1..1048576, got 0"},
		{dep("breaker: {per_key: caller, idle_timeout: 10ms}"), p + "breaker.idle_timeout: must be 1s..24h, got 10ms"},
		{dep("breaker: {store: 'mysql://x/db'}"), p + `breaker.store: must be "memory" or a redis:// or rediss:// URL (opened by package policy/stores), got "mysql://x/db"`},
		{dep("breaker: {store: 'redis://x/0'}"), p + "breaker.store: " + notLinked + `, got "redis://x/0"`},
		{dep("rate_limit: {store: 'redis:x'}"), p + `rate_limit.store: must be "memory" or a redis:// or rediss:// URL (opened by package policy/stores), got "redis:x"`},
		{dep("rate_limit: {key: 'a\"b'}"), p + `rate_limit.key: must be 1..64 printable ASCII characters, without '"' or '\', got "a\"b"`},
		{dep("fallback: {outcomes: []}"), p + "fallback.outcomes: must name at least one of transient, overload, fault, permanent, canceled, rejected, got []"},
		{dep("fallback: {outcomes: [transient, success]}"), p + `fallback.outcomes[1]: must be one of transient, overload, fault, permanent, canceled, rejected, got "success"`},
		{dep("fallback: {stale: {max_age: 0s}}"), p + "fallback.stale.max_age: must be 1ms..8760h, got 0s"},
		{dep("fallback: {stale: {max_entries: 0}}"), p + "fallback.stale.max_entries: must be 1..1000000, got 0"},
		{dep("fallback: {stale: {max_body: 0}}"), p + "fallback.stale.max_body: must be 1..1073741824, got 0"},
		{dep("fallback: {outcomes: fault}"), p + "fallback.outcomes: must be a list, got fault"},
		{dep("chaos: {rate: 2}"), p + "chaos.rate: must be 0..1, got 2"},
		{dep("chaos: {enabled: true}"), p + "chaos.faults: must list at least one fault when chaos is enabled, got []"},
		{dep("chaos: {faults: [{}]}"), p + "chaos.faults[0]: must set exactly one fault: error, latency, latency_median with latency_p99, hang: true, http_status, grpc_code or reset: true, got 0 set"},
		{dep("chaos: {faults: [{hang: true, latency: 1s}]}"), p + "chaos.faults[0]: must set exactly one fault: error, latency, latency_median with latency_p99, hang: true, http_status, grpc_code or reset: true, got 2 set"},
		{dep("chaos: {faults: [{error: boom}]}"), p + `chaos.faults[0].error: must be one of transient, overload, fault, permanent, got "boom"`},
		{dep("chaos: {faults: [{latency: -1s}]}"), p + "chaos.faults[0].latency: must be more than 0s and at most 1h, got -1s"},
		{dep("chaos: {faults: [{latency_median: 1s, latency_p99: 10ms}]}"), p + "chaos.faults[0].latency_p99: must be at least latency_median (1s) and at most 1h, got 10ms"},
		{dep("chaos: {faults: [{hang: true, rate: -0.1}]}"), p + "chaos.faults[0].rate: must be 0..1, got -0.1"},
		{dep("chaos: {faults: [{hang: true, typo: 1}]}"), p + "chaos.faults[0].typo: unknown key (known: error, grpc_code, hang, http_status, latency, latency_median, latency_p99, pushback, rate, reset, retry_after)"},
		{dep("chaos: {faults: [{reset: true, http_status: 503}]}"), p + "chaos.faults[0]: must set exactly one fault: error, latency, latency_median with latency_p99, hang: true, http_status, grpc_code or reset: true, got 2 set"},
		{dep("chaos: {faults: [{http_status: 302}]}"), p + "chaos.faults[0].http_status: must be 400..599, got 302"},
		{dep("chaos: {faults: [{http_status: 503, retry_after: 2h}]}"), p + "chaos.faults[0].retry_after: must be 0s..1h, got 2h"},
		{dep("chaos: {faults: [{reset: true, retry_after: 1s}]}"), p + "chaos.faults[0].retry_after: is set only with http_status, got 1s"},
		{dep("chaos: {faults: [{grpc_code: ok}]}"), p + `chaos.faults[0].grpc_code: must be a gRPC status code other than ok, by name: cancelled, unknown, invalid_argument, deadline_exceeded, not_found, already_exists, permission_denied, resource_exhausted, failed_precondition, aborted, out_of_range, unimplemented, internal, unavailable, data_loss, unauthenticated, got "ok"`},
		{dep("chaos: {faults: [{grpc_code: unavailable, pushback: -2h}]}"), p + "chaos.faults[0].pushback: must be -1h..1h, got -2h"},
		{dep("chaos: {faults: [{http_status: 503, pushback: 1s}]}"), p + "chaos.faults[0].pushback: is set only with grpc_code, got 1s"},
		{"server: {rate_limit: {key: x}}", `server.rate_limit.key: must not be set: the server's limit is per caller (server.caller_key), got "x"`},
		{"server: {chaos: {enabled: true, faults: [{error: fault, rate: 3}]}}", "server.chaos.faults[0].rate: must be 0..1, got 3"},
		{"server: {idempotency: {store: 'redis://x/0'}}", "server.idempotency.store: " + notLinked + `, got "redis://x/0"`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			assert.Equal(t, []string{c.want}, problems(t, c.yaml))
		})
	}
}

// Problems of list items carry their line.
func TestListItemLines(t *testing.T) {
	_, err := policy.Parse([]byte("dependencies:\n  d:\n    chaos:\n      faults:\n        - {hang: true}\n        - {error: boom}\n"))
	ps := policy.ProblemsOf(err)
	require.Len(t, ps, 1)
	assert.Equal(t, "dependencies.d.chaos.faults[1].error", ps[0].Path)
	assert.Equal(t, 6, ps[0].Line)
}
