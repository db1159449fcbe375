package timeout_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/timeout"
)

// A total timeout bounds everything the caller waits for.
func Example() {
	p := paved.New("inventory", timeout.MustNew(10*time.Millisecond))
	err := p.Run(context.Background(), func(ctx context.Context) error {
		<-ctx.Done() // a dependency that never answers
		return ctx.Err()
	})
	fmt.Println(errors.Is(err, timeout.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	// Output: true true
}
