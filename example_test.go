package paved_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/paved-go/paved"
)

// A Pipeline runs every call to one dependency through the same middleware.
func Example() {
	logging := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			c := paved.CallFrom(ctx)
			fmt.Printf("%s %s: %v\n", c.Pipeline(), c.Operation(), c.Classify(err))
			return err
		}
	})
	p := paved.New("inventory", logging)

	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GetItem"})
	_ = p.Run(ctx, func(context.Context) error { return nil })
	_ = p.Run(ctx, func(context.Context) error { return paved.Permanent(errors.New("no such item")) })
	// Output:
	// inventory GetItem: success
	// inventory GetItem: permanent
}

// Do returns the value of the attempt the pipeline kept.
func ExampleDo() {
	p := paved.New("pricing")
	price, err := paved.Do(context.Background(), p, func(context.Context) (int, error) { return 1299, nil })
	fmt.Println(price, err)
	// Output: 1299 <nil>
}
