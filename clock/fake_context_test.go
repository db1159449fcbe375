package clock_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
)

func requireDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	default:
		t.Fatal("context is not done")
	}
}

func requireLive(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
		t.Fatalf("context is done: %v", context.Cause(ctx))
	default:
	}
	require.NoError(t, ctx.Err())
	require.NoError(t, context.Cause(ctx))
}

func TestFakeDeadlineExpires(t *testing.T) {
	f := clock.NewFake(epoch)
	ctx, cancel := f.WithTimeout(context.Background(), time.Second)
	defer cancel()

	dl, ok := ctx.Deadline()
	require.True(t, ok)
	assert.Equal(t, epoch.Add(time.Second), dl)
	assert.Equal(t, 1, f.Pending())

	f.Advance(time.Second - 1)
	requireLive(t, ctx)

	f.Advance(1)
	requireDone(t, ctx)
	assert.Equal(t, context.DeadlineExceeded, ctx.Err())
	assert.Equal(t, context.DeadlineExceeded, context.Cause(ctx))
	assert.Zero(t, f.Pending())
}

func TestFakeDeadlineEndings(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		end       func(f *clock.Fake, cancelParent context.CancelCauseFunc, cancel context.CancelFunc)
		wantErr   error
		wantCause error
		// parentCanceled marks endings that reach the children asynchronously.
		parentCanceled bool
	}{
		{"deadline", func(f *clock.Fake, _ context.CancelCauseFunc, _ context.CancelFunc) { f.Advance(time.Second) },
			context.DeadlineExceeded, context.DeadlineExceeded, false},
		{"cancel func", func(_ *clock.Fake, _ context.CancelCauseFunc, cancel context.CancelFunc) { cancel() },
			context.Canceled, context.Canceled, false},
		{"parent canceled", func(_ *clock.Fake, cancelParent context.CancelCauseFunc, _ context.CancelFunc) { cancelParent(nil) },
			context.Canceled, context.Canceled, true},
		{"parent canceled with cause", func(_ *clock.Fake, cancelParent context.CancelCauseFunc, _ context.CancelFunc) {
			cancelParent(errBoom)
		}, context.Canceled, errBoom, true},
		{"deadline then parent", func(f *clock.Fake, cancelParent context.CancelCauseFunc, _ context.CancelFunc) {
			f.Advance(time.Second)
			cancelParent(errBoom)
		}, context.DeadlineExceeded, context.DeadlineExceeded, false},
		{"parent then deadline", func(f *clock.Fake, cancelParent context.CancelCauseFunc, _ context.CancelFunc) {
			cancelParent(errBoom)
			f.Advance(time.Second)
		}, context.Canceled, errBoom, true},
		{"cancel then deadline", func(f *clock.Fake, _ context.CancelCauseFunc, cancel context.CancelFunc) {
			cancel()
			f.Advance(time.Second)
		}, context.Canceled, context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clock.NewFake(epoch)
			parent, cancelParent := context.WithCancelCause(context.Background())
			defer cancelParent(nil)
			ctx, cancel := f.WithTimeout(parent, time.Second)
			defer cancel()
			// Children of every kind must see the same ending, at once.
			child, cancelChild := context.WithCancel(ctx)
			defer cancelChild()
			grandchild, cancelGrandchild := f.WithTimeout(child, time.Hour)
			defer cancelGrandchild()
			afterFunc := make(chan struct{})
			context.AfterFunc(ctx, func() { close(afterFunc) })

			tt.end(f, cancelParent, cancel)

			requireDone(t, ctx)
			for name, c := range map[string]context.Context{"ctx": ctx, "child": child, "grandchild": grandchild} {
				if !tt.parentCanceled {
					requireDone(t, c) // synchronous, as with the context package
				}
				// After a parent cancellation the children follow a moment
				// later (see WithDeadline), so wait for them.
				<-c.Done()
				assert.Equal(t, tt.wantErr, c.Err(), name)
				assert.Equal(t, tt.wantCause, context.Cause(c), name)
			}
			<-afterFunc
			// A parent-canceled context still leaves the queue only when its
			// cancel func runs, but it stops counting at once.
			assert.Zero(t, f.Pending())
		})
	}
}

func TestFakeDeadlineChildSeesDeadlineExceededSynchronously(t *testing.T) {
	// The case the design exists for: an attempt context derived with the
	// context package from a fake timeout must end with DeadlineExceeded, as
	// with real time, so timeouts are classified as timeouts.
	f := clock.NewFake(epoch)
	ctx, cancel := f.WithTimeout(context.Background(), time.Second)
	defer cancel()
	attempt, cancelAttempt := context.WithCancel(ctx)
	defer cancelAttempt()
	withValue := context.WithValue(attempt, ctxKey{}, "v")
	f.Advance(time.Second)
	assert.Equal(t, context.DeadlineExceeded, withValue.Err())
	assert.True(t, errors.Is(context.Cause(withValue), context.DeadlineExceeded))
	assert.Equal(t, "v", withValue.Value(ctxKey{}))
}

