package clock

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Fake is a Clock that moves only when told to, for tests. Timers, AfterFunc
// calls and deadline contexts created from it fire when [Fake.Advance] or
// [Fake.Set] moves its time to or past their due time, in due-time order
// (creation order among equals), with Now reporting each one's due time while
// it fires. Functions given to AfterFunc run on the goroutine that advances the
// clock, before Advance returns, so a test that advances the clock can assert
// on their effects straight away; they must not call Advance or Set
// themselves. An AfterFunc with d <= 0 runs at once in its own goroutine, as
// with [time.AfterFunc].
//
// A Fake is safe for concurrent use. The zero value is not usable; call
// [NewFake].
type Fake struct {
	// moving serializes Advance and Set, so two of them cannot interleave
	// firings out of time order.
	moving sync.Mutex

	blockLimit atomic.Int64 // BlockUntil's limit in ns; 0 means BlockUntilLimit

	mu    sync.Mutex
	now   time.Time
	queue timerQueue
	seq   uint64
	// added is closed, and cleared, whenever a timer is armed; BlockUntil
	// waits on it instead of polling.
	added chan struct{}
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake whose time is start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns f.Now().Sub(t).
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// NewTimer returns a Timer that fires when the fake time reaches Now()+d.
// A d <= 0 fires at once.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), index: -1}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startLocked(t, f.now.Add(d))
	return t
}

// AfterFunc arranges for fn to be called, on the goroutine that advances the
// clock, when the fake time reaches Now()+d. The Timer's C is nil.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn, index: -1}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startLocked(t, f.now.Add(d))
	return t
}

// Advance moves the fake time forward by d, firing everything that comes due.
// It panics if d is negative: time running backwards is a bug in the test; use
// Set to model a wall-clock step.
func (f *Fake) Advance(d time.Duration) {
	if d < 0 {
		panic("clock: Fake.Advance with negative duration " + d.String())
	}
	f.moving.Lock()
	defer f.moving.Unlock()
	f.mu.Lock()
	target := f.now.Add(d)
	f.mu.Unlock()
	f.runUntil(target)
}

// Set moves the fake time to t. Moving forward fires everything due by t, as
// Advance does; moving backward fires nothing, and pending timers keep their
// due times.
func (f *Fake) Set(t time.Time) {
	f.moving.Lock()
	defer f.moving.Unlock()
	f.mu.Lock()
	if t.Before(f.now) {
		f.now = t
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	f.runUntil(t)
}

// Pending returns how many timers, AfterFunc calls and deadline contexts are
// waiting to fire. A deadline context whose parent has been canceled no longer
// counts.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pendingLocked()
}

// BlockUntil blocks until at least n timers, AfterFunc calls and deadline
// contexts are pending, so that a test can advance the clock only once the
// code under test is waiting on it.
//
// It panics after BlockUntilLimit of real time (SetBlockUntilLimit) without n pending: code that
// never waits on the clock is a failing test, and the panic names it at once
// instead of hanging until go test's own timeout ten minutes later.
func (f *Fake) BlockUntil(n int) {
	limit := time.Duration(f.blockLimit.Load())
	if limit <= 0 {
		limit = BlockUntilLimit
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := f.BlockUntilContext(ctx, n); err != nil {
		panic(fmt.Sprintf("clock: BlockUntil(%d): only %d pending after %s", n, f.Pending(), limit))
	}
}

// BlockUntilLimit is how long BlockUntil waits, by default, before it panics.
const BlockUntilLimit = 30 * time.Second

// SetBlockUntilLimit changes how long BlockUntil waits before it panics; d <= 0
// restores BlockUntilLimit.
func (f *Fake) SetBlockUntilLimit(d time.Duration) { f.blockLimit.Store(int64(d)) }

// BlockUntilContext is BlockUntil that gives up, returning ctx.Err(), when ctx
// is done.
func (f *Fake) BlockUntilContext(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if f.pendingLocked() >= n {
			f.mu.Unlock()
			return nil
		}
		if f.added == nil {
			f.added = make(chan struct{})
		}
		added := f.added
		f.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Fake) pendingLocked() int {
	n := 0
	for _, t := range f.queue {
		if t.live() {
			n++
		}
	}
	return n
}

// startLocked arms t to fire at when, or fires it now if when has passed.
func (f *Fake) startLocked(t *fakeTimer, when time.Time) {
	if !when.After(f.now) {
		switch {
		case t.c != nil:
			t.c <- f.now // the channel is empty: arming always drains it first
		case t.fn != nil:
			go t.fn()
		}
		return
	}
	t.when = when
	t.seq = f.seq
	f.seq++
	heap.Push(&f.queue, t)
	if f.added != nil {
		close(f.added)
		f.added = nil
	}
}

// stopLocked disarms t and drains its channel, reporting whether it was
// pending (or had fired without being received, as time.Timer does).
func (f *Fake) stopLocked(t *fakeTimer) bool {
	pending := t.index >= 0
	if pending {
		heap.Remove(&f.queue, t.index)
	}
	if t.c != nil {
		select {
		case <-t.c:
			pending = true
		default:
		}
	}
	return pending
}

// runUntil fires, one at a time and in order, every timer due by target,
// including ones that firing arms, then sets the time to target (if later).
func (f *Fake) runUntil(target time.Time) {
	for {
		f.mu.Lock()
		if len(f.queue) == 0 || f.queue[0].when.After(target) {
			if target.After(f.now) {
				f.now = target
			}
			f.mu.Unlock()
			return
		}
		t := heap.Pop(&f.queue).(*fakeTimer)
		if t.when.After(f.now) {
			f.now = t.when
		}
		if t.c != nil {
			// Never blocks: the channel was drained when t was armed.
			t.c <- f.now
			f.mu.Unlock()
			continue
		}
		f.mu.Unlock()
		// Outside the lock, so fn may use the clock.
		t.fn()
	}
}
