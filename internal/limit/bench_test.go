package limit_test

import (
	"testing"

	"github.com/paved-go/paved/internal/limit"
)

// BenchmarkLimiter is one admission and release with a latency sample:
// Gradient2 over DefaultWindow (samples this fast are left out of windows)
// and updated on every sample.
func BenchmarkLimiter(b *testing.B) {
	for _, tt := range []struct {
		name string
		win  limit.Window
	}{{"window", limit.DefaultWindow}, {"per-sample", limit.Window{}}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			g, _ := limit.NewGradient2(limit.DefaultGradient2)
			l, _ := limit.New(g, limit.Config{Initial: 20, Min: 1, Max: 200, Window: tt.win}, nil)
			for b.Loop() {
				tok, _ := l.TryAcquire()
				l.Release(tok, limit.Success)
			}
		})
	}
}
