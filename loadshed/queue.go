package loadshed

import (
	"time"

	"github.com/paved-go/paved/internal/limit"
)

// waiter is one request waiting for a slot. The Shedder decides its fate
// under its mutex — a slot (tok) or a refusal (shed) — removes it from the
// queue and closes done.
type waiter struct {
	rank int8          // higher is served first and shed last
	enq  time.Duration // when it was queued, since the Shedder's origin
	idx  int           // its index in the queue; -1 once decided
	done chan struct{}
	tok  limit.Token
	shed string // why it was shed ("queue_full", "queue_timeout", "evicted"); "" if granted
}

// rank orders requests: criticality first, then whether the caller is within
// its fair share. Priorities run from -2 (sheddable) to 2 (critical plus).
func rank(priority int8, overShare bool) int8 {
	r := priority * 2
	if !overShare {
		r++
	}
	return r
}

// codel is the queue's CoDel state (Facebook, "Fail at Scale"): the queue is
// congested when it has not been empty for longer than interval; then a
// request may wait target, else interval. Times are durations since the
// Shedder's origin.
type codel struct {
	target, interval time.Duration
	lastEmpty        time.Duration // the last time the queue was empty
}

// congested reports whether a queue of n waiters is congested at now.
func (c *codel) congested(n int, now time.Duration) bool {
	return n > 0 && now-c.lastEmpty > c.interval
}

// maxWait is how long a waiter may have waited at now before it is shed.
func (c *codel) maxWait(n int, now time.Duration) time.Duration {
	if c.congested(n, now) {
		return c.target
	}
	return c.interval
}

// nextCheck is the soonest time a waiter queued at oldest may have to be
// shed: its interval runs out, or the queue turns congested and it has
// waited past target, whichever is sooner. Since oldest >= lastEmpty, that
// is max(lastEmpty+interval, oldest+target).
func (c *codel) nextCheck(oldest time.Duration) time.Duration {
	return max(c.lastEmpty+c.interval, oldest+c.target)
}

// queue is the waiters, in no order: it is scanned, which for the few
// hundred waiters a server lets queue costs less than keeping a heap.
type queue []*waiter

func (q *queue) push(w *waiter) {
	w.idx = len(*q)
	*q = append(*q, w)
}

func (q *queue) remove(w *waiter) {
	s := *q
	last := len(s) - 1
	s[w.idx] = s[last]
	s[w.idx].idx = w.idx
	s[last] = nil
	*q = s[:last]
	w.idx = -1
}

// best is the waiter to serve next: the highest rank; within it the newest
// while congested (LIFO: it is the one whose caller is most likely still
// waiting), else the oldest (FIFO).
func (q queue) best(lifo bool) *waiter {
	var b *waiter
	for _, w := range q {
		switch {
		case b == nil, w.rank > b.rank:
			b = w
		case w.rank == b.rank && (lifo && w.enq > b.enq || !lifo && w.enq < b.enq):
			b = w
		}
	}
	return b
}

// worst is the waiter to shed first: the lowest rank, within it the oldest.
func (q queue) worst() *waiter {
	var b *waiter
	for _, w := range q {
		if b == nil || w.rank < b.rank || w.rank == b.rank && w.enq < b.enq {
			b = w
		}
	}
	return b
}

// oldest returns the earliest time a waiter was queued.
func (q queue) oldest() time.Duration {
	o := q[0].enq
	for _, w := range q[1:] {
		o = min(o, w.enq)
	}
	return o
}
