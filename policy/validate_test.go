package policy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/policy"
)

// problems parses yaml and returns its problems as "path: rule, got value".
func problems(t *testing.T, yaml string) []string {
	t.Helper()
	cfg, err := policy.Parse([]byte(yaml))
	if err == nil {
		require.NotNil(t, cfg)
		return nil
	}
	require.Nil(t, cfg)
	var out []string
	for _, p := range policy.ProblemsOf(err) {
		out = append(out, p.Error())
	}
	require.NotEmpty(t, out, "an error without problems: %v", err)
	return out
}

// dep wraps a dependency section under dependencies.d.
func dep(section string) string {
	var b strings.Builder
	b.WriteString("dependencies:\n  d:\n")
	for _, l := range strings.Split(strings.TrimSpace(section), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

func TestEveryValidationError(t *testing.T) {
	const p = "dependencies.d."
	cases := []struct {
		yaml string
		want string
	}{
		{dep("timeout: {total: 0s}"), p + "timeout.total: must be 1ms..24h, got 0s"},
		{dep("timeout: {total: 25h}"), p + "timeout.total: must be 1ms..24h, got 25h"},
		{dep("timeout: {attempt: 0s}"), p + "timeout.attempt: must be 1ms..24h, got 0s"},
		{dep("timeout: {total: 1s, attempt: 2s}"), p + "timeout.attempt: must be at most timeout.total (1s), got 2s"},
		{dep("retry: {max_attempts: 0}"), p + "retry.max_attempts: must be 1..10, got 0"},
		{dep("retry: {max_attempts: 11}"), p + "retry.max_attempts: must be 1..10, got 11"},
		{dep("retry: {backoff: {base: 0s}}"), p + "retry.backoff.base: must be 1ms..1h, got 0s"},
		{dep("retry: {backoff: {max: 2h}}"), p + "retry.backoff.max: must be 1ms..1h, got 2h"},
		{dep("retry: {backoff: {base: 1s, max: 500ms}}"), p + "retry.backoff.max: must be at least retry.backoff.base (1s), got 500ms"},
		{dep("retry: {backoff: {jitter: random}}"), p + `retry.backoff.jitter: must be one of full, equal, decorrelated, none, got "random"`},
		{dep("retry: {min_attempt_time: -1s}"), p + "retry.min_attempt_time: must be 0s..1h, got -1s"},
		{dep("retry: {budget: {ratio: 1.5}}"), p + "retry.budget.ratio: must be 0..1, got 1.5"},
		{dep("retry: {budget: {min_per_second: 1001}}"), p + "retry.budget.min_per_second: must be 0..1000, got 1001"},
		{dep("retry: {budget: {capacity: 0}}"), p + "retry.budget.capacity: must be 1..1e+06, got 0"},
		{dep("hedge: {delay: 0s}"), p + "hedge.delay: must be 1ms..1h, got 0s"},
		{dep("hedge: {delay: 3s}"), p + "hedge.delay: must be less than timeout.attempt (2s), or no hedge starts before the attempt times out, got 3s"},
		{dep("hedge: {quantile: 1}"), p + "hedge.quantile: must be in (0, 1), got 1"},
		{dep("hedge: {quantile: 0}"), p + "hedge.quantile: must be in (0, 1), got 0"},
		{dep("hedge: {min_samples: 513}"), p + "hedge.min_samples: must be 1..512, got 513"},
		{dep("hedge: {max_hedges: 5}"), p + "hedge.max_hedges: must be 1..4, got 5"},
		{dep("hedge: {max_pushback: 0s}"), p + "hedge.max_pushback: must be 1ms..1h, got 0s"},
		{dep("hedge: {budget: {ratio: -0.1}}"), p + "hedge.budget.ratio: must be 0..1, got -0.1"},
		{dep("breaker: {failure_ratio: 0}"), p + "breaker.failure_ratio: must be in (0, 1], got 0"},
		{dep("breaker: {failure_ratio: 1.1}"), p + "breaker.failure_ratio: must be in (0, 1], got 1.1"},
		{dep("breaker: {min_requests: 0}"), p + "breaker.min_requests: must be 1..1000000, got 0"},
		{dep("timeout: {attempt: 1ms}\nbreaker: {window: 5ms}"), p + "breaker.window: must be 10ms..1h, got 5ms"},
		{dep("breaker: {window: 3s}"), p + "breaker.window: must be at least 2 x timeout.attempt (4s), so a window sees whole attempts, got 3s"},
		{dep("breaker: {consecutive_failures: -1}"), p + "breaker.consecutive_failures: must be 0..1000000, got -1"},
		{dep("breaker: {open_for: 2h}"), p + "breaker.open_for: must be 1ms..1h, got 2h"},
		{dep("breaker: {jitter: 0.6}"), p + "breaker.jitter: must be 0..0.5, got 0.6"},
		{dep("breaker: {half_open_requests: 0}"), p + "breaker.half_open_requests: must be 1..1000, got 0"},
		{dep("breaker: {slow_call_threshold: -1ms}"), p + "breaker.slow_call_threshold: must be 0s..1h, got -1ms"},
		{"server: {name: ''}", `server.name: must not be empty, got ""`},
		{"server: {deadline: {header: 'a b'}}", "server.deadline.header: must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), got \"a b\""},
		{"server: {deadline: {max: 0s}}", "server.deadline.max: must be 1ms..24h, got 0s"},
		{"server: {caller_key: {header: 'x:y'}}", "server.caller_key.header: must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), got \"x:y\""},
		{"server: {caller_key: {metadata: X-Tenant}}", `server.caller_key.metadata: must be a gRPC metadata key (lower-case letters, digits, '-', '_' and '.', not starting with grpc-), got "X-Tenant"`},
		{"server: {caller_key: {metadata: grpc-x}}", `server.caller_key.metadata: must be a gRPC metadata key (lower-case letters, digits, '-', '_' and '.', not starting with grpc-), got "grpc-x"`},
		// Decoding.
		{dep("retry: {max_atempts: 3}"), p + "retry.max_atempts: unknown key (known: backoff, budget, max_attempts, min_attempt_time)"},
		{"default: {}", "default: unknown key (known: defaults, dependencies, server)"},
		{dep("timeout: {total: 5}"), p + "timeout.total: must be a Go duration with a unit, such as 5s or 5ms, got 5"},
		{dep("timeout: {total: soon}"), p + "timeout.total: must be a Go duration such as 250ms or 2s, got soon"},
		{dep("timeout: {total: [1s]}"), p + "timeout.total: must be a Go duration such as 250ms or 2s, got a list"},
		{dep("retry: {max_attempts: three}"), p + "retry.max_attempts: must be an integer, got three"},
		{dep("retry: {max_attempts: 2.5}"), p + "retry.max_attempts: must be an integer, got 2.5"},
		{dep("retry: {budget: {ratio: lots}}"), p + "retry.budget.ratio: must be a number, got lots"},
		{dep("breaker: {enabled: yes}"), p + "breaker.enabled: must be true or false, got yes"},
		{dep("retry: {backoff: {jitter: 3}}"), p + "retry.backoff.jitter: must be a string, got 3"},
		{dep("retry: 3"), p + "retry: must be a mapping, got 3"},
		{"dependencies: [a, b]", "dependencies: must be a mapping, got a list"},
		{"dependencies:\n  'bad name': {}", "dependencies.bad name: names must be 1..63 letters, digits, '-', '_' or '.', starting with a letter or digit, got bad name"},
		{"dependencies:\n  a: {}\n  a: {}", "dependencies.a: given twice"},
		{"defaults:\n  retry: {max_attempts: 2}\n  retry: {max_attempts: 3}", "defaults.retry: given twice"},
		{"? [a]\n: 1", "?: keys must be plain names, got a list"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			assert.Equal(t, []string{c.want}, problems(t, c.yaml))
		})
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	got := problems(t, `
defaults:
  retry: {max_attempts: 0}
dependencies:
  payments:
    timeout: {total: 1s, attempt: 2s}
    retry: {backoff: {jitter: random}, max_atempts: 2}
  search:
    breaker: {window: 1s}
    timeout: {total: abc}
`)
	assert.Equal(t, []string{
		"defaults.retry.max_attempts: must be 1..10, got 0",                                 // line 3
		"dependencies.payments.timeout.attempt: must be at most timeout.total (1s), got 2s", // 6
		"dependencies.payments.retry.max_atempts: unknown key (known: backoff, budget, max_attempts, min_attempt_time)",
		`dependencies.payments.retry.backoff.jitter: must be one of full, equal, decorrelated, none, got "random"`,               // 7, both
		"dependencies.search.breaker.window: must be at least 2 x timeout.attempt (4s), so a window sees whole attempts, got 1s", // 9
		"dependencies.search.timeout.total: must be a Go duration such as 250ms or 2s, got abc",                                  // 10
	}, got, "in the order of the file; a problem inherited from defaults is reported once, under defaults")
}

// Problems are listed by line, whatever order they were found in: here a
// decoding problem (line 7) is found before the validation ones (3, 5).
func TestProblemsInFileOrder(t *testing.T) {
	_, err := policy.Parse([]byte("dependencies:\n  b:\n    retry: {max_attempts: 0}\n  a:\n    retry: {max_attempts: 99}\ndefaults:\n  timeout: {total: x}\n"))
	var lines []int
	for _, p := range policy.ProblemsOf(err) {
		lines = append(lines, p.Line)
	}
	assert.True(t, slices.IsSorted(lines), "lines %v", lines)
	assert.Len(t, lines, 3)
}

func TestProblemLines(t *testing.T) {
	_, err := policy.Parse([]byte("dependencies:\n  payments:\n    retry:\n      max_attempts: 0\n"))
	ps := policy.ProblemsOf(err)
	require.Len(t, ps, 1)
	assert.Equal(t, policy.Problem{Path: "dependencies.payments.retry.max_attempts", Line: 4, Value: "0", Rule: "must be 1..10"}, ps[0])
	assert.Equal(t, "invalid paved policy configuration:\n  line 4: dependencies.payments.retry.max_attempts: must be 1..10, got 0", err.Error())
	var p policy.Problem
	assert.ErrorAs(t, err, &p, "errors.As finds a Problem")
}

func TestCrossFieldProblemAtTheFieldTheDependencySet(t *testing.T) {
	// The dependency set only the total; the attempt timeout it breaks is
	// the default's, so the problem is reported where the change was made.
	got := problems(t, dep("timeout: {total: 1s}"))
	assert.Equal(t, []string{"dependencies.d.timeout.total: must be at least timeout.attempt (2s), got 1s"}, got)
	got = problems(t, "defaults:\n  timeout: {attempt: 6s}\n")
	assert.Equal(t, []string{"defaults.timeout.attempt: must be at most half of breaker.window (5s), so a window sees whole attempts, got 6s"}, got)
	got = problems(t, dep("timeout: {total: 1s, attempt: 2s}"))
	assert.Equal(t, []string{"dependencies.d.timeout.attempt: must be at most timeout.total (1s), got 2s"}, got, "both set: the rule's own field")
}

func TestCrossFieldRulesOnlyForEnabledPolicies(t *testing.T) {
	assert.Nil(t, problems(t, dep("breaker: {enabled: false, window: 1s}")), "a disabled breaker's window need not cover attempts")
	assert.Nil(t, problems(t, dep("hedge: {enabled: false, delay: 5s}")))
}

func TestFileLimits(t *testing.T) {
	big := strings.Repeat("#", 1<<20+1)
	assert.Equal(t, []string{"the file must be at most 1048576 bytes, got 1048577"}, trimPaths(problems(t, big)))
	got := problems(t, "a: [\n")
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "must be valid YAML")
	assert.Equal(t, []string{": must be valid YAML: the file must hold one YAML document, found a second"}, problems(t, "defaults: {}\n---\ndefaults: {}\n"))
}

func trimPaths(ps []string) []string {
	for i, p := range ps {
		ps[i] = strings.TrimPrefix(p, ": ")
	}
	return ps
}

func TestAliasesAreFollowed(t *testing.T) {
	cfg, err := policy.Parse([]byte(`
defaults:
  timeout: &fast {total: 3s, attempt: 1s}
dependencies:
  a: {timeout: *fast, retry: {max_attempts: 2}}
  b: &b {breaker: {enabled: false}}
  c: *b
`))
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, cfg.Dependencies["a"].Timeout.Total)
	assert.False(t, cfg.Dependencies["c"].Breaker.Enabled)
	assert.Equal(t, 3*time.Second, cfg.Dependencies["c"].Timeout.Total, "c inherits defaults, though it is an alias of b")
}

