package timeout_test

import (
	"context"
	"testing"
	"time"

	"github.com/paved-go/paved/timeout"
)

var nop = func(context.Context) error { return nil }

// BenchmarkContextWithTimeout is the baseline BenchmarkTimeout is held to
// (at most +10%).
func BenchmarkContextWithTimeout(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		c, cancel := context.WithTimeout(ctx, time.Second)
		_ = nop(c)
		cancel()
	}
}

func BenchmarkTimeout(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	op := timeout.MustNew(time.Second).Wrap(nop)
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkTimeoutParentSooner: the parent's deadline governs, so the
// timeout only reads the clock.
func BenchmarkTimeoutParentSooner(b *testing.B) {
	b.ReportAllocs()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	op := timeout.MustNew(2 * time.Hour).Wrap(nop)
	for b.Loop() {
		_ = op(ctx)
	}
}
