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

// levels is the number of criticality levels.
const levels = 4

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
// within it). A request of rank r is admitted only while fewer than
// threshold(r) are in flight: share(r) of the limit, each step down leaving
// 5% of the limit to the ranks above, so that a slot is free when a more
// important request comes, instead of every slot being held by sheddable
// work it would have to wait behind. The adaptive limit absorbs the
// headroom: it grows until the latency of what is admitted says stop, so a
// server with sheddable traffic only still runs at the concurrency it can
// serve.
const (
	maxRank  = 7
	rankStep = 0.05
)

func share(r int8) float64 { return 1 - rankStep*float64(maxRank-r) }

// threshold is how many may be in flight, at most, when a request of rank r
// is admitted under limit: share(r) of it, and for a caller over its fair
// share also at least one slot fewer than for a caller of its criticality
// within it. 5% of a small limit is less than a slot (65% and 70% of 14
// both admit at 9 in flight), which would let a greedy caller take every
// slot its level is left while a polite one waits behind it. It is never
// less than the rank below gets (thresholds grow with rank), nor, for rank
// 0, less than one slot, so that an idle server admits anyone.
func threshold(r int8, limit int) float64 {
	l := float64(limit)
	th := share(r) * l
	if r%2 == 0 {
		floor := min(th, 1)
		if r > 0 {
			floor = share(r-1) * l
		}
		th = max(min(th, share(r+1)*l-1), floor)
	}
	return th
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
// while its criticality's queue is congested or was lately (LIFO: it is the
// one whose caller is most likely still waiting; codel.lifo), else the
// oldest (FIFO).
func (q queue) best(c *codel, now time.Duration) *waiter {
	var b *waiter
	lifo := false
	for _, w := range q {
		switch {
		case b == nil, w.rank > b.rank:
			b = w
			lifo = c.lifo(b.rank/2, now)
		case w.rank == b.rank && (lifo && w.enq > b.enq || !lifo && w.enq < b.enq):
			b = w
		}
	}
	return b
}

// top is the highest rank waiting; -1 if none.
func (q queue) top() int8 {
	t := int8(-1)
	for _, w := range q {
		t = max(t, w.rank)
	}
	return t
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

// oldest returns the earliest time a waiter of each criticality level was
// queued (0 for a level with no waiter: it is not read then).
func (q queue) oldest() (o [levels]time.Duration) {
	for _, w := range q {
		if l := w.rank / 2; o[l] == 0 || w.enq < o[l] {
			o[l] = w.enq
		}
	}
	return o
}
