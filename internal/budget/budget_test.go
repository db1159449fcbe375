package budget_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/budget"
	"github.com/paved-go/paved/internal/clock"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg  budget.Config
		want string
	}{
		{budget.DefaultConfig, ""},
		{budget.Config{Ratio: -0.1, Window: time.Second}, "retry: Budget ratio must be 0..1, got -0.1"},
		{budget.Config{Ratio: 1.5, Window: time.Second}, "ratio must be 0..1"},
		{budget.Config{Ratio: 0.1, MinPerSecond: -1, Window: time.Second}, "min_per_second must be >= 0"},
		{budget.Config{Ratio: 0.1, Window: 500 * time.Millisecond}, "window must be whole seconds"},
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

func TestFloorOnly(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0.1, MinPerSecond: 2, Window: 10 * time.Second}, fake)
	allowed := 0
	for range 100 {
		if b.Withdraw() {
			allowed++
		}
	}
	assert.Equal(t, 20, allowed, "no calls: the floor, 2/s over 10s")
}

func TestRatio(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0.1, MinPerSecond: 0, Window: 10 * time.Second}, fake)
	b.Withdraw() // start the window's first slot before the calls
	for range 1000 {
		b.RecordCall()
	}
	allowed := 0
	for range 1000 {
		if b.Withdraw() {
			allowed++
		}
	}
	assert.Equal(t, 100, allowed)
}

func TestWindowSlides(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0, MinPerSecond: 1, Window: 3 * time.Second}, fake)
	n := 0
	for b.Withdraw() {
		n++
	}
	assert.Equal(t, 3, n)
	fake.Advance(time.Second)
	assert.False(t, b.Withdraw(), "the spent retries are still in the window")
	fake.Advance(2 * time.Second)
	assert.True(t, b.Withdraw(), "they left it")
}

// 1000 failing calls from 16 goroutines: retries stay within
// ratio*calls + floor, exactly.
func TestConcurrentBound(t *testing.T) {
	fake := clock.NewFake(epoch)
	cfg := budget.DefaultConfig
	b := budget.New(cfg, fake)
	b.Withdraw() // open the window before the calls, so every call counts
	var retries atomic.Int64
	retries.Add(1)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 1000 / 16 {
				b.RecordCall()
				for range 2 { // up to 2 retries per call
					if b.Withdraw() {
						retries.Add(1)
					}
				}
				_ = g + i
			}
		})
	}
	wg.Wait()
	calls, counted := b.Stats()
	bound := cfg.Ratio*float64(calls) + cfg.MinPerSecond*10
	assert.Equal(t, retries.Load(), counted)
	assert.LessOrEqual(t, float64(retries.Load()), bound)
	assert.Greater(t, float64(retries.Load()), bound-1, "the budget is used, not starved")
}

func BenchmarkRecordCall(b *testing.B) {
	b.ReportAllocs()
	bu := budget.New(budget.DefaultConfig, clock.Real())
	for b.Loop() {
		bu.RecordCall()
	}
}

func TestRefundReturnsAReservation(t *testing.T) {
	fake := clock.NewFake(epoch)
	b := budget.New(budget.Config{Ratio: 0, MinPerSecond: 0.1, Window: 10 * time.Second}, fake)
	receipt, ok := b.Reserve()
	require.True(t, ok)
	_, ok = b.Reserve()
	assert.False(t, ok, "the one allowed extra attempt is reserved")
	assert.False(t, b.Withdraw())
	b.Refund(receipt)
	_, ok = b.Reserve()
	assert.True(t, ok, "refunded, it can be spent again")
	b.Refund(12345) // a receipt out of the window is ignored
}
