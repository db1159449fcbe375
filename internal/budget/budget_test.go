package budget_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/budget"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg  budget.Config
		want string
	}{
		{budget.RetryConfig, ""},
		{budget.HedgeConfig, ""},
		{budget.Config{Ratio: -0.1, Capacity: 1}, "retry: Budget ratio must be 0..1, got -0.1"},
		{budget.Config{Ratio: 1.5, Capacity: 1}, "ratio must be 0..1"},
		{budget.Config{Ratio: 0.1, Capacity: 0}, "capacity must be 1..1000000, got 0"},
		{budget.Config{Ratio: 0.1, Capacity: 2e6}, "capacity must be 1..1000000"},
		{budget.Config{Ratio: 0.1, Capacity: 1, MinPerSecond: -1}, "min_per_second must be 0..1000, got -1"},
		{budget.Config{Ratio: 0.1, Capacity: 1, MinPerSecond: 1e4}, "min_per_second must be 0..1000"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate("retry: ")
		if tt.want == "" {
			assert.NoError(t, err)
		} else {
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		}
	}
}

// failAll makes failed extra attempts until the budget refuses one, and
// returns how many were allowed.
func failAll(b *budget.Budget, cost int) int {
	n := 0
	for ; n < 1e6; n++ {
		t, ok := b.Allow(cost)
		if !ok {
			return n
		}
		b.Spend(t)
	}
	return n
}

func TestStartsFullAndDrains(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0, Capacity: 10}, clock.NewFake(epoch))
	assert.Equal(t, 10.0, b.Tokens())
	assert.Equal(t, 10, failAll(b, 1), "the saved tokens, then nothing: no success earns")
	assert.Equal(t, 0.0, b.Tokens())
}

func TestCost(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0, Capacity: 10}, clock.NewFake(epoch))
	assert.Equal(t, 5, failAll(b, 2), "a retry after a timeout costs two")
}

func TestEarnRefillsUpToCapacity(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0.2, Capacity: 10}, clock.NewFake(epoch))
	failAll(b, 1)
	for range 20 {
		b.Earn()
	}
	assert.InDelta(t, 4.0, b.Tokens(), 1e-9, "20 answered calls earn 4 tokens")
	assert.Equal(t, 4, failAll(b, 1))
	for range 1000 {
		b.Earn()
	}
	assert.Equal(t, 10.0, b.Tokens(), "never past capacity")
}

// Only failed extra attempts cost: one that succeeds or never reaches the
// dependency takes nothing, however many there are, even with one token.
func TestOnlyFailuresCost(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0, Capacity: 1}, clock.NewFake(epoch))
	for range 1000 {
		tk, ok := b.Allow(1)
		require.True(t, ok)
		_ = tk // succeeded: nothing to settle
	}
	for range 1000 {
		tk, ok := b.Allow(1)
		require.True(t, ok)
		b.Cancel(tk) // refused by our own policy, or abandoned
	}
	assert.Equal(t, 1.0, b.Tokens())
}

// Extra attempts allowed at once overspend by those in flight: the bucket
// goes negative, never below -Capacity, and refills from there.
func TestOverspendIsBounded(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 1, Capacity: 3}, clock.NewFake(epoch))
	var tickets []budget.Ticket
	for range 10 {
		tk, ok := b.Allow(1) // all in flight at once, nothing settled yet
		require.True(t, ok)
		tickets = append(tickets, tk)
	}
	for _, tk := range tickets {
		b.Spend(tk) // all failed
	}
	assert.Equal(t, -3.0, b.Tokens(), "at most -Capacity")
	_, ok := b.Allow(1)
	assert.False(t, ok)
	for range 4 {
		b.Earn()
	}
	_, ok = b.Allow(1)
	assert.True(t, ok, "refilled from the bottom")
}

// The floor is a rate, spread evenly: at most MinPerSecond extra attempts in
// any second, never saved up while unused.
func TestFloorIsARate(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0, Capacity: 1, MinPerSecond: 2}, fake)
	assert.Equal(t, 2, failAll(b, 1), "the floor's first slot, then the one saved token")
	fake.Advance(499 * time.Millisecond)
	assert.Zero(t, failAll(b, 1), "slots are 500ms apart at 2 per second")
	fake.Advance(time.Millisecond)
	assert.Equal(t, 1, failAll(b, 1))

	// A minute unused saves nothing up: one slot, then none.
	fake.Advance(time.Minute)
	assert.Equal(t, 1, failAll(b, 1))

	// Over 10 seconds of constant demand, 20 floor attempts.
	allowed := 0
	for range 1000 {
		fake.Advance(10 * time.Millisecond)
		allowed += failAll(b, 1)
	}
	assert.Equal(t, 20, allowed)
}

// A floor slot given back (the attempt never reached the dependency) is
// usable again; a floor attempt adds and takes no token.
func TestFloorCancel(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0, Capacity: 1, MinPerSecond: 1}, fake)
	require.Equal(t, 2, failAll(b, 1), "the floor's slot and the saved token")
	fake.Advance(time.Second)
	floor, ok := b.Allow(1)
	require.True(t, ok, "the next floor slot")
	b.Cancel(floor)
	assert.Equal(t, 1, failAll(b, 1), "the slot given back is usable again")
	assert.Equal(t, 0.0, b.Tokens(), "floor attempts take no token")
}

// Under concurrency no token is lost or made: earned minus spent, within
// [-Capacity, Capacity].
func TestConcurrentEarnAndSpend(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0.2, Capacity: 50}, clock.NewFake(epoch))
	var wg sync.WaitGroup
	var spent atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 5000 {
				b.Earn()
				if tk, ok := b.Allow(1); ok {
					spent.Add(1)
					b.Spend(tk)
				}
			}
		})
	}
	wg.Wait()
	// 40,000 answered calls earn 8,000 tokens, plus the 50 saved; allowed
	// attempts in flight at once may overspend by at most the 8 workers.
	assert.LessOrEqual(t, spent.Load(), int64(8050+8))
	assert.GreaterOrEqual(t, spent.Load(), int64(7950), "tokens earned are spendable")
	assert.GreaterOrEqual(t, b.Tokens(), -50.0)
}

// BenchmarkEarn is the success path of a healthy dependency: the bucket is
// full, and Earn is one atomic load.
func BenchmarkEarn(b *testing.B) {
	b.ReportAllocs()
	bu := budget.New(budget.RetryConfig, clock.Real())
	for b.Loop() {
		bu.Earn()
	}
}

// BenchmarkEarnParallel is Earn from every core at once.
func BenchmarkEarnParallel(b *testing.B) {
	b.ReportAllocs()
	bu := budget.New(budget.RetryConfig, clock.Real())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bu.Earn()
		}
	})
}
