package bulkhead_test

import (
	"context"
	"testing"

	"github.com/paved-go/paved/bulkhead"
)

var nop = func(context.Context) error { return nil }

// BenchmarkFixed is the Op that Wrap returns, called directly (no pipeline
// around it): the bulkhead's own acquire and release, uncontended, around a
// no-op call.
func BenchmarkFixed(b *testing.B) {
	b.ReportAllocs()
	op := bulkhead.MustNew(100).Wrap(nop)
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkAdaptive is the same with NewAdaptive's default (Gradient2 over
// 1s windows): two clock reads and the latency sample, which for a no-op
// call is under the window's 100µs floor and left out of the window;
// BenchmarkAdaptiveGathered (bench_internal_test.go) has it gathered.
func BenchmarkAdaptive(b *testing.B) {
	b.ReportAllocs()
	op := bulkhead.MustNewAdaptive().Wrap(nop)
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkAdaptivePerCall updates Gradient2 on every call (no window):
// the most work a call's latency sample can cost.
func BenchmarkAdaptivePerCall(b *testing.B) {
	b.ReportAllocs()
	op := bulkhead.MustNewAdaptive(bulkhead.WithWindow(0, 0)).Wrap(nop)
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

func BenchmarkFixedParallel(b *testing.B) {
	b.ReportAllocs()
	op := bulkhead.MustNew(1_000_000).Wrap(nop)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			_ = op(ctx)
		}
	})
}

func BenchmarkAdaptiveParallel(b *testing.B) {
	b.ReportAllocs()
	op := bulkhead.MustNewAdaptive(bulkhead.WithLimits(1, 1_000_000), bulkhead.WithInitialLimit(1_000_000)).Wrap(nop)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			_ = op(ctx)
		}
	})
}

// BenchmarkChanSemaphore is the hand-written alternative: a buffered
// channel as a semaphore, for comparison with BenchmarkFixed.
func BenchmarkChanSemaphore(b *testing.B) {
	b.ReportAllocs()
	sem := make(chan struct{}, 100)
	op := func(ctx context.Context) error {
		select {
		case sem <- struct{}{}:
		default:
			return bulkhead.ErrFull
		}
		defer func() { <-sem }()
		return nop(ctx)
	}
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}
