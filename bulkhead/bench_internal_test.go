package bulkhead

import (
	"context"
	"testing"
	"time"

	"github.com/paved-go/paved/internal/limit"
)

// BenchmarkAdaptiveGathered is NewAdaptive's default (Gradient2) for calls
// whose latency sample enters the window, as every call slower than the
// window's 100µs floor does (BenchmarkAdaptive's no-op call is faster, so
// its sample is read and then left out, without the lock; the floor is 0
// here, which only an internal test can set):
//
//   - window=1s, the default, within its first window: every call is timed
//     (two clock reads) and its sample gathered under the limiter's lock —
//     the cost of a timed call.
//   - window=1ms: the steady state at this rate, reached after one window
//     at any window length: only every 64th call is timed, the others read
//     no clock and take no lock.
func BenchmarkAdaptiveGathered(b *testing.B) {
	for _, tt := range []struct {
		name string
		win  time.Duration
	}{{"window=1s", time.Second}, {"window=1ms", time.Millisecond}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			cfg := newConfig(nil)
			alg, lc, err := cfg.limiterConfig()
			if err != nil {
				b.Fatal(err)
			}
			lc.Window.Min, lc.Window.Max, lc.Window.MinRTT = tt.win, tt.win, 0
			lim, err := limit.New(alg, lc, cfg.clk)
			if err != nil {
				b.Fatal(err)
			}
			op := newBulkhead(cfg, 0, lim).Wrap(func(context.Context) error { return nil })
			ctx := context.Background()
			for b.Loop() {
				_ = op(ctx)
			}
		})
	}
}
