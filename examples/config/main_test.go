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
		"server.name", "server.deadline.header", "server.deadline.max", "server.caller_key.header", "server.caller_key.metadata",
	} {
		assert.True(t, paths[want], "the example file does not set %s", want)
	}
}

func TestInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("dependencies:\n  payments:\n    retry: {max_attempts: 0}\n"), 0o600))
	err := run(&bytes.Buffer{}, path)
	assert.EqualError(t, err, path+": invalid paved policy configuration:\n  line 3: dependencies.payments.retry.max_attempts: must be 1..10, got 0")
}
