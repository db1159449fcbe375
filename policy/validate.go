package policy

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// checker collects the problems of one section (defaults, a dependency, the
// server), its paths relative to the section.
type checker struct {
	problems []Problem
	// set reports whether the section itself sets a path (nil: unknown), so
	// that a rule between two fields is reported where the file has it.
	set func(path string) bool
}

func (c *checker) add(path, rule, value string) {
	c.problems = append(c.problems, Problem{Path: path, Rule: rule, Value: value})
}

// between reports a rule between two fields at path, or, when the section
// sets other but not path (it inherited path), at other with otherRule and
// otherValue: at the field the section set, which has a line.
func (c *checker) between(path, rule, value, other, otherRule, otherValue string) {
	if c.set != nil && !c.set(path) && c.set(other) {
		c.add(other, otherRule, otherValue)
		return
	}
	c.add(path, rule, value)
}

func (c *checker) intRange(path string, v, lo, hi int) {
	if v < lo || v > hi {
		c.add(path, fmt.Sprintf("must be %d..%d", lo, hi), strconv.Itoa(v))
	}
}

func (c *checker) durRange(path string, v, lo, hi time.Duration) {
	if v < lo || v > hi {
		c.add(path, "must be "+fmtDur(lo)+".."+fmtDur(hi), fmtDur(v))
	}
}

