package loadshed_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/loadshed"
)

// waitFor spins until cond holds, failing the test after 5 s of real time:
// for states another goroutine reaches without any clock moving.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// request is one request run through a pipeline in its own goroutine; its
// op blocks until finish is called.
type request struct {
	name    string
	started chan struct{}
	finish  chan struct{}
	done    chan error
}

// send runs a request with priority prio and caller key key through p.
func send(ctx context.Context, p *paved.Pipeline, name string, prio paved.Priority, key string) *request {
	r := &request{name: name, started: make(chan struct{}), finish: make(chan struct{}), done: make(chan error, 1)}
	ctx = paved.WithCallInfo(ctx, paved.CallInfo{Operation: name, Priority: prio, Key: key})
	go func() {
		r.done <- p.Run(ctx, func(context.Context) error {
			close(r.started)
			<-r.finish
			return nil
		})
	}()
	return r
}

// isRunning reports whether r's op has started.
func (r *request) isRunning() bool {
	select {
	case <-r.started:
		return true
	default:
		return false
	}
}

// end lets r's op return and waits for the run to end.
func (r *request) end(t *testing.T) error {
	t.Helper()
	close(r.finish)
	return r.wait(t)
}

// wait waits for the run to end without touching its op.
func (r *request) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not end", r.name)
		return nil
	}
}

// fixed returns a Shedder with a fixed limit of n on clk.
func fixed(clk clock.Clock, n int, opts ...loadshed.Option) *loadshed.Shedder {
	return loadshed.MustNew(append([]loadshed.Option{
		loadshed.WithClock(clk), loadshed.WithLimits(n, n), loadshed.WithInitialLimit(n),
	}, opts...)...)
}
