package loadshed

import "time"

// counts is a sliding window of two counters kept in n buckets of width
// window/n, on elapsed time since an origin: a bucket ages out whole, so the
// window covers between window-width and window of history. Not safe for
// concurrent use: its owner locks.
type counts struct {
	width   time.Duration
	buckets []bucket
	head    int64 // index (elapsed/width) of the newest bucket
	total   bucket
}

type bucket struct{ a, b int64 }

func (c *counts) init(n int, window time.Duration) {
	c.width = window / time.Duration(n)
	c.buckets = make([]bucket, n)
}

// advance moves the window to now, clearing the buckets it passed.
func (c *counts) advance(now time.Duration) {
	idx := int64(now / c.width)
	if idx <= c.head {
		return
	}
	n := int64(len(c.buckets))
	if idx-c.head >= n {
		clear(c.buckets)
		c.total = bucket{}
	} else {
		for i := c.head + 1; i <= idx; i++ {
			b := &c.buckets[i%n]
			c.total.a -= b.a
			c.total.b -= b.b
			*b = bucket{}
		}
	}
	c.head = idx
}

// add counts a and b at now.
func (c *counts) add(now time.Duration, a, b int64) {
	c.advance(now)
	bk := &c.buckets[c.head%int64(len(c.buckets))]
	bk.a += a
	bk.b += b
	c.total.a += a
	c.total.b += b
}

// sum returns the window's totals as of the last advance.
func (c *counts) sum() (a, b int64) { return c.total.a, c.total.b }
