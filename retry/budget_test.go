package retry_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/retry"
)

// noWait retries without backing off, on a fake clock that never moves (so
// the budget's floor gives its one slot and no more).
func noWait(opts ...retry.Option) *retry.Retry {
	return retry.MustNew(append([]retry.Option{
		retry.WithClock(clock.NewFake(epoch)),
		retry.WithBackoffFunc(func(int, time.Duration) time.Duration { return 0 }),
	}, opts...)...)
}

// flaky fails the first attempt of every call and lets the retry succeed.
func flaky(ctx context.Context) error {
	if paved.AttemptFrom(ctx).Number() == 1 {
		return errUnavailable
	}
	return nil
}

// A retry that succeeds gives its token back: with one token saved and
// nothing earned, a thousand calls that each need one retry all succeed.
func TestSuccessfulRetriesAreFree(t *testing.T) {
	p := paved.New("t", noWait(retry.WithBudget(0, 0), retry.WithBudgetCapacity(1)))
	for range 1000 {
		require.NoError(t, p.Run(context.Background(), flaky))
	}
}

// In a full outage nothing is earned: after the saved tokens, retries stop.
func TestFailedRetriesDrainTheBudget(t *testing.T) {
	p := paved.New("t", noWait(retry.WithBudget(0.2, 0), retry.WithBudgetCapacity(10)))
	var attempts atomic.Int64
	for range 100 {
		_ = p.Run(context.Background(), func(context.Context) error {
			attempts.Add(1)
			return errUnavailable
		})
	}
	assert.Equal(t, int64(100+10), attempts.Load())
}

// Calls the dependency answers earn: Ratio per call, successes and
// Permanent answers alike; failures earn nothing.
func TestAnsweredCallsEarn(t *testing.T) {
	p := paved.New("t", noWait(retry.WithBudget(0.5, 0), retry.WithBudgetCapacity(10), retry.WithMaxAttempts(2)))
	var attempts atomic.Int64
	down := func(context.Context) error { attempts.Add(1); return errUnavailable }
	failing := func(n int) int64 {
		before := attempts.Load()
		for range n {
			_ = p.Run(context.Background(), down)
		}
		return attempts.Load() - before
	}
	require.Equal(t, int64(20+1), failing(11), "10 saved tokens: 10 retries, then none")
	for range 4 {
		require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
		require.Error(t, p.Run(context.Background(), func(context.Context) error { return paved.Permanent(errUnavailable) }))
	}
	assert.Equal(t, int64(10+4), failing(10), "8 answered calls earned 4 retries")
}

// A retry after a timed-out attempt costs two tokens: the dependency held
// the attempt's resources the longest.
func TestRetryAfterTimeoutCostsTwo(t *testing.T) {
	p := paved.New("t", noWait(retry.WithBudget(0, 0), retry.WithBudgetCapacity(4), retry.WithMaxAttempts(2)))
	var attempts atomic.Int64
	for range 10 {
		_ = p.Run(context.Background(), func(context.Context) error {
			attempts.Add(1)
			return context.DeadlineExceeded
		})
	}
	assert.Equal(t, int64(10+2), attempts.Load(), "4 tokens buy 2 retries after timeouts")
}

// Useful retries are free at any throughput: with 5 tokens saved, 50 calls
// whose retries all wait and run at the same time all succeed, since a
// retry's cost is paid only if it fails, never held while it is in flight.
func TestRetriesInFlightHoldNoTokens(t *testing.T) {
	fake := clock.NewFake(epoch)
	p := paved.New("t", retry.MustNew(retry.WithClock(fake), retry.WithBudget(0, 0), retry.WithBudgetCapacity(5),
		retry.WithBackoffFunc(func(int, time.Duration) time.Duration { return time.Second })))
	const calls = 50
	errs := make(chan error, calls)
	for range calls {
		go func() { errs <- p.Run(context.Background(), flaky) }()
	}
	fake.BlockUntil(calls) // every retry is waiting its backoff at once
	fake.Advance(time.Second)
	for range calls {
		assert.NoError(t, <-errs)
	}
}
