package policy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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

var errFlaky = paved.Transient(errors.New("flaky"))

func mustParse(t *testing.T, yaml string) *policy.Config {
	t.Helper()
	cfg, err := policy.Parse([]byte(yaml))
	require.NoError(t, err)
	return cfg
}

// failing returns an op that fails its first n attempts of each call, and
// the count of attempts made.
func failing(n int) (paved.Op, *atomic.Int64) {
	var attempts atomic.Int64
	return func(ctx context.Context) error {
		attempts.Add(1)
		if paved.AttemptFrom(ctx).Number() <= n {
			return errFlaky
		}
		return nil
	}, &attempts
}

const fastRetries = `
defaults:
  retry: {backoff: {base: 1ms, max: 2ms}, budget: {enabled: false}}
  breaker: {enabled: false}
dependencies:
  payments:
    retry: {max_attempts: 2}
`

func TestPipelineIsConfigured(t *testing.T) {
	s := policy.New(mustParse(t, fastRetries))
	op, attempts := failing(10)
	err := s.Pipeline("payments").Run(context.Background(), op)
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, int64(2), attempts.Load(), "payments: max_attempts 2")
	assert.Same(t, s.Pipeline("payments"), s.Pipeline("payments"), "one pipeline per name")
	assert.Equal(t, "payments", s.Pipeline("payments").Name())
}

func TestUnknownNameGetsDefaultsAndAnEvent(t *testing.T) {
	log, tel := telemetrytest.New()
	s := policy.New(mustParse(t, fastRetries), policy.WithTelemetry(tel))
	p := s.Pipeline("search")
	evs := log.Events(telemetry.EventUnknownDependency)
	require.Len(t, evs, 1)
	assert.Equal(t, "search", evs[0].Attrs[telemetry.AttrDependency])
	op, attempts := failing(10)
	require.Error(t, p.Run(context.Background(), op))
	assert.Equal(t, int64(3), attempts.Load(), "the defaults' 3 attempts")

	// Never a pipeline without a deadline.
	var deadline bool
	require.NoError(t, p.Run(context.Background(), func(ctx context.Context) error {
		_, deadline = ctx.Deadline()
		return nil
	}))
	assert.True(t, deadline)
	s.Pipeline("search")
	assert.Equal(t, 1, log.Count(telemetry.EventUnknownDependency), "reported once per name")
}

func TestEveryClientHasTheTotalTimeout(t *testing.T) {
	s := policy.New(mustParse(t, "defaults: {timeout: {total: 3s, attempt: 1s}}"))
	var left time.Duration
	// The attempt's deadline is the attempt timeout; the call's the total.
	require.NoError(t, s.Pipeline("x").Run(context.Background(), func(ctx context.Context) error {
		d, _ := ctx.Deadline()
		left = time.Until(d)
		return nil
	}))
	assert.InDelta(t, time.Second, left, float64(200*time.Millisecond))

	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	var sawDeadline bool
	c := s.HTTPClient("x")
	c.Transport = s.Transport("x", roundTripFunc(func(r *http.Request) (*http.Response, error) {
		_, sawDeadline = r.Context().Deadline()
		return http.DefaultTransport.RoundTrip(r)
	}))
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.True(t, sawDeadline, "HTTPClient's requests carry the pipeline's deadline")
	assert.Zero(t, s.HTTPClient("x").Timeout, "the timeout is the pipeline's, which a reload can change")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAttemptTimeoutInsideRetry(t *testing.T) {
	s := policy.New(mustParse(t, `
dependencies:
  slow:
    timeout: {total: 5s, attempt: 50ms}
    retry: {max_attempts: 2, backoff: {base: 1ms, max: 1ms}}
    breaker: {window: 1s}
`))
	start := time.Now()
	err := s.Pipeline("slow").Run(context.Background(), func(ctx context.Context) error {
		if paved.AttemptFrom(ctx).Number() == 1 {
			<-ctx.Done() // hangs: the attempt timeout cuts it
			return ctx.Err()
		}
		return nil
	})
	require.NoError(t, err, "the hung attempt was cut and the retry tried again")
	assert.Less(t, time.Since(start), 4*time.Second)
}

func TestHedgeTakesThePlaceOfRetry(t *testing.T) {
	s := policy.New(mustParse(t, `
dependencies:
  search:
    hedge: {adaptive: false, delay: 10ms, max_hedges: 1, budget: {enabled: false}}
`))
	var attempts atomic.Int64
	release := make(chan struct{})
	err := s.Pipeline("search").Run(context.Background(), func(ctx context.Context) error {
		if attempts.Add(1) == 1 {
			select { // slow first attempt: a hedge starts after 10ms and wins
			case <-ctx.Done():
			case <-release:
			}
			return ctx.Err()
		}
		return nil
	})
	close(release)
	require.NoError(t, err)
	assert.Equal(t, int64(2), attempts.Load())

	op, failed := failing(10)
	require.Error(t, s.Pipeline("search").Run(context.Background(), op))
	assert.LessOrEqual(t, failed.Load(), int64(2), "no retry around the hedge: attempts never multiply")
}

func TestBreakerOpens(t *testing.T) {
	s := policy.New(mustParse(t, `
dependencies:
  db:
    retry: {max_attempts: 1}
    breaker: {consecutive_failures: 2, open_for: 1m}
`))
	op, attempts := failing(10)
	p := s.Pipeline("db")
	for range 2 {
		require.ErrorIs(t, p.Run(context.Background(), op), errFlaky)
	}
	require.ErrorIs(t, p.Run(context.Background(), op), breaker.ErrOpen)
	assert.Equal(t, int64(2), attempts.Load())
}

func TestBuiltPipelinesPassCheck(t *testing.T) {
	for _, yaml := range []string{"", designExample, "defaults: {hedge: {}}", "defaults: {breaker: {enabled: false}, retry: {max_attempts: 1}}"} {
		s := policy.New(mustParse(t, yaml))
		for _, name := range []string{"payments", "other"} {
			ms := policy.Middlewares(s, name)
			assert.NoError(t, paved.Check(ms...), "%q %s", yaml, name)
		}
	}
}
