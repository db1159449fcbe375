package bulkhead

import (
	"context"
	"testing"

	"github.com/paved-go/paved/internal/limit"
)

// BenchmarkAdaptiveGathered is NewAdaptive's default (Gradient2 over 1s
// windows) for calls whose latency sample enters the window, as every call
// slower than the window's 100µs floor does: two clock reads, the sample
// gathered under the limiter's lock, the algorithm updated once a window.
// (BenchmarkAdaptive's no-op call is faster than the floor, so its sample is
// read and then left out, without the lock.) The floor is lowered to 0 here,
// which only an internal test can do.
func BenchmarkAdaptiveGathered(b *testing.B) {
	b.ReportAllocs()
	cfg := newConfig(nil)
	alg, lc, err := cfg.limiterConfig()
	if err != nil {
		b.Fatal(err)
	}
	lc.Window.MinRTT = 0
	lim, err := limit.New(alg, lc, cfg.clk)
	if err != nil {
		b.Fatal(err)
	}
	op := newBulkhead(cfg, 0, lim).Wrap(func(context.Context) error { return nil })
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}