// floatRange checks lo <= v <= hi, or lo < v when openLo.
func (c *checker) floatRange(path string, v, lo, hi float64, openLo, openHi bool) {
	ok := v >= lo && v <= hi && !(openLo && v == lo) && !(openHi && v == hi)
	if !ok || v != v { // NaN
		l, r := "", ""
		if openLo || openHi {
			l, r = "in [", "]"
			if openLo {
				l = "in ("
			}
			if openHi {
				r = ")"
			}
			c.add(path, "must be "+l+fmtFloat(lo)+", "+fmtFloat(hi)+r, fmtFloat(v))
			return
		}
		c.add(path, "must be "+fmtFloat(lo)+".."+fmtFloat(hi), fmtFloat(v))
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// fmtDur writes a duration as a file would: 24h rather than 24h0m0s.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

var jitters = []string{"full", "equal", "decorrelated", "none"}

// checkDependency checks one resolved dependency: every field in its range,
// then the rules between fields. set reports whether the dependency's own
// section sets a path.
func checkDependency(d Dependency, set func(path string) bool) []Problem {
	c := checker{set: set}
	t := d.Timeout
	c.durRange("timeout.total", t.Total, time.Millisecond, 24*time.Hour)
	c.durRange("timeout.attempt", t.Attempt, time.Millisecond, 24*time.Hour)
	if t.Attempt > t.Total && t.Total > 0 {
		c.between("timeout.attempt", "must be at most timeout.total ("+fmtDur(t.Total)+")", fmtDur(t.Attempt),
			"timeout.total", "must be at least timeout.attempt ("+fmtDur(t.Attempt)+")", fmtDur(t.Total))
	}

	r := d.Retry
	c.intRange("retry.max_attempts", r.MaxAttempts, 1, 10)
	c.durRange("retry.backoff.base", r.Backoff.Base, time.Millisecond, time.Hour)
	c.durRange("retry.backoff.max", r.Backoff.Max, time.Millisecond, time.Hour)
	if r.Backoff.Max < r.Backoff.Base {
		c.between("retry.backoff.max", "must be at least retry.backoff.base ("+fmtDur(r.Backoff.Base)+")", fmtDur(r.Backoff.Max),
			"retry.backoff.base", "must be at most retry.backoff.max ("+fmtDur(r.Backoff.Max)+")", fmtDur(r.Backoff.Base))
	}
	if _, ok := jitterOf(r.Backoff.Jitter); !ok {
		c.add("retry.backoff.jitter", "must be one of "+strings.Join(jitters, ", "), strconv.Quote(r.Backoff.Jitter))
	}
	c.durRange("retry.min_attempt_time", r.MinAttemptTime, 0, time.Hour)
	checkBudget(&c, "retry.budget", r.Budget)

	h := d.Hedge
	c.durRange("hedge.delay", h.Delay, time.Millisecond, time.Hour)
	c.floatRange("hedge.quantile", h.Quantile, 0, 1, true, true)
	c.intRange("hedge.min_samples", h.MinSamples, 1, 512)
	c.intRange("hedge.max_hedges", h.MaxHedges, 1, 4)
	c.durRange("hedge.max_pushback", h.MaxPushback, time.Millisecond, time.Hour)
	checkBudget(&c, "hedge.budget", h.Budget)
	if h.Enabled && h.Delay >= t.Attempt && t.Attempt > 0 {
		c.between("hedge.delay", "must be less than timeout.attempt ("+fmtDur(t.Attempt)+"), or no hedge starts before the attempt times out", fmtDur(h.Delay),
			"timeout.attempt", "must be more than hedge.delay ("+fmtDur(h.Delay)+"), or no hedge starts before the attempt times out", fmtDur(t.Attempt))
	}

	b := d.Breaker
	c.floatRange("breaker.failure_ratio", b.FailureRatio, 0, 1, true, false)
	c.intRange("breaker.min_requests", b.MinRequests, 1, 1_000_000)
	c.durRange("breaker.window", b.Window, 10*time.Millisecond, time.Hour)
	c.intRange("breaker.consecutive_failures", b.ConsecutiveFailures, 0, 1_000_000)
	c.durRange("breaker.open_for", b.OpenFor, time.Millisecond, time.Hour)
	c.floatRange("breaker.jitter", b.Jitter, 0, 0.5, false, false)
	c.intRange("breaker.half_open_requests", b.HalfOpenRequests, 1, 1000)
	c.durRange("breaker.slow_call_threshold", b.SlowCallThreshold, 0, time.Hour)
	if b.Enabled && b.Window < 2*t.Attempt {
		c.between("breaker.window", "must be at least 2 x timeout.attempt ("+fmtDur(2*t.Attempt)+"), so a window sees whole attempts", fmtDur(b.Window),
			"timeout.attempt", "must be at most half of breaker.window ("+fmtDur(b.Window/2)+"), so a window sees whole attempts", fmtDur(t.Attempt))
	}
	if b.Enabled {
		checkBreakerKeys(&c, b)
	}
	if x := d.Bulkhead; x.Enabled {
		if x.Adaptive {
			checkLimits(&c, "bulkhead", x.Algorithm, x.InitialLimit, x.MinLimit, x.MaxLimit, 1_000_000)
		} else {
			c.intRange("bulkhead.max_concurrent", x.MaxConcurrent, 1, 1_000_000)
		}
		c.durRange("bulkhead.max_wait", x.MaxWait, 0, time.Minute)
		if x.MaxQueue != -1 {
			c.intRange("bulkhead.max_queue", x.MaxQueue, 0, 1_000_000)
		}
	}
	if x := d.Limit; x.Enabled {
		checkRate(&c, "rate_limit", x)
		c.durRange("rate_limit.max_wait", x.MaxWait, 0, time.Hour)
		if x.Store != "memory" {
			store := strconv.Quote(redactStore(x.Store))
			if x.MaxWait != 0 {
				c.between("rate_limit.max_wait", "must be 0s with a Redis store: the fleet-wide limit refuses at once", fmtDur(x.MaxWait),
					"rate_limit.store", `must be "memory" while rate_limit.max_wait is more than 0s (`+fmtDur(x.MaxWait)+"): the fleet-wide limit refuses at once", store)
			}
			if x.ServerFeedback {
				c.between("rate_limit.server_feedback", "must be false with a Redis store: the fleet-wide limit does not follow the server's RateLimit fields", "true",
					"rate_limit.store", `must be "memory" while rate_limit.server_feedback is true: the fleet-wide limit does not follow the server's RateLimit fields`, store)
			}
		}
		if (x.Key != "" || c.set != nil && c.set("rate_limit.key")) && !validLimitName(x.Key) {
			c.add("rate_limit.key", "must be 1..64 printable ASCII characters, without '\"' or '\\'", strconv.Quote(x.Key))
		}
	}
	if x := d.Throttle; x.Enabled {
		c.floatRange("throttle.k", x.K, 1, 10, false, false)
		c.durRange("throttle.window", x.Window, time.Second, time.Hour)
		c.floatRange("throttle.max_reject_probability", x.MaxRejectProbability, 0, 1, false, false)
		c.floatRange("throttle.min_rate", x.MinRate, 0, 1_000_000, false, false)
	}
	checkFallback(&c, d.Fallback) // on or off, like chaos: turning it on must not find a bad list
	checkChaos(&c, "chaos", d.Chaos)
	return c.problems
}

var algorithms = []string{"gradient2", "vegas", "aimd"}

func checkLimits(c *checker, path, alg string, initial, lo, hi, top int) {
	if !slices.Contains(algorithms, alg) {
		c.add(path+".algorithm", "must be one of "+strings.Join(algorithms, ", "), strconv.Quote(alg))
	}
	c.intRange(path+".max_limit", hi, 1, top)
	c.intRange(path+".min_limit", lo, 1, max(hi, 1))
	c.intRange(path+".initial_limit", initial, lo, max(hi, lo))
}

func checkRate(c *checker, path string, x RateLimit) {
	if x.Store == "memory" {
		c.floatRange(path+".rate", x.Rate, 0, 1e9, true, false)
		c.intRange(path+".burst", x.Burst, 1, 1_000_000_000)
		return
	}
	checkFleetStore(c, path+".store", x.Store)
	c.floatRange(path+".rate", x.Rate, 0, 1e6, true, false) // redisrate: an interval of at least 1µs
	c.intRange(path+".burst", x.Burst, 1, 1_000_000_000)
	if x.Rate > 0 && x.Burst >= 1 && float64(x.Burst)*math.Round(1e6/x.Rate) > 1e15 {
		c.add(path+".burst", "must be at most 1e9 seconds of the rate with a Redis store", strconv.Itoa(x.Burst))
	}
	if strings.ContainsAny(x.KeyPrefix, "{}") {
		c.add(path+".key_prefix", "must not contain '{' or '}' (the caller's key is the Redis Cluster hash tag)", strconv.Quote(x.KeyPrefix))
	}
	if !x.FailClosed {
		c.intRange(path+".replicas", x.Replicas, 1, 10_000)
	}
	c.durRange(path+".decision_timeout", x.DecisionTimeout, time.Millisecond, 10*time.Second)
	c.durRange(path+".store_retry", x.StoreRetry, 10*time.Millisecond, time.Minute)
}

var perKeys = []string{"operation", "caller"}

func checkBreakerKeys(c *checker, b Breaker) {
	if b.PerKey != "" {
		if !slices.Contains(perKeys, b.PerKey) {
			c.add("breaker.per_key", `must be "" (one breaker) or one of `+strings.Join(perKeys, ", "), strconv.Quote(b.PerKey))
		}
		c.intRange("breaker.max_keys", b.MaxKeys, 1, 1<<20)
		c.durRange("breaker.idle_timeout", b.IdleTimeout, time.Second, 24*time.Hour)
	}
	if b.Store == "memory" {
		return
	}
	checkFleetStore(c, "breaker.store", b.Store)
	if b.PerKey != "" {
		c.between("breaker.per_key", `must be "" with a Redis store: the fleet shares one breaker per dependency`, strconv.Quote(b.PerKey),
			"breaker.store", `must be "memory" while breaker.per_key is set (`+strconv.Quote(b.PerKey)+"): the fleet shares one breaker per dependency", strconv.Quote(redactStore(b.Store)))
	}
	if i := strings.IndexByte(b.KeyPrefix, '{'); i >= 0 && i+1 < len(b.KeyPrefix) && b.KeyPrefix[i+1] == '}' {
		c.add("breaker.key_prefix", "must not hold an empty Redis Cluster hash tag '{}'", strconv.Quote(b.KeyPrefix))
	}
	c.durRange("breaker.sync_period", b.SyncPeriod, 10*time.Millisecond, 10*time.Second)
}

// validLimitName is ratelimit's rule for a limit's name: a structured-field
// String without escapes.
func validLimitName(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' {
			return false
		}
	}
	return true
}

