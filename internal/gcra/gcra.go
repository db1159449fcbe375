// Package gcra is the arithmetic of the generic cell rate algorithm that
// ratelimit.PerKey runs in memory and ratelimit/redisrate runs in Redis: a
// token bucket kept as one number per caller, the theoretical arrival time
// (tat) at which its bucket is full again.
//
// With emission interval T (the time one token takes to come back) and burst
// b, limit = b·T: a call at now is admitted when max(tat, now) + T − now ≤
// limit, and then tat becomes max(tat, now) + T. ahead = tat − now (≥ 0)
// is how far the bucket is from full, as time.
package gcra

// Remaining returns how many calls would be admitted at once for a caller
// whose bucket is ahead from full (interval, limit and ahead in one unit of
// time), and reset: when remaining > 0, the time until the bucket is full;
// else the time until the next call is admitted.
func Remaining(interval, limit, ahead int64) (remaining, reset int64) {
	ahead = max(ahead, 0)
	free := limit - ahead
	remaining = max(0, free/interval)
	if remaining > 0 {
		return remaining, ahead
	}
	return 0, interval - free
}