type ctxKey struct{}

func TestFakeDeadlineParentGoverns(t *testing.T) {
	f := clock.NewFake(epoch)
	parent, cancelParent := f.WithTimeout(context.Background(), time.Second)
	defer cancelParent()
	ctx, cancel := f.WithTimeout(parent, time.Hour)
	defer cancel()

	dl, _ := ctx.Deadline()
	assert.Equal(t, epoch.Add(time.Second), dl, "the earlier parent deadline is reported")
	assert.Equal(t, 1, f.Pending(), "only the parent's deadline is tracked")
	f.Advance(time.Second)
	requireDone(t, ctx)
	assert.Equal(t, context.DeadlineExceeded, ctx.Err())
}

func TestFakeDeadlineNested(t *testing.T) {
	f := clock.NewFake(epoch)
	outer, cancelOuter := f.WithTimeout(context.Background(), 10*time.Second)
	defer cancelOuter()
	inner, cancelInner := f.WithTimeout(outer, time.Second)
	defer cancelInner()
	assert.Equal(t, 2, f.Pending())

	f.Advance(time.Second)
	assert.Equal(t, context.DeadlineExceeded, inner.Err())
	requireLive(t, outer)

	cancelInner()
	f.Advance(9 * time.Second)
	assert.Equal(t, context.DeadlineExceeded, outer.Err())
	assert.Zero(t, f.Pending())
}

func TestFakeDeadlineAlreadyDone(t *testing.T) {
	t.Run("deadline passed", func(t *testing.T) {
		f := clock.NewFake(epoch)
		ctx, cancel := f.WithDeadline(context.Background(), epoch)
		defer cancel()
		requireDone(t, ctx)
		assert.Equal(t, context.DeadlineExceeded, ctx.Err())
		assert.Zero(t, f.Pending())
	})
	t.Run("parent canceled", func(t *testing.T) {
		f := clock.NewFake(epoch)
		parent, cancelParent := context.WithCancel(context.Background())
		cancelParent()
		ctx, cancel := f.WithTimeout(parent, time.Second)
		defer cancel()
		requireDone(t, ctx)
		assert.Equal(t, context.Canceled, ctx.Err())
		assert.Zero(t, f.Pending())
	})
}

func TestFakeDeadlineValuesPassThrough(t *testing.T) {
	f := clock.NewFake(epoch)
	parent := context.WithValue(context.Background(), ctxKey{}, 42)
	ctx, cancel := f.WithTimeout(parent, time.Second)
	defer cancel()
	assert.Equal(t, 42, ctx.Value(ctxKey{}))
	assert.Nil(t, ctx.Value("missing"))
}

func TestFakeDeadlineCancelReleasesChildren(t *testing.T) {
	// Children that end first must unregister from their fake parent, or
	// a long-lived fake context would grow without bound.
	f := clock.NewFake(epoch)
	ctx, cancel := f.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for range 1000 {
		_, cancelChild := context.WithCancel(ctx)
		cancelChild()
	}
	allocs := testing.AllocsPerRun(100, func() {
		_, cancelChild := context.WithCancel(ctx)
		cancelChild()
	})
	assert.Less(t, allocs, 10.0)
}

// TestFakeDeadlineConcurrent creates, cancels and expires deadline contexts
// from many goroutines at once.
func TestFakeDeadlineConcurrent(t *testing.T) {
	f := clock.NewFake(epoch)
	root, cancelRoot := context.WithCancel(context.Background())
	const workers = 64
	var wg, created sync.WaitGroup
	created.Add(workers)
	for w := range workers {
		wg.Go(func() {
			d := time.Duration(w%8+1) * time.Millisecond
			if w%3 == 0 {
				d = time.Hour // outlives the advancing, so only cancel ends it
			}
			ctx, cancel := f.WithTimeout(root, d)
			defer cancel()
			child, cancelChild := context.WithCancel(ctx)
			defer cancelChild()
			created.Done()
			switch w % 3 {
			case 0:
				cancel()
				assert.Equal(t, context.Canceled, child.Err())
			case 1:
				<-child.Done()
				assert.Equal(t, context.DeadlineExceeded, child.Err())
			default:
				<-child.Done()
				assert.Error(t, child.Err())
			}
		})
	}
	created.Wait() // every deadline is armed before time moves
	for range 8 {
		f.Advance(time.Millisecond)
	}
	cancelRoot()
	wg.Wait()
	assert.Zero(t, f.Pending())
}
