package loadshed

import "time"

// codel is the queue's CoDel state (Facebook, "Fail at Scale"), kept per
// criticality level: a level's queue is congested when it has not been
// empty for longer than interval; then a request of that level may wait
// target, else interval. Times are durations since the Shedder's origin.
//
// Per level, because one queue shared by all levels is emptied whenever its
// most important waiters are served, which they are at once: a SHEDDABLE
// backlog behind them would read as a queue the server keeps up with, and
// its requests would wait the whole interval (FIFO, before each 100 ms turn
// to congestion) instead of the target — the tail latency of everything
// admitted. A level's congestion is its own waiters' standing queue.
//
// The target is a floor on how long a waiter gets: a server whose slots free
// only every few milliseconds (eight slots of 40 ms requests free one every
// 5 ms) would otherwise shed most of its waiters — the most important
// included — just before the release that would have served them. So while
// congested a waiter may wait max(target, gapFactor x the mean time between
// releases), never more than the interval.
type codel struct {
	target, interval time.Duration
	gap              time.Duration // mean time between releases while requests waited
	lastRelease      time.Duration // 0: none yet
	lv               [levels]codelLevel
}

// codelLevel is one criticality level's share of the queue.
type codelLevel struct {
	n         int           // its waiters in the queue
	lastEmpty time.Duration // the last time the server emptied its queue
	// shedEmpty says its queue was last emptied by shedding, or by serving
	// a request late: not a sign that the server keeps up (see
	// Shedder.emptied), unless it then stays empty for an interval.
	shedEmpty bool
	emptyAt   time.Duration // when its queue last became empty, however
	// congestedAt is the last time its queue was seen congested; 0: never.
	congestedAt time.Duration
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

// congested reports whether level l's queue is congested at now: it has not
// been empty for longer than the interval.
func (c *codel) congested(l int8, now time.Duration) bool {
	v := &c.lv[l]
	return v.n > 0 && now-v.lastEmpty > c.interval
}

// lifo reports whether level l's waiters are served newest first at now:
// while it is congested, and for an interval after it last was. The
// memory is CoDel's (RFC 8289, 5.5, where a queue that turns bad again soon
// after leaving the dropping state resumes dropping at once), applied to
// the order only: a level emptied for a moment under a standing overload —
// its one waiter served at once, as LIFO serves the newest — would
// otherwise be served FIFO again, its oldest first, requests that have
// waited up to the interval, which is the tail latency of everything
// admitted. Its waits stay those of CoDel, so an important request that
// queues again after a brief congestion is not shed after the target.
func (c *codel) lifo(l int8, now time.Duration) bool {
	v := &c.lv[l]
	return c.congested(l, now) || v.congestedAt != 0 && now-v.congestedAt <= c.interval
}

// observe records, at now, that each level with waiters is congested or
// not; the Shedder calls it whenever it sweeps the queue.
func (c *codel) observe(now time.Duration) {
	for l := range c.lv {
		if c.congested(int8(l), now) {
			c.lv[l].congestedAt = now
		}
	}
}

// maxWait is how long a waiter of level l may have waited at now before it
// is shed.
func (c *codel) maxWait(l int8, now time.Duration) time.Duration {
	if c.congested(l, now) {
		return c.congestedWait()
	}
	return c.interval
}

// nextCheck is the soonest time a waiter may have to be shed, oldest being
// when each level's oldest waiter was queued: for each level with waiters,
// its interval runs out, or it turns congested and its oldest has waited
// past the congested wait, whichever is sooner. Since oldest >= lastEmpty,
// that is max(lastEmpty+interval, oldest+congestedWait).
func (c *codel) nextCheck(oldest [levels]time.Duration) time.Duration {
	next := time.Duration(-1)
	for l := range c.lv {
		if c.lv[l].n == 0 {
			continue
		}
		at := max(c.lv[l].lastEmpty+c.interval, oldest[l]+c.congestedWait())
		if next < 0 || at < next {
			next = at
		}
	}
	return next
}
