package bulkhead_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/clock"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newFake() *clock.Fake { return clock.NewFake(epoch) }

// holder runs calls through op that block until released, so a test holds
// slots for as long as it likes.
type holder struct {
	started chan struct{}
	release chan struct{}
}

func newHolder() *holder {
	return &holder{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (h *holder) op(context.Context) error {
	h.started <- struct{}{}
	<-h.release
	return nil
}

// start runs n calls of h.op through run in goroutines and waits until they
// all hold a slot. The returned channel gets each call's error.
func (h *holder) start(t *testing.T, run paved.Op, n int) <-chan error {
	t.Helper()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- run(context.Background()) }()
	}
	for range n {
		<-h.started
	}
	return errs
}

// waitFor waits until b has n calls waiting. The queue is not on the clock,
// so this yields instead of sleeping.
func waitFor(t *testing.T, b *bulkhead.Bulkhead, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.Waiting() != n {
		require.True(t, time.Now().Before(deadline), "waiting %d, want %d", b.Waiting(), n)
		runtime.Gosched()
	}
}
