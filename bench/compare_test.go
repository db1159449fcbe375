package bench

import (
	"context"
	"errors"
	"testing"
)

// impl is one library's version of a composition: setup builds it once and
// returns the call to measure; want says what that call must return.
type impl struct {
	lib   string
	setup func(b *testing.B) func(ctx context.Context) error
	want  error // nil: success; else errors.Is(err, want) must hold
}

// compare runs every impl of a composition, serially and from parallel
// goroutines, as Benchmark<Composition>/mode=<mode>/lib=<lib>. Each call's
// result is checked once before timing, so a row never measures a broken
// composition.
func compare(b *testing.B, impls ...impl) {
	for _, mode := range []string{"serial", "parallel"} {
		b.Run("mode="+mode, func(b *testing.B) {
			for _, im := range impls {
				b.Run("lib="+im.lib, func(b *testing.B) {
					ctx := context.Background()
					call := im.setup(b)
					check(b, im, call(ctx))
					b.ReportAllocs()
					if mode == "serial" {
						for b.Loop() {
							_ = call(ctx)
						}
						return
					}
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							_ = call(ctx)
						}
					})
				})
			}
		})
	}
}

func check(b *testing.B, im impl, err error) {
	b.Helper()
	switch {
	case im.want == nil && err != nil:
		b.Fatalf("%s: want success, got %v", im.lib, err)
	case im.want != nil && !errors.Is(err, im.want):
		b.Fatalf("%s: want %v, got %v", im.lib, im.want, err)
	}
}

// ok is the dependency of every success row: it does nothing, so a row
// measures only what the library adds.
func ok(context.Context) error { return nil }

// errDown is the dependency's failure in the outage and open-breaker rows:
// a plain error, which every library treats as a failure worth retrying.
var errDown = errors.New("dependency down")

func down(context.Context) error { return errDown }
