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

func ExamplePerKey() {
	// One breaker per operation, so a failing endpoint does not cut off the others.
	k := breaker.MustPerKey(func(ctx context.Context) string { return paved.CallFrom(ctx).Operation() },
		breaker.WithConsecutiveFailures(1))
	p := paved.New("api", k)
	get := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GET /items"})
	post := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "POST /orders"})

	_ = p.Run(post, func(context.Context) error { return errors.New("503") })
	fmt.Println(errors.Is(p.Run(post, func(context.Context) error { return nil }), breaker.ErrOpen))
	fmt.Println(p.Run(get, func(context.Context) error { return nil }))
	// Output:
	// true
	// <nil>
}
