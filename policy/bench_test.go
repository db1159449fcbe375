package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

func ok(context.Context) error { return nil }

// BenchmarkSetPipeline is a call through a Set's pipeline (built-in
// defaults); BenchmarkHandBuilt the same policies built by hand. The
// difference is what hot reload costs a call.
func BenchmarkSetPipeline(b *testing.B) {
	p := policy.New(nil).Pipeline("dep")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, ok)
	}
}

func BenchmarkHandBuilt(b *testing.B) {
	p := paved.New("dep",
		timeout.MustNew(10*time.Second),
		retry.MustNew(),
		breaker.MustNew("dep"),
		timeout.MustNew(2*time.Second),
	)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, ok)
	}
}