func TestAdmissionValidationErrors(t *testing.T) {
	const p = "dependencies.d."
	cases := []struct{ yaml, want string }{
		{dep("bulkhead: {max_concurrent: 0}"), p + "bulkhead.max_concurrent: must be 1..1000000, got 0"},
		{dep("bulkhead: {max_wait: 2m}"), p + "bulkhead.max_wait: must be 0s..1m, got 2m"},
		{dep("bulkhead: {max_queue: -2}"), p + "bulkhead.max_queue: must be 0..1000000, got -2"},
		{dep("bulkhead: {adaptive: true, algorithm: magic}"), p + `bulkhead.algorithm: must be one of gradient2, vegas, aimd, got "magic"`},
		{dep("bulkhead: {adaptive: true, initial_limit: 500}"), p + "bulkhead.initial_limit: must be 1..200, got 500"},
		{dep("rate_limit: {rate: 0}"), p + "rate_limit.rate: must be in (0, 1e+09], got 0"},
		{dep("rate_limit: {burst: 0}"), p + "rate_limit.burst: must be 1..1000000000, got 0"},
		{dep("rate_limit: {max_wait: 2h}"), p + "rate_limit.max_wait: must be 0s..1h, got 2h"},
		{dep("throttle: {k: 0.5}"), p + "throttle.k: must be 1..10, got 0.5"},
		{dep("throttle: {window: 10ms}"), p + "throttle.window: must be 1s..1h, got 10ms"},
		{dep("throttle: {max_reject_probability: 2}"), p + "throttle.max_reject_probability: must be 0..1, got 2"},
		{"server: {load_shed: {max_queue: 100001}}", "server.load_shed.max_queue: must be 0..100000, got 100001"},
		{"server: {load_shed: {codel_target: 200ms}}", "server.load_shed.codel_target: must be more than 0 and less than server.load_shed.codel_interval (100ms), got 200ms"},
		{"server: {rate_limit: {max_keys: 0}}", "server.rate_limit.max_keys: must be 1..16777216, got 0"},
		{"server: {rate_limit: {max_wait: 1s}}", "server.rate_limit.max_wait: must be 0s: a server answers a caller over its limit with 429 at once, got 1s"},
		{"server: {idempotency: {store: 'mysql://u:secret@x/db'}}", `server.idempotency.store: must be "memory" or a redis://, rediss://, postgres:// or postgresql:// URL (opened by package policy/stores), got "mysql://u:[redacted]@x/db"`},
		{"server: {idempotency: {store: 'redis:x'}}", `server.idempotency.store: must be "memory" or a redis://, rediss://, postgres:// or postgresql:// URL (opened by package policy/stores), got "redis:x"`},
		{"server: {idempotency: {lease: 2m, retention: 1m}}", "server.idempotency.retention: must be 2m..8760h, got 1m"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			assert.Equal(t, []string{c.want}, problems(t, c.yaml))
		})
	}
}

