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

// reserveAll reserves until refused and returns how many were allowed.
func reserveAll(b *budget.Budget, cost int) int {
	n := 0
	for ; n < 1e6; n++ {
		if _, ok := b.Reserve(cost); !ok {
			return n
		}
	}
	return n
}

func TestStartsFullAndDrains(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0, Capacity: 10}, clock.NewFake(epoch))
	assert.Equal(t, 10.0, b.Tokens())
	assert.Equal(t, 10, reserveAll(b, 1), "the saved tokens, then nothing: no success earns")
	assert.Equal(t, 0.0, b.Tokens())
}

func TestCost(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0, Capacity: 10}, clock.NewFake(epoch))
	assert.Equal(t, 5, reserveAll(b, 2), "a retry after a timeout costs two")
}

func TestEarnRefillsUpToCapacity(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0.2, Capacity: 10}, clock.NewFake(epoch))
	reserveAll(b, 1)
	for range 20 {
		b.Earn()
	}
	assert.InDelta(t, 4.0, b.Tokens(), 1e-9, "20 answered calls earn 4 tokens")
	assert.Equal(t, 4, reserveAll(b, 1))
	for range 1000 {
		b.Earn()
	}
	assert.Equal(t, 10.0, b.Tokens(), "never past capacity")
}

// A retry that succeeds gives its tokens back: a dependency failing at random
// keeps every useful retry, however many.
func TestRefund(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0, Capacity: 3}, clock.NewFake(epoch))
	for range 1000 {
		r, ok := b.Reserve(1)
		require.True(t, ok)
		b.Refund(r)
	}
	assert.Equal(t, 3.0, b.Tokens())
	r, ok := b.Reserve(2)
	require.True(t, ok)
	assert.Equal(t, 1.0, b.Tokens())
	b.Refund(r)
	b.Refund(r) // a second refund never goes past capacity
	assert.Equal(t, 3.0, b.Tokens())
}

// The floor is a rate, spread evenly: at most MinPerSecond extra attempts in
// any second, never saved up while unused.
func TestFloorIsARate(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0, Capacity: 1, MinPerSecond: 2}, fake)
	_, ok := b.Reserve(1)
	require.True(t, ok, "the floor's first slot")
	_, ok = b.Reserve(1)
	require.True(t, ok, "the one saved token")
	_, ok = b.Reserve(1)
	require.False(t, ok, "nothing left until the next floor slot")
	fake.Advance(499 * time.Millisecond)
	_, ok = b.Reserve(1)
	require.False(t, ok, "slots are 500ms apart at 2 per second")
	fake.Advance(time.Millisecond)
	_, ok = b.Reserve(1)
	require.True(t, ok)

	// A minute unused saves nothing up: one slot, then none.
	fake.Advance(time.Minute)
	assert.Equal(t, 1, reserveAll(b, 1))

	// Over 10 seconds of constant demand, 20 floor attempts.
	allowed := 0
	for range 1000 {
		fake.Advance(10 * time.Millisecond)
		allowed += reserveAll(b, 1)
	}
	assert.Equal(t, 20, allowed)
}

// A floor attempt given back frees its slot, and adds no token: in an outage
// refunds (refusals, abandoned waits) never fill the bucket.
func TestFloorRefund(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0, Capacity: 1, MinPerSecond: 1}, fake)
	_, ok := b.Reserve(1) // the saved token goes last: this is the floor's slot
	require.True(t, ok)
	r, ok := b.Reserve(1)
	require.True(t, ok, "the saved token")
	_, ok = b.Reserve(1)
	require.False(t, ok)

	fake.Advance(time.Second)
	floor, ok := b.Reserve(1)
	require.True(t, ok, "the next floor slot")
	b.Refund(floor)
	_, ok = b.Reserve(1)
	assert.True(t, ok, "the slot given back is usable again")
	_, ok = b.Reserve(1)
	assert.False(t, ok)
	assert.Equal(t, 0.0, b.Tokens(), "a floor refund adds no token")
	b.Refund(r)
	assert.Equal(t, 1.0, b.Tokens(), "a token refund does")
}

// Under concurrency the bound holds exactly: never more attempts than tokens.
func TestConcurrentReservesNeverOverspend(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0.5, Capacity: 100}, clock.NewFake(epoch))
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 1000 {
				if r, ok := b.Reserve(1); ok {
					allowed.Add(1)
					if allowed.Load()%2 == 0 {
						b.Refund(r)
					}
				}
			}
		})
	}
	wg.Wait()
	// Every refund put one token back, and nothing else added any.
	refunds := allowed.Load() / 2
	assert.LessOrEqual(t, allowed.Load(), 100+refunds+1)
	assert.GreaterOrEqual(t, b.Tokens(), 0.0)
}

func TestConcurrentEarnAndReserve(t *testing.T) {
	b := budget.New(budget.Config{Ratio: 0.2, Capacity: 50}, clock.NewFake(epoch))
	var wg sync.WaitGroup
	var spent atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 5000 {
				b.Earn()
				if _, ok := b.Reserve(1); ok {
					spent.Add(1)
				}
			}
		})
	}
	wg.Wait()
	// 40,000 answered calls earn 8,000 tokens, plus the 50 saved.
	assert.LessOrEqual(t, spent.Load(), int64(8050))
	assert.GreaterOrEqual(t, spent.Load(), int64(7950), "tokens earned are spendable")
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
