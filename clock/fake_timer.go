package clock

import "time"

// fakeTimer is one entry in a Fake's queue: a channel timer (c set), an
// AfterFunc (fn set), or a deadline context's expiry (fn and ctx set).
type fakeTimer struct {
	f     *Fake
	when  time.Time
	seq   uint64 // creation order, to break ties in when
	index int    // position in the queue; -1 when not pending
	c     chan time.Time
	fn    func()
	ctx   *deadlineCtx
}

var _ Timer = (*fakeTimer)(nil)

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.f.stopLocked(t)
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	pending := t.f.stopLocked(t)
	t.f.startLocked(t, t.f.now.Add(d))
	return pending
}

// live reports whether the entry still counts as pending: a deadline context
// canceled through its parent is dead weight until its cancel func removes it.
func (t *fakeTimer) live() bool {
	return t.ctx == nil || t.ctx.inner.Err() == nil
}

// timerQueue is a min-heap of pending timers by (when, seq).
type timerQueue []*fakeTimer

func (q timerQueue) Len() int { return len(q) }

func (q timerQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.Before(q[j].when)
	}
	return q[i].seq < q[j].seq
}

func (q timerQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *timerQueue) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*q)
	*q = append(*q, t)
}

func (q *timerQueue) Pop() any {
	old := *q
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*q = old[:n-1]
	return t
}
