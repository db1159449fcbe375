package loopbacktest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedhttp"
)

// The overload proof of package loadshed, over loopback: open-loop arrivals
// (a fixed schedule, whatever the answers) at twice the capacity of a handler
// whose latency grows with concurrency — a queueing model, not a sleep
// constant: overloadWorkers workers each serve one request for
// overloadService, and a request waits for a free worker in arrival order, so
// its latency is its wait in that queue plus the service time. Capacity is
// overloadWorkers/overloadService = 200 requests a second.
const (
	overloadWorkers = 8
	overloadService = 40 * time.Millisecond
	overloadRate    = 2 * overloadWorkers * int(time.Second/overloadService) // 400/s: twice capacity
	clientTimeout   = time.Second
)

// queueingHandler is the model server. It does not watch the request's
// context, as CPU-bound work does not: a request whose client gave up still
// takes a worker when its turn comes. stop ends every wait, so the test ends
// without draining a backlog.
type queueingHandler struct {
	workers chan struct{}
	stop    chan struct{}
	served  atomic.Int64 // requests that got a worker and finished
	busy    atomic.Int64 // ns of worker time spent, to measure capacity
	inside  atomic.Int64 // requests in the handler now, waiting or served
}

func newQueueingHandler() *queueingHandler {
	return &queueingHandler{workers: make(chan struct{}, overloadWorkers), stop: make(chan struct{})}
}

// It answers with where the request's time went, for the test's breakdown:
// X-Worker-Wait-Ns waiting for a worker, X-Handler-Ns in the handler.
func (h *queueingHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.inside.Add(1)
	defer h.inside.Add(-1)
	t0 := time.Now()
	defer func() { w.Header().Set("X-Handler-Ns", strconv.FormatInt(int64(time.Since(t0)), 10)) }()
	select {
	case h.workers <- struct{}{}:
	case <-h.stop:
		return
	}
	start := time.Now()
	w.Header().Set("X-Worker-Wait-Ns", strconv.FormatInt(int64(start.Sub(t0)), 10))
	select {
	case <-time.After(overloadService):
	case <-h.stop:
	}
	h.busy.Add(int64(time.Since(start)))
	<-h.workers
	h.served.Add(1)
}

// arrival is one request of the schedule: its class and caller key.
type arrival struct {
	class string // "critical", "polite", "greedy"
	prio  paved.Priority
	key   string
}

// overloadMix is the offered load, per 20 arrivals: 30% CRITICAL (0.6 of
// capacity), and 70% SHEDDABLE from two callers, a polite one sending 5%
// (0.1 of capacity) and a greedy one 65%.
var overloadMix = func() []arrival {
	var m []arrival
	for i := range 20 {
		switch {
		case i%10 < 3:
			m = append(m, arrival{"critical", paved.PriorityCritical, "svc"})
		case i == 5:
			m = append(m, arrival{"polite", paved.PrioritySheddable, "polite"})
		default:
			m = append(m, arrival{"greedy", paved.PrioritySheddable, "greedy"})
		}
	}
	return m
}()

// result is what one request saw.
type result struct {
	class   string
	at      time.Duration // arrival, since the run started
	latency time.Duration
	status  int           // 0: the client gave up or failed
	worker  time.Duration // of an admitted request: its wait for a worker
	handler time.Duration // of an admitted request: its time in the handler
}

func headerDuration(h http.Header, key string) time.Duration {
	v, _ := strconv.ParseInt(h.Get(key), 10, 64)
	return time.Duration(v)
}

// openLoop sends rate requests a second for dur on a fixed schedule, each in
// its own goroutine with its own deadline, and returns every result.
func openLoop(srvURL string, client *http.Client, rate int, dur time.Duration) []result {
	n := int(dur.Seconds() * float64(rate))
	out := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d) // the schedule: arrivals do not wait for answers
		}
		a := overloadMix[i%len(overloadMix)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srvURL, nil)
			req.Header.Set(pavedhttp.CriticalityHeader, a.prio.WireName())
			req.Header.Set("X-Caller", a.key)
			t0 := time.Now()
			r := result{class: a.class, at: t0.Sub(start)}
			resp, err := client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				r.status = resp.StatusCode
				r.worker = headerDuration(resp.Header, "X-Worker-Wait-Ns")
				r.handler = headerDuration(resp.Header, "X-Handler-Ns")
			}
			r.latency = time.Since(t0)
			out[i] = r
		}()
	}
	wg.Wait()
	return out
}

// stats summarises results from `from` on.
type stats struct {
	sent, ok int
	p99      time.Duration
	byClass  map[string][2]int // sent, ok
	classP99 map[string]time.Duration
	// Where admitted requests waited, p50 and p99: before the handler (the
	// Shedder's queue, and the transport) and in it, for a worker.
	before, worker [2]time.Duration
}

