package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
)

func Example() {
	b := breaker.MustNew("inventory",
		breaker.WithConsecutiveFailures(3),
		breaker.WithOpenDuration(30*time.Second),
		breaker.WithJitter(0),
	)
	p := paved.New("inventory", b)
	down := func(context.Context) error { return errors.New("connection refused") }

	for range 3 {
		_ = p.Run(context.Background(), down)
	}
	err := p.Run(context.Background(), down)
	wait, _ := paved.RetryAfter(err)
	fmt.Println(b.State(), errors.Is(err, breaker.ErrOpen), errors.Is(err, paved.ErrRejected), wait.Round(time.Second))
	// Output: open true true 30s
}
