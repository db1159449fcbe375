package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/paved-go/paved/policy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExampleFileIsValid(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, ""))
	got := out.String()
	for _, want := range []string{
		"payments:\n  timeout  total 10s, attempt 500ms\n  retry    2 attempts, backoff 100ms..5s full jitter, budget 0.1/call, 10/s floor, 50 saved\n",
		"search:\n  timeout  total 3s, attempt 1s\n  hedge    up to 1, after p95 of recent latency (50ms until 100 samples)\n",
		"ledger:\n  timeout  total 1m0s, attempt 20s\n  retry    5 attempts, backoff 1s..30s decorrelated jitter, no budget\n",
		"or 10 in a row, open 2s",
		"server orders-api:\n  deadline X-Envoy-Expected-Rq-Timeout-Ms, at most 30s\n",
		"; one per operation, up to 1024, dropped after 10m0s idle\n",
		"  breaker  opens at 50% of 20 calls in 10s, open 5s; fleet-wide in redis://127.0.0.1:6379/0, synced every 200ms\n",
		"  limit    20/s, burst 20, wait 0s; fleet-wide in redis://127.0.0.1:6379/0 (key vendor-api), at 5/s each of 4 replicas while it cannot decide\n",
		"  fallback HTTP GETs answered by their last good copy (up to 10m0s old, 1000 URLs, 1048576 bytes each) on transient, overload, fault, rejected\n",
		"  chaos    off (enabled: false), ready to inject:\n           error transient at 1%\n",
		"           HTTP 503 with Retry-After 1s (HTTP only) at 1%\n           gRPC unavailable with pushback 200ms (gRPC only) at 1%\n           connection reset (HTTP and gRPC) at 0.1%\n",
		"fleet stores (one client per URL, shared by its policies):\n  redis://127.0.0.1:6379/0: vendor breaker, vendor rate_limit\n",
		"chaos: off everywhere\n",
	} {
		assert.Contains(t, got, want)
	}
}

// The example file sets every field policy reads, so it is the reference a
// platform team copies.
func TestExampleFileSetsEverySection(t *testing.T) {
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(example, &root))
	paths := map[string]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind == yaml.DocumentNode {
			walk(n.Content[0], path)
			return
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p := k
			if path != "" {
				p = path + "." + k
			}
			// Dependencies' fields count as the section's fields.
			if strings.HasPrefix(p, "dependencies.") {
				if parts := strings.SplitN(p, ".", 3); len(parts) == 3 {
					paths["dependency."+parts[2]] = true
				}
			} else if strings.HasPrefix(p, "defaults.") {
				paths["dependency."+strings.TrimPrefix(p, "defaults.")] = true
			}
			paths[p] = true
			walk(n.Content[i+1], p)
		}
	}
	walk(&root, "")
	for _, want := range []string{
		"dependency.timeout.total", "dependency.timeout.attempt",
		"dependency.retry.max_attempts", "dependency.retry.min_attempt_time",
		"dependency.retry.backoff.base", "dependency.retry.backoff.max", "dependency.retry.backoff.jitter",
		"dependency.retry.budget.enabled", "dependency.retry.budget.ratio", "dependency.retry.budget.min_per_second", "dependency.retry.budget.capacity",
		"dependency.hedge.enabled", "dependency.hedge.adaptive", "dependency.hedge.delay", "dependency.hedge.quantile",
		"dependency.hedge.min_samples", "dependency.hedge.max_hedges", "dependency.hedge.max_pushback", "dependency.hedge.budget.ratio",
		"dependency.breaker.enabled", "dependency.breaker.failure_ratio", "dependency.breaker.min_requests", "dependency.breaker.window",
		"dependency.breaker.consecutive_failures", "dependency.breaker.open_for", "dependency.breaker.jitter",
		"dependency.breaker.half_open_requests", "dependency.breaker.slow_call_threshold", "dependency.breaker.count_overload",
		"dependency.bulkhead.enabled", "dependency.bulkhead.max_concurrent", "dependency.bulkhead.max_wait", "dependency.bulkhead.max_queue",
		"dependency.bulkhead.adaptive", "dependency.bulkhead.algorithm", "dependency.bulkhead.initial_limit", "dependency.bulkhead.min_limit", "dependency.bulkhead.max_limit",
		"dependency.rate_limit.enabled", "dependency.rate_limit.rate", "dependency.rate_limit.burst", "dependency.rate_limit.max_wait", "dependency.rate_limit.server_feedback",
		"dependency.throttle.enabled", "dependency.throttle.k", "dependency.throttle.window", "dependency.throttle.max_reject_probability", "dependency.throttle.min_rate",
		"dependency.breaker.per_key", "dependency.breaker.max_keys", "dependency.breaker.idle_timeout",
		"dependency.breaker.store", "dependency.breaker.key_prefix", "dependency.breaker.sync_period",
		"dependency.rate_limit.store", "dependency.rate_limit.key_prefix", "dependency.rate_limit.key", "dependency.rate_limit.fail_closed",
		"dependency.rate_limit.replicas", "dependency.rate_limit.decision_timeout", "dependency.rate_limit.store_retry",
		"dependency.fallback.enabled", "dependency.fallback.outcomes", "dependency.fallback.stale.max_age",
		"dependency.fallback.stale.max_entries", "dependency.fallback.stale.max_body",
		"dependency.chaos.enabled", "dependency.chaos.rate", "dependency.chaos.seed", "dependency.chaos.faults",
		"server.chaos.enabled", "server.chaos.faults",
		"server.rate_limit.rate", "server.rate_limit.burst", "server.rate_limit.max_keys",
		"server.load_shed.algorithm", "server.load_shed.initial_limit", "server.load_shed.min_limit", "server.load_shed.max_limit",
		"server.load_shed.max_queue", "server.load_shed.codel_target", "server.load_shed.codel_interval", "server.load_shed.retry_after",
		"server.idempotency.store", "server.idempotency.lease", "server.idempotency.retention", "server.idempotency.store_timeout",
		"server.idempotency.max_stored_bytes", "server.idempotency.fail_open", "server.idempotency.required",
		"server.name", "server.deadline.header", "server.deadline.max", "server.caller_key.header", "server.caller_key.metadata",
	} {
		assert.True(t, paths[want], "the example file does not set %s", want)
	}
}

