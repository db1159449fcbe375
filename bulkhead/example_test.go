package bulkhead_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
)

func Example() {
	b := bulkhead.MustNew(1)
	p := paved.New("reports", b)

	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- p.Run(context.Background(), func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside // the only slot is taken

	err := p.Run(context.Background(), func(context.Context) error { return nil })
	fmt.Println(errors.Is(err, bulkhead.ErrFull), errors.Is(err, paved.ErrRejected))
	close(release)
	fmt.Println(<-done)
	// Output:
	// true true
	// <nil>
}

func ExampleNewAdaptive() {
	b := bulkhead.MustNewAdaptive(
		bulkhead.WithLimits(5, 100),
		bulkhead.WithInitialLimit(10),
		bulkhead.WithMaxWait(20*time.Millisecond),
	)
	p := paved.New("search", b)
	_ = p.Run(context.Background(), func(context.Context) error { return nil })
	fmt.Println(b.Limit(), b.Inflight())
	// Output: 10 0
}
