package retry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
)

// A dependency that fails twice, then answers: the third attempt succeeds.
func Example() {
	p := paved.New("inventory", retry.MustNew(retry.WithBackoff(time.Millisecond, 10*time.Millisecond)))
	n := 0
	v, err := paved.Do(context.Background(), p, func(context.Context) (string, error) {
		n++
		if n < 3 {
			return "", errors.New("connection reset") // unknown errors are Transient
		}
		return "in stock", nil
	})
	fmt.Println(v, err, n)

	// A call that keeps failing gives up after MaxAttempts.
	err = p.Run(context.Background(), func(context.Context) error { return errors.New("unavailable") })
	var ex *retry.ExhaustedError
	fmt.Println(errors.As(err, &ex), ex.Attempts, ex.Reason)
	// Output:
	// in stock <nil> 3
	// true 3 max_attempts
}