// Every dependency of the example file builds, in the paved order.
func TestExampleFileBuilds(t *testing.T) {
	cfg, err := policy.Parse(example)
	require.NoError(t, err)
	set := policy.New(cfg)
	defer func() { require.NoError(t, set.Close()) }() // the fleet breaker's sync, the Redis clients
	for _, name := range append(cfg.Names(), "unknown") {
		assert.Equal(t, name, set.Pipeline(name).Name())
	}
	assert.Equal(t, "orders-api", set.ServerPipeline().Name())
}

// A file with chaos switched on says where, and a store's password is not
// printed.
func TestChaosOnAndStorePassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "on.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
dependencies:
  a: {chaos: {enabled: true, faults: [{reset: true}]}, breaker: {store: 'redis://u:hunter2@cache:6379/1'}}
  b: {rate_limit: {store: 'redis://u:hunter2@cache:6379/1', fail_closed: true}}
server: {chaos: {enabled: true, faults: [{grpc_code: resource_exhausted, pushback: -1ms}]}}
`), 0o600))
	var out bytes.Buffer
	require.NoError(t, run(&out, path))
	got := out.String()
	assert.Contains(t, got, "  chaos    ON, injecting:\n           connection reset (HTTP and gRPC) at 0.1%\n")
	assert.Contains(t, got, "gRPC resource_exhausted with pushback -1ms (gRPC only)")
	assert.Contains(t, got, "  redis://u:xxxxx@cache:6379/1: a breaker, b rate_limit\n")
	assert.Contains(t, got, "refusing while it cannot decide")
	assert.Contains(t, got, "chaos: ON for a, server\n")
	assert.NotContains(t, got, "hunter2")
}

func TestInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("dependencies:\n  payments:\n    retry: {max_attempts: 0}\n"), 0o600))
	err := run(&bytes.Buffer{}, path)
	assert.EqualError(t, err, path+": invalid paved policy configuration:\n  line 3: dependencies.payments.retry.max_attempts: must be 1..10, got 0")
}
