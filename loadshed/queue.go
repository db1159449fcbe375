package loadshed

import (
	"time"

	"github.com/paved-go/paved"

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

// level is a priority's index, 0 (SHEDDABLE) to 3 (CRITICAL_PLUS).
func level(p paved.Priority) int8 {
	switch p {
	case paved.PriorityCriticalPlus:
		return 3
	case paved.PriorityCritical, paved.PriorityUnset:
		return 2
	case paved.PrioritySheddablePlus:
		return 1
	}
	return 0
}

// rank orders requests: criticality first, then whether the caller is within
// its fair share. SHEDDABLE over its share is 0, CRITICAL_PLUS within it 7.
func rank(lvl int8, overShare bool) int8 {
	r := lvl * 2
	if !overShare {
		r++
	}
	return r
}

// Ranks run from 0 (SHEDDABLE over its fair share) to 7 (CRITICAL_PLUS
// within it). A request of rank r is admitted only while fewer than share(r)
// of the limit are in flight: each step down leaves 5% of the limit to the
// ranks above, so that a slot is free when a more important request comes,
// instead of every slot being held by sheddable work it would have to wait
// behind. The adaptive limit absorbs the headroom: it grows until the
// latency of what is admitted says stop, so a server with sheddable traffic
// only still runs at the concurrency it can serve.
const (
	maxRank  = 7
	rankStep = 0.05
	minShare = 1 - rankStep*maxRank
)

func share(r int8) float64 { return 1 - rankStep*float64(maxRank-r) }

// codel is the queue's CoDel state (Facebook, "Fail at Scale"): the queue is
// congested when it has not been empty for longer than interval; then a
// request may wait target, else interval. Times are durations since the
// Shedder's origin.
//
// The target is a floor on how long a waiter gets: a server whose slots free
// only every few milliseconds (eight slots of 40 ms requests free one every
// 5 ms) would otherwise shed most of its waiters — the most important
// included — just before the release that would have served them. So while
// congested a waiter may wait max(target, gapFactor x the mean time between
// releases), never more than the interval.
type codel struct {
	target, interval time.Duration
	lastEmpty        time.Duration // the last time the server emptied the queue
	gap              time.Duration // mean time between releases while requests waited
	lastRelease      time.Duration // 0: none yet
}

// gapFactor is how many mean release gaps a waiter may wait while congested.
const gapFactor = 3

// released notes a release at now, seen while requests waited.
func (c *codel) released(now time.Duration) {
	if c.lastRelease != 0 {
		if d := now - c.lastRelease; d < c.interval {
			c.gap += (d - c.gap) / 8
		}
	}
	c.lastRelease = now
}

// congestedWait is how long a waiter may wait while congested.
func (c *codel) congestedWait() time.Duration {
	return min(max(c.target, gapFactor*c.gap), c.interval)
}

// congested reports whether a queue of n waiters is congested at now.
func (c *codel) congested(n int, now time.Duration) bool {
	return n > 0 && now-c.lastEmpty > c.interval
}

// maxWait is how long a waiter may have waited at now before it is shed.
func (c *codel) maxWait(n int, now time.Duration) time.Duration {
	if c.congested(n, now) {
		return c.congestedWait()
	}
	return c.interval
}

// nextCheck is the soonest time a waiter queued at oldest may have to be
// shed: its interval runs out, or the queue turns congested and it has
// waited past the congested wait, whichever is sooner. Since oldest >=
// lastEmpty, that is max(lastEmpty+interval, oldest+congestedWait).
func (c *codel) nextCheck(oldest time.Duration) time.Duration {
	return max(c.lastEmpty+c.interval, oldest+c.congestedWait())
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
