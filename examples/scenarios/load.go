package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// bucket is the width of one point on the charts over time.
const bucket = 100 * time.Millisecond

// maxInFlight bounds the calls one run keeps open at once: past it the load
// generator counts a call as failed without making it, as a client whose
// callers time out would. It keeps a retry storm from exhausting the
// machine's ports.
const maxInFlight = 2000

// sample is one call the load generator made.
type sample struct {
	start   time.Duration // since the run began
	latency time.Duration
	ok      bool
}

// run is one client's run of a scenario: the calls it made and the requests
// its dependency (the bottom tier) received, over time.
type run struct {
	name    string
	began   time.Time
	start   atomic.Int64 // began, in Unix nanoseconds, for the servers' goroutines
	dur     time.Duration
	mu      sync.Mutex
	samples []sample
	arrived []atomic.Int64 // dependency requests per bucket
	skipped atomic.Int64   // calls not made: maxInFlight reached
}

func newRun(name string, dur time.Duration) *run {
	// The dependency may still see requests after the last call starts.
	n := int((dur+10*time.Second)/bucket) + 1
	return &run{name: name, dur: dur, arrived: make([]atomic.Int64, n)}
}

// arrive counts one request at the dependency.
func (r *run) arrive() {
	start := r.start.Load()
	if start == 0 {
		return
	}
	i := int(time.Duration(time.Now().UnixNano()-start) / bucket)
	if i >= 0 && i < len(r.arrived) {
		r.arrived[i].Add(1)
	}
}

// drive makes calls at rate per second, open-loop (each call starts on
// schedule whether or not earlier ones have ended), for r.dur, and waits for
// them all. at(t) may change the scenario as time passes (an outage
// starting); it runs before each call.
func (r *run) drive(ctx context.Context, rate float64, call func(ctx context.Context) bool, at func(t time.Duration)) {
	interval := time.Duration(float64(time.Second) / rate)
	n := int(r.dur / interval)
	var wg sync.WaitGroup
	var inflight atomic.Int64
	r.began = time.Now()
	r.start.Store(r.began.UnixNano())
	for i := range n {
		due := time.Duration(i) * interval
		if wait := due - time.Since(r.began); wait > 0 {
			time.Sleep(wait)
		}
		if at != nil {
			at(due)
		}
		if inflight.Load() >= maxInFlight {
			r.skipped.Add(1)
			r.record(sample{start: due, ok: false})
			continue
		}
		inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inflight.Add(-1)
			start := time.Now()
			ok := call(ctx)
			// Charted by when the call was due, so a generator that fell
			// behind on a loaded machine and caught up draws no burst.
			r.record(sample{start: due, latency: time.Since(start), ok: ok})
		}()
	}
	wg.Wait()
}

func (r *run) record(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// result is what the table shows of one run.
type result struct {
	scenario, client string
	calls            int
	success          float64 // share of calls that succeeded
	goodput          float64 // successful calls per second
	attemptsPerCall  float64 // requests at the dependency per call
	p50, p99, p999   time.Duration
	recover          time.Duration // -1: not measured
	stopped          time.Duration // how long into the outage the client stopped sending; -1: it did not, or not measured
	series           series
}

// series is a run over time, one point per bucket.
type series struct {
	okPerSec      []float64 // successful calls per second, by start time
	callsPerSec   []float64
	arrivedPerSec []float64 // requests at the dependency per second
	p99           []float64 // seconds
}

// summarize computes r's result; recoveredAt, when positive, is when the
// dependency recovered, and the result says how long the client took to
// succeed again (90% of the calls of a bucket, and of every bucket after).
func (r *run) summarize(scenario string, recoveredAt time.Duration) result {
	r.mu.Lock()
	ss := slices.Clone(r.samples)
	r.mu.Unlock()
	res := result{scenario: scenario, client: r.name, calls: len(ss), recover: -1, stopped: -1}
	lat := make([]time.Duration, 0, len(ss))
	nb := int(r.dur / bucket) // whole buckets only: a partial last one would read as a drop
	ok := make([]float64, nb)
	all := make([]float64, nb)
	perBucket := make([][]time.Duration, nb)
	for _, s := range ss {
		lat = append(lat, s.latency)
		i := int(s.start / bucket)
		if i >= nb {
			i = nb - 1 // a call that started late, in the partial last bucket
		}
		all[i]++
		perBucket[i] = append(perBucket[i], s.latency)
		if s.ok {
			ok[i]++
			res.success++
		}
	}
	var arrived int64
	for i := range r.arrived {
		arrived += r.arrived[i].Load()
	}
	if len(ss) > 0 {
		res.attemptsPerCall = float64(arrived) / float64(len(ss))
		res.goodput = res.success / r.dur.Seconds()
		res.success /= float64(len(ss))
	}
	slices.Sort(lat)
	res.p50, res.p99, res.p999 = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 0.999)
	perSec := float64(time.Second / bucket)
	for i := range nb {
		res.series.okPerSec = append(res.series.okPerSec, ok[i]*perSec)
		res.series.callsPerSec = append(res.series.callsPerSec, all[i]*perSec)
		res.series.arrivedPerSec = append(res.series.arrivedPerSec, float64(r.arrived[i].Load())*perSec)
		slices.Sort(perBucket[i])
		res.series.p99 = append(res.series.p99, quantile(perBucket[i], 0.99).Seconds())
	}
	if recoveredAt > 0 {
		res.recover = recovery(ok, all, recoveredAt)
	}
	return res
}

// stoppedSending is how long after from the dependency's requests per
// bucket fell below a tenth of the calls made in it, staying there until
// to; -1 if they never did.
func stoppedSending(res result, from, to time.Duration) time.Duration {
	s := res.series
	first, last := int(from/bucket), min(int(to/bucket), len(s.arrivedPerSec))
	quiet := -1
	for i := first; i < last; i++ {
		if s.arrivedPerSec[i] < 0.1*s.callsPerSec[i] {
			if quiet < 0 {
				quiet = i
			}
		} else {
			quiet = -1
		}
	}
	if quiet < 0 {
		return -1
	}
	return time.Duration(quiet)*bucket - from
}

// recovery is how long after at the share of successful calls reached 90%
// in a bucket and stayed there in every bucket after; the whole remaining
// time if it never did.
func recovery(ok, all []float64, at time.Duration) time.Duration {
	first := int(at / bucket)
	good := -1
	for i := first; i < len(all); i++ {
		if all[i] > 0 && ok[i]/all[i] >= 0.9 {
			if good < 0 {
				good = i
			}
		} else {
			good = -1
		}
	}
	if good < 0 {
		return time.Duration(len(all)-first) * bucket
	}
	return max(time.Duration(good)*bucket-at, 0)
}

// quantile is the q-quantile of sorted, 0 when empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)))
	return sorted[min(i, len(sorted)-1)]
}