// A rule between two fields is reported at the field the section set, with
// its line, when the other was inherited (docs/policy.md, "Errors"); a
// latency fault missing half of its pair is reported at the half it has.
func TestProblemsAtTheFieldSet(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"defaults:\n  breaker: {per_key: caller}\ndependencies:\n  d:\n    breaker: {store: 'redis://127.0.0.1:6379/0'}\n",
			`line 5: dependencies.d.breaker.store: must be "memory" while breaker.per_key is set ("caller"): the fleet shares one breaker per dependency, got "redis://127.0.0.1:6379/0"`},
		{"defaults:\n  timeout: {attempt: 2s}\ndependencies:\n  d:\n    timeout: {total: 1s}\n",
			`line 5: dependencies.d.timeout.total: must be at least timeout.attempt (2s), got 1s`},
		{"defaults:\n  retry: {backoff: {max: 1s}}\ndependencies:\n  d:\n    retry: {backoff: {base: 2s}}\n",
			`line 5: dependencies.d.retry.backoff.base: must be at most retry.backoff.max (1s), got 2s`},
		{"defaults:\n  hedge: {delay: 500ms}\ndependencies:\n  d:\n    timeout: {attempt: 400ms}\n",
			`line 5: dependencies.d.timeout.attempt: must be more than hedge.delay (500ms), or no hedge starts before the attempt times out, got 400ms`},
		{"defaults:\n  breaker: {window: 2s}\n  timeout: {attempt: 1s}\ndependencies:\n  d:\n    timeout: {attempt: 1500ms}\n",
			`line 6: dependencies.d.timeout.attempt: must be at most half of breaker.window (1s), so a window sees whole attempts, got 1.5s`},
		{"defaults:\n  rate_limit: {max_wait: 2s}\ndependencies:\n  d:\n    rate_limit: {store: 'redis://127.0.0.1:6379/0'}\n",
			`line 5: dependencies.d.rate_limit.store: must be "memory" while rate_limit.max_wait is more than 0s (2s): the fleet-wide limit refuses at once, got "redis://127.0.0.1:6379/0"`},
		{"defaults:\n  rate_limit: {server_feedback: true}\ndependencies:\n  d:\n    rate_limit: {store: 'redis://127.0.0.1:6379/0'}\n",
			`line 5: dependencies.d.rate_limit.store: must be "memory" while rate_limit.server_feedback is true: the fleet-wide limit does not follow the server's RateLimit fields, got "redis://127.0.0.1:6379/0"`},
		{"dependencies:\n  d:\n    chaos:\n      faults:\n        - latency_median: 10ms\n",
			`line 5: dependencies.d.chaos.faults[0].latency_median: must come with latency_p99 (latency_median ≤ latency_p99 ≤ 1h), got 10ms`},
		{"dependencies:\n  d:\n    chaos:\n      faults:\n        - latency_p99: 10ms\n",
			`line 5: dependencies.d.chaos.faults[0].latency_p99: must come with latency_median (0s < latency_median ≤ latency_p99), got 10ms`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			refusingLimits(t)
			_, err := policy.Parse([]byte(c.yaml))
			require.Error(t, err)
			assert.Equal(t, "invalid paved policy configuration:\n  "+c.want, err.Error())
		})
	}
}