func summarise(rs []result, from, dur time.Duration) stats {
	s := stats{byClass: map[string][2]int{}, classP99: map[string]time.Duration{}}
	var lat []time.Duration
	per := map[string][]time.Duration{}
	for _, r := range rs {
		if r.at < from {
			continue
		}
		c := s.byClass[r.class]
		c[0]++
		s.sent++
		if r.status == http.StatusOK {
			c[1]++
			s.ok++
			lat = append(lat, r.latency)
			per[r.class] = append(per[r.class], r.latency)
		}
		s.byClass[r.class] = c
	}
	s.p99 = p99(lat)
	var before, worker []time.Duration
	for _, r := range rs {
		if r.at >= from && r.status == http.StatusOK {
			before = append(before, r.latency-r.handler)
			worker = append(worker, r.worker)
		}
	}
	s.before = [2]time.Duration{pct(before, 0.5), p99(before)}
	s.worker = [2]time.Duration{pct(worker, 0.5), p99(worker)}
	for c, l := range per {
		s.classP99[c] = p99(l)
	}
	return s
}

func p99(lat []time.Duration) time.Duration { return pct(lat, 0.99) }

// pct is quantile, 0 for no samples.
func pct(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return quantile(lat, q)
}

func (s stats) rate(class string) float64 {
	c := s.byClass[class]
	if c[0] == 0 {
		return 0
	}
	return float64(c[1]) / float64(c[0])
}

func (s stats) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("success: critical %.1f%%, polite sheddable %.1f%%, greedy sheddable %.1f%%; "+
		"admitted p99 %v (critical %v, polite %v, greedy %v); waited before the handler p50 %v p99 %v, for a worker p50 %v p99 %v",
		100*s.rate("critical"), 100*s.rate("polite"), 100*s.rate("greedy"),
		r(s.p99), r(s.classP99["critical"]), r(s.classP99["polite"]), r(s.classP99["greedy"]),
		r(s.before[0]), r(s.before[1]), r(s.worker[0]), r(s.worker[1]))
}

func overloadServer(t *testing.T, h *queueingHandler, shed *loadshed.Shedder) (string, *http.Client) {
	var ms []paved.Middleware
	if shed != nil {
		ms = append(ms, shed)
	}
	srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("server", ms...), h,
		pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Caller") })))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(h.stop) }) // first: Close waits for the handlers
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024
	t.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}
}

// TestOverload: offered twice its capacity, a server behind loadshed keeps
// its goodput at capacity and the latency of what it admits near the
// unloaded latency, serves its CRITICAL traffic and sheds SHEDDABLE first,
// and within SHEDDABLE sheds the greedy caller before the polite one. The
// same run without loadshed is printed beside it.
func TestOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("a 12 s load test")
	}
	const (
		unloaded = 1500 * time.Millisecond // twice: before and after the loaded run
		loaded   = 5 * time.Second
		warm     = time.Second // the limit's convergence, left out of the steady-state figures
		bare     = 3 * time.Second
	)
	h := newQueueingHandler()
	shed := loadshed.MustNew()
	url, client := overloadServer(t, h, shed)

	// The unloaded p99 is measured in the same run, before and after the
	// load, so that a machine slowed by other work slows both sides of the
	// comparison; the two halves give 300 samples.
	before := openLoop(url, client, overloadRate/4, unloaded)

	served0, busy0 := h.served.Load(), h.busy.Load()
	rs := openLoop(url, client, overloadRate, loaded)
	served, busy := h.served.Load()-served0, time.Duration(h.busy.Load()-busy0)
	capacity := float64(overloadWorkers) / (busy.Seconds() / float64(served)) // workers / mean service time
	limit := shed.Limit()

	time.Sleep(200 * time.Millisecond) // what is admitted ends; the queue's waits are shorter
	base := summarise(append(before, openLoop(url, client, overloadRate/4, unloaded)...), 0, 2*unloaded)
	t.Logf("unloaded (half capacity): %d requests, %d ok, p99 %v", base.sent, base.ok, base.p99.Round(time.Millisecond))

	all := summarise(rs, 0, loaded)
	steady := summarise(rs, warm, loaded)
	goodput := float64(steady.ok) / (loaded - warm).Seconds()
	t.Logf("with loadshed, offered %d/s (2x the nominal %d/s; measured capacity %.0f/s), limit at the end %d (%d workers):",
		overloadRate, overloadRate/2, capacity, limit, overloadWorkers)
	t.Logf("  steady state (after %v): goodput %.0f/s = %.0f%% of capacity; %v", warm, goodput, 100*goodput/capacity, steady)
	t.Logf("  whole run: %d of %d ok; %v", all.ok, all.sent, all)

	// The same load, no loadshed.
	h2 := newQueueingHandler()
	url2, client2 := overloadServer(t, h2, nil)
	rs2 := openLoop(url2, client2, overloadRate, bare)
	none := summarise(rs2, warm, bare)
	t.Logf("without loadshed, the same load for %v, after %v: goodput %.0f/s = %.0f%% of capacity; %v",
		bare, warm, float64(none.ok)/(bare-warm).Seconds(), 100*float64(none.ok)/(bare-warm).Seconds()/capacity, none)

	require.Equal(t, base.sent, base.ok, "unloaded, every request succeeds")
	assert.GreaterOrEqual(t, goodput, 0.9*capacity, "goodput at least 90% of capacity")
	assert.LessOrEqual(t, steady.p99, 3*base.p99, "p99 of everything admitted at most 3x the unloaded p99")
	assert.GreaterOrEqual(t, steady.rate("critical"), 0.99, "CRITICAL keeps 99%")
	assert.Less(t, steady.rate("greedy"), steady.rate("critical"), "SHEDDABLE is shed first")
	assert.Greater(t, steady.rate("polite"), steady.rate("greedy")+0.3, "the greedy caller is shed before the polite one")
}
