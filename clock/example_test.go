package clock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paved-go/paved/clock"
)

// A test drives code that waits on a Clock without sleeping: it waits until
// the code has armed its timer, then moves the fake time past it.
func Example() {
	f := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := f.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	done := make(chan error)
	go func() { done <- clock.Sleep(ctx, f, time.Minute) }()

	f.BlockUntil(2) // the deadline and the sleep's timer
	f.Advance(2 * time.Second)
	fmt.Println(<-done, f.Pending())
	// Output: context deadline exceeded 0
}
