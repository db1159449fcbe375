package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/retry"
)

// A flaky dependency rehearsed: three calls in ten fail with a Transient
// error, reproducibly (a fixed seed), and the pipeline's retry (three
// attempts) hides all but the few calls whose every attempt failed.
func Example() {
	flaky := chaos.MustNew(chaos.ErrorOutcome(paved.OutcomeTransient), chaos.WithRate(0.3), chaos.WithSeed(1))
	p := paved.New("inventory", retry.MustNew(retry.WithoutBudget(), retry.WithBackoff(time.Millisecond, time.Millisecond)), flaky)
	ok := 0
	for range 100 {
		if err := p.Run(context.Background(), func(context.Context) error { return nil }); err == nil {
			ok++
		}
	}
	fmt.Printf("%d of 100 calls succeeded; %d of %d attempts were disturbed\n", ok, flaky.Injected(), flaky.Calls())

	flaky.Disable() // the experiment is over
	err := p.Run(context.Background(), func(context.Context) error { return nil })
	fmt.Println(err, errors.Is(err, chaos.ErrInjected))
	// Output:
	// 97 of 100 calls succeeded; 36 of 133 attempts were disturbed
	// <nil> false
}
