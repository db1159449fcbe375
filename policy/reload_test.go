package policy_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

func TestReloadChangesPipelines(t *testing.T) {
	s := policy.New(mustParse(t, fastRetries))
	p := s.Pipeline("payments")
	op, attempts := failing(10)
	require.Error(t, p.Run(context.Background(), op))
	assert.Equal(t, int64(2), attempts.Load())

	require.NoError(t, s.Reload([]byte(`
defaults:
  retry: {backoff: {base: 1ms, max: 2ms}, budget: {enabled: false}}
  breaker: {enabled: false}
dependencies:
  payments:
    retry: {max_attempts: 4}
`)))
	attempts.Store(0)
	require.Error(t, p.Run(context.Background(), op), "the same Pipeline, the new configuration")
	assert.Equal(t, int64(4), attempts.Load())
	assert.Equal(t, 4, s.Config().Dependencies["payments"].Retry.MaxAttempts)
}

func TestBadReloadKeepsTheOldConfig(t *testing.T) {
	log, tel := telemetrytest.New()
	s := policy.New(mustParse(t, fastRetries), policy.WithTelemetry(tel))
	before := s.Config()
	p := s.Pipeline("payments")

	err := s.Reload([]byte("dependencies:\n  payments:\n    retry: {max_attempts: 0}\n"))
	require.Error(t, err)
	assert.Equal(t, []policy.Problem{{Path: "dependencies.payments.retry.max_attempts", Line: 3, Value: "0", Rule: "must be 1..10"}}, policy.ProblemsOf(err))
	assert.Same(t, before, s.Config(), "the old configuration stays in force")
	assert.Equal(t, 1, log.Count(telemetry.EventConfigRejected))
	assert.Equal(t, "1", log.Events(telemetry.EventConfigRejected)[0].Attrs[telemetry.AttrProblems])
	assert.Equal(t, "line 3: dependencies.payments.retry.max_attempts: must be 1..10",
		log.Events(telemetry.EventConfigRejected)[0].Attrs[telemetry.AttrProblem], "the event says what is wrong, never the value")

	op, attempts := failing(10)
	require.Error(t, p.Run(context.Background(), op))
	assert.Equal(t, int64(2), attempts.Load(), "still max_attempts 2")
	assert.Equal(t, 0, log.Count(telemetry.EventConfigReloaded))

	require.NoError(t, s.Reload([]byte(fastRetries)))
	assert.Equal(t, 1, log.Count(telemetry.EventConfigReloaded))
	assert.Error(t, s.Apply(nil))
}

// An open breaker stays open across a reload that does not change it, and a
// reload that changes it starts a new one.
func TestReloadKeepsBreakerState(t *testing.T) {
	cfg := func(total, openFor string) []byte {
		return []byte(fmt.Sprintf(`
dependencies:
  db:
    timeout: {total: %s}
    retry: {max_attempts: 1}
    breaker: {consecutive_failures: 2, open_for: %s}
`, total, openFor))
	}
	s := policy.New(nil)
	require.NoError(t, s.Reload(cfg("10s", "1m")))
	p := s.Pipeline("db")
	op, _ := failing(10)
	for range 2 {
		require.ErrorIs(t, p.Run(context.Background(), op), errFlaky)
	}
	require.ErrorIs(t, p.Run(context.Background(), op), breaker.ErrOpen)

	require.NoError(t, s.Reload(cfg("9s", "1m")))
	assert.ErrorIs(t, p.Run(context.Background(), op), breaker.ErrOpen, "breaker settings unchanged: still open")

	require.NoError(t, s.Reload(cfg("9s", "2m")))
	assert.ErrorIs(t, p.Run(context.Background(), op), errFlaky, "breaker settings changed: a new, closed breaker")
}

// A retry budget keeps its spent tokens across a reload that does not
// change the retry section.
func TestReloadKeepsRetryBudget(t *testing.T) {
	cfg := func(total, capacity string) []byte {
		return []byte(fmt.Sprintf(`
dependencies:
  db:
    timeout: {total: %s}
    retry: {max_attempts: 2, backoff: {base: 1ms, max: 1ms}, budget: {ratio: 0, min_per_second: 0, capacity: %s}}
    breaker: {enabled: false}
`, total, capacity))
	}
	s := policy.New(nil)
	require.NoError(t, s.Reload(cfg("10s", "1")))
	p := s.Pipeline("db")
	op, attempts := failing(10)
	runs := func() int64 {
		attempts.Store(0)
		_ = p.Run(context.Background(), op)
		return attempts.Load()
	}
	assert.Equal(t, int64(2), runs(), "the budget's one token pays a retry")
	assert.Equal(t, int64(1), runs(), "spent")

	require.NoError(t, s.Reload(cfg("9s", "1")))
	assert.Equal(t, int64(1), runs(), "retry unchanged: the budget is still spent")

	require.NoError(t, s.Reload(cfg("9s", "2")))
	assert.Equal(t, int64(2), runs(), "retry changed: a new budget")
}