func checkBudget(c *checker, path string, b Budget) {
	c.floatRange(path+".ratio", b.Ratio, 0, 1, false, false)
	c.floatRange(path+".min_per_second", b.MinPerSecond, 0, 1000, false, false)
	c.floatRange(path+".capacity", b.Capacity, 1, 1_000_000, false, false)
}

func checkServer(s Server) []Problem {
	var c checker
	if s.Name == "" {
		c.add("server.name", "must not be empty", `""`)
	}
	if s.Deadline.Enabled {
		if !validHeader(s.Deadline.Header) {
			c.add("server.deadline.header", "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)", strconv.Quote(s.Deadline.Header))
		}
		c.durRange("server.deadline.max", s.Deadline.Max, time.Millisecond, 24*time.Hour)
	}
	if h := s.CallerKey.Header; h != "" && !validHeader(h) {
		c.add("server.caller_key.header", "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)", strconv.Quote(h))
	}
	if m := s.CallerKey.Metadata; m != "" && !validMetadataKey(m) {
		c.add("server.caller_key.metadata", "must be a gRPC metadata key (lower-case letters, digits, '-', '_' and '.', not starting with grpc-)", strconv.Quote(m))
	}
	if x := s.LoadShed; x.Enabled {
		checkLimits(&c, "server.load_shed", x.Algorithm, x.InitialLimit, x.MinLimit, x.MaxLimit, 1_000_000)
		c.intRange("server.load_shed.max_queue", x.MaxQueue, 0, 100_000)
		c.durRange("server.load_shed.codel_interval", x.CoDelInterval, time.Millisecond, 10*time.Second)
		if x.CoDelTarget <= 0 || x.CoDelTarget >= x.CoDelInterval {
			c.add("server.load_shed.codel_target", "must be more than 0 and less than server.load_shed.codel_interval ("+fmtDur(x.CoDelInterval)+")", fmtDur(x.CoDelTarget))
		}
		c.durRange("server.load_shed.retry_after", x.RetryAfter, 0, time.Hour)
	}
	if x := s.Limit; x.Enabled {
		checkRate(&c, "server.rate_limit", x)
		if x.Key != "" {
			c.add("server.rate_limit.key", "must not be set: the server's limit is per caller (server.caller_key)", strconv.Quote(x.Key))
		}
		c.intRange("server.rate_limit.max_keys", x.MaxKeys, 1, 16_777_216)
		if x.MaxWait != 0 {
			c.add("server.rate_limit.max_wait", "must be 0s: a server answers a caller over its limit with 429 at once", fmtDur(x.MaxWait))
		}
		if x.ServerFeedback {
			c.add("server.rate_limit.server_feedback", "must be false: the server's limit sends the RateLimit fields, and following them is a dependency's rate_limit's job", "true")
		}
	}
	if x := s.Idempotency; x.Enabled {
		if !validStoreURL(x.Store) {
			c.add("server.idempotency.store", `must be "memory" or a redis://, rediss://, postgres:// or postgresql:// URL (opened by package policy/stores)`, strconv.Quote(redactStore(x.Store)))
		} else if x.Store != "memory" {
			if check, ok := storeLinked(x.Store); !ok {
				c.add("server.idempotency.store", notLinked(x.Store), strconv.Quote(redactStore(x.Store)))
			} else {
				checkURL(&c, "server.idempotency.store", x.Store, check)
			}
		}
		c.durRange("server.idempotency.lease", x.Lease, time.Millisecond, 24*time.Hour)
		c.durRange("server.idempotency.retention", x.Retention, max(x.Lease, time.Millisecond), 8760*time.Hour)
		c.durRange("server.idempotency.store_timeout", x.StoreTimeout, time.Millisecond, time.Minute)
		c.intRange("server.idempotency.max_stored_bytes", x.MaxStoredBytes, 0, 1<<30)
	}
	checkChaos(&c, "server.chaos", s.Chaos)
	return c.problems
}

// validHeader reports whether s is an RFC 9110 token.
func validHeader(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validMetadataKey(s string) bool {
	if s == "" || strings.HasPrefix(s, "grpc-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
