package clock

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// WithTimeout is f.WithDeadline(ctx, f.Now().Add(d)).
func (f *Fake) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return f.WithDeadline(ctx, f.Now().Add(d))
}

// WithDeadline returns a copy of parent that reports d from Deadline and is
// canceled, with context.DeadlineExceeded as its Err and Cause, when the fake
// time reaches d. It is canceled at once, as parent's child, when parent is.
// While it waits it counts as one pending timer.
//
// Its own children (from context.WithCancel and the like) end with it, with
// its Err and Cause, synchronously when the deadline passes or its cancel func
// is called. When it ends because its parent was canceled, its children follow
// a moment later, from a goroutine: the context package offers custom
// contexts no synchronous hook into a parent's cancellation. Code that waits
// on Done, as code should, cannot tell. As with
// context.WithDeadline, a parent deadline no later than d governs instead, and
// the result is then a plain cancelable child that the Fake does not track.
func (f *Fake) WithDeadline(parent context.Context, d time.Time) (context.Context, context.CancelFunc) {
	if cur, ok := parent.Deadline(); ok && cur.Before(d) {
		return context.WithCancel(parent)
	}
	c := &deadlineCtx{deadline: d}
	c.inner, c.cancelInner = context.WithCancelCause(parent)
	c.causes, c.cancelCauses = context.WithCancel(c.inner)
	c.done, c.cancelDone = context.WithCancel(c.causes)
	// The only case where release runs on another goroutine: the parent was
	// canceled, which the context package reports asynchronously.
	c.stopInner = context.AfterFunc(c.done, c.release)

	if !c.arm(f) {
		c.expire() // already due
	}
	return c, c.cancel
}

// arm queues c's expiry on f, reporting false if the deadline has already
// passed. A context whose parent is already done needs no timer.
func (c *deadlineCtx) arm(f *Fake) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !c.deadline.After(f.now) {
		return false
	}
	c.timer = &fakeTimer{f: f, fn: c.expire, ctx: c, index: -1}
	f.startLocked(c.timer, c.deadline)
	return true
}

// deadlineCtx is a context that a Fake cancels at its deadline.
//
// It is built so that it behaves as a context.WithDeadline context does,
// including for its own children, using only the context package's public
// API. Three plain cancel contexts form a chain, each canceled synchronously
// by the one before: parent -> inner -> causes -> done.
//
//   - inner, a WithCancelCause child of the parent, is what we cancel, with
//     DeadlineExceeded or Canceled as the cause; it follows the parent.
//   - causes answers Value, and so Cause(ctx), which reads the cause from the
//     cancelCtx that Value returns. Being inner's child, it holds the first
//     cause, frozen, even if the parent is canceled later.
//   - done supplies Done and, translated, Err. It closes only after causes
//     has its cause, so whoever sees Done closed also sees the right Cause.
//     Because done's channel is not causes', the context package does not
//     attach our children straight to a cancelCtx (which would give them
//     Err == Canceled at the deadline); it calls our AfterFunc instead, and
//     we cancel them with our own Err and Cause.
type deadlineCtx struct {
	deadline     time.Time
	inner        context.Context
	cancelInner  context.CancelCauseFunc
	causes       context.Context
	cancelCauses context.CancelFunc
	done         context.Context
	cancelDone   context.CancelFunc
	stopInner    func() bool
	expired      atomic.Bool

	mu        sync.Mutex
	released  bool
	timer     *fakeTimer
	callbacks map[*afterFunc]struct{}
}

type afterFunc struct{ f func() }

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *deadlineCtx) Done() <-chan struct{}       { return c.done.Done() }
func (c *deadlineCtx) Value(key any) any           { return c.causes.Value(key) }

func (c *deadlineCtx) Err() error {
	err := c.done.Err()
	if err == context.Canceled && c.expired.Load() && context.Cause(c.inner) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

func (c *deadlineCtx) String() string {
	return "clock.Fake.WithDeadline(" + c.deadline.String() + ")"
}

// AfterFunc makes deadlineCtx an afterFuncer for the context package, which
// uses it to cancel our children: synchronously when the deadline or our
// cancel func ends us, promptly after the parent does.
func (c *deadlineCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		go f() // as context.AfterFunc does for a done context
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	if c.callbacks == nil {
		c.callbacks = make(map[*afterFunc]struct{})
	}
	c.callbacks[a] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.callbacks[a]
		delete(c.callbacks, a)
		return ok
	}
}

func (c *deadlineCtx) expire() {
	c.expired.Store(true)
	c.stopInner()
	c.cancelInner(context.DeadlineExceeded)
	c.release()
}

func (c *deadlineCtx) cancel() {
	c.stopInner()
	c.cancelInner(context.Canceled)
	c.cancelCauses() // already canceled through inner: for go vet
	c.cancelDone()
	c.release()
}

// release runs once, after done is canceled: it disarms the timer and cancels
// our children.
func (c *deadlineCtx) release() {
	c.mu.Lock()
	if c.released {
		c.mu.Unlock()
		return
	}
	c.released = true
	t, callbacks := c.timer, c.callbacks
	c.timer, c.callbacks = nil, nil
	c.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	for a := range callbacks {
		a.f()
	}
}