// Calls run through reloads swapping two configurations as fast as they
// can: every call succeeds, and each runs on one configuration from its
// first attempt to its last (the attempts' deadlines tell A's from B's).
func TestReloadUnderConcurrentCalls(t *testing.T) {
	const a = `
defaults:
  timeout: {total: 20s, attempt: 1s}
  retry: {max_attempts: 3, backoff: {base: 1ms, max: 1ms}, budget: {enabled: false}}
  breaker: {window: 5s, failure_ratio: 1, min_requests: 100000}
`
	const b = `
defaults:
  timeout: {total: 30s, attempt: 5s}
  retry: {max_attempts: 4, backoff: {base: 1ms, max: 1ms}, budget: {enabled: false}}
  breaker: {window: 15s, failure_ratio: 1, min_requests: 100000}
`
	s := policy.New(mustParse(t, a))
	p := s.Pipeline("dep")
	ctx, cancel := context.WithCancel(context.Background())
	var reloads atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			next := a
			switch i % 3 {
			case 1:
				next = b
			case 2:
				next = "defaults: {retry: {max_attempts: 0}}" // rejected: the old one stays
			}
			err := s.Reload([]byte(next))
			if i%3 == 2 {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
				reloads.Add(1)
			}
		}
	}()
	var calls, sawA, sawB atomic.Int64
	var cwg sync.WaitGroup
	for g := 0; g < 16; g++ {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for i := 0; i < 200; i++ {
				var kinds []bool // per attempt: true when on B's (5s) attempt timeout
				var mu sync.Mutex
				err := p.Run(context.Background(), func(ctx context.Context) error {
					d, ok := ctx.Deadline()
					if !ok {
						return paved.Permanent(fmt.Errorf("no deadline"))
					}
					mu.Lock()
					kinds = append(kinds, time.Until(d) > 2*time.Second)
					mu.Unlock()
					if paved.AttemptFrom(ctx).Number() < 3 { // both configurations allow 3 attempts
						return errFlaky
					}
					return nil
				})
				calls.Add(1)
				if !assert.NoError(t, err) {
					return
				}
				for _, k := range kinds[1:] {
					assert.Equal(t, kinds[0], k, "a call's attempts all ran on one configuration")
				}
				if kinds[0] {
					sawB.Add(1)
				} else {
					sawA.Add(1)
				}
			}
		}()
	}
	cwg.Wait()
	cancel()
	wg.Wait()
	assert.Equal(t, int64(16*200), calls.Load())
	assert.Positive(t, reloads.Load())
	t.Logf("%d calls, %d on A, %d on B, across %d reloads", calls.Load(), sawA.Load(), sawB.Load(), reloads.Load())
	assert.Positive(t, sawA.Load())
	assert.Positive(t, sawB.Load())
}

// A call in flight when the configuration changes finishes on the old one.
func TestInFlightCallFinishesOnTheOldPipeline(t *testing.T) {
	s := policy.New(mustParse(t, fastRetries))
	p := s.Pipeline("payments")
	started, reloaded := make(chan struct{}), make(chan struct{})
	var attempts atomic.Int64
	done := make(chan error)
	go func() {
		done <- p.Run(context.Background(), func(ctx context.Context) error {
			if attempts.Add(1) == 1 {
				close(started)
				<-reloaded
			}
			return errFlaky
		})
	}()
	<-started
	require.NoError(t, s.Reload([]byte("dependencies: {payments: {retry: {max_attempts: 5, backoff: {base: 1ms, max: 1ms}}}}")))
	close(reloaded)
	err := <-done
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, int64(2), attempts.Load(), "the call began under max_attempts 2 and ends under it")
}

// A reload that drops a dependency reports it once, whether the service
// uses it through Pipeline, HTTPClient or both.
func TestReloadReportsDroppedDependenciesOnce(t *testing.T) {
	log, tel := telemetrytest.New()
	s := policy.New(mustParse(t, "dependencies: {web: {}, both: {}, rpc: {}}"), policy.WithTelemetry(tel))
	defer func() { require.NoError(t, s.Close()) }()
	s.HTTPClient("web")
	s.HTTPClient("both")
	s.Pipeline("both")
	s.DialOptions("rpc")
	require.Zero(t, log.Count(telemetry.EventUnknownDependency))

	require.NoError(t, s.Reload([]byte("dependencies: {other: {}}")))
	var names []string
	for _, e := range log.Events(telemetry.EventUnknownDependency) {
		names = append(names, e.Attrs[telemetry.AttrDependency])
	}
	assert.ElementsMatch(t, []string{"web", "both", "rpc"}, names)
}
