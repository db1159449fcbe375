package loadshed_test

import (
	"context"
	"testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/loadshed"
)

func BenchmarkEmptyPipeline(b *testing.B) {
	p := paved.New("server")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, ok)
	}
}

// BenchmarkShedderAdmit: a request admitted at once and released, no key.
func BenchmarkShedderAdmit(b *testing.B) {
	p := paved.New("server", loadshed.MustNew())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, ok)
	}
}

// BenchmarkShedderAdmitKeyed: the same with a caller key, whose slot time is
// recorded for the fair share.
func BenchmarkShedderAdmitKeyed(b *testing.B) {
	p := paved.New("server", loadshed.MustNew())
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Key: "tenant-1"})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, ok)
	}
}

// BenchmarkThrottle: a call through the Throttle that the dependency accepts.
func BenchmarkThrottle(b *testing.B) {
	p := paved.New("dep", loadshed.MustNewThrottle())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, ok)
	}
}