// The gaps the review found: each now a problem with its path and range,
// or, for the seed, the whole uint64 range accepted.
func TestValidationGapsClosed(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{dep(`rate_limit: {key: ""}`), `dependencies.d.rate_limit.key: must be 1..64 printable ASCII characters, without '"' or '\', got ""`},
		{`defaults: {rate_limit: {key: ""}}`, `defaults.rate_limit.key: must be 1..64 printable ASCII characters, without '"' or '\', got ""`},
		{"server: {rate_limit: {server_feedback: true}}", "server.rate_limit.server_feedback: must be false: the server's limit sends the RateLimit fields, and following them is a dependency's rate_limit's job, got true"},
		{dep("fallback: {enabled: false, outcomes: [bogus]}"), `dependencies.d.fallback.outcomes[0]: must be one of transient, overload, fault, permanent, canceled, rejected, got "bogus"`},
		{dep("chaos: {seed: -1}"), "dependencies.d.chaos.seed: must be an integer 0..18446744073709551615, got -1"},
		{dep("chaos: {seed: 18446744073709551616}"), "dependencies.d.chaos.seed: must be an integer 0..18446744073709551615, got 18446744073709551616"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			assert.Equal(t, []string{c.want}, problems(t, c.yaml))
		})
	}
	cfg := mustParse(t, dep("chaos: {seed: 18446744073709551615}"))
	assert.Equal(t, uint64(18446744073709551615), cfg.Dependencies["d"].Chaos.Seed)
}
