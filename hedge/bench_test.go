package hedge_test

import (
	"context"
	"testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
)

// BenchmarkHedgeSuccess: a first attempt that answers before the delay. The
// cost over a plain pipeline run is the attempt's goroutine, its channel and
// its cancelable context.
func BenchmarkHedgeSuccess(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	p := paved.New("bench", hedge.MustNew())
	op := func(context.Context) error { return nil }
	for b.Loop() {
		_ = p.Run(ctx, op)
	}
}
