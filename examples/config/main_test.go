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

func TestInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("dependencies:\n  payments:\n    retry: {max_attempts: 0}\n"), 0o600))
	err := run(&bytes.Buffer{}, path)
	assert.EqualError(t, err, path+": invalid paved policy configuration:\n  line 3: dependencies.payments.retry.max_attempts: must be 1..10, got 0")
}
