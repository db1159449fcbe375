package loopbacktest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/pavedhttp"
)

// TestAdaptiveBulkheadOverload is the client side of the overload proof:
// open-loop arrivals at twice the capacity of the queueing handler of
// TestOverload, which has no shedding of its own, sent through a client
// whose pipeline holds bulkhead.NewAdaptive (Gradient2, limits 1..200 from
// 20, no wait). The bulkhead refuses what is over its limit locally, so the
// dependency never has more than the limit in flight, the limit settles
// near the dependency's concurrency (Gradient2's equilibrium with its
// tolerance of 1.5 and headroom of 4: about 1.5 x 8 + 4), the dependency's
// goodput stays at its capacity and the latency of what is admitted stays
// within 3x the unloaded latency.
//
// The windows are 100 ms, not the default 1 s, so that Gradient2's warm-up
// (its long-term RTT is a plain mean of its first 10 windows) ends within
// the unloaded phase, as it does for a client that ran before the overload.
// An overload that starts within the warm-up becomes the baseline: measured
// with the default windows, the long-term RTT followed the loaded RTT, the
// limit grew by its headroom every window (20 to 24 in 6 s, three times the
// workers) and the p99 of admitted was 3.5x the unloaded p99.
func TestAdaptiveBulkheadOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("a 9 s load test")
	}
	const (
		unloaded = 1500 * time.Millisecond // twice: before and after the loaded run
		loaded   = 6 * time.Second
		warm     = 2 * time.Second // two of the limit's 1 s windows
	)
	h := newQueueingHandler()
	url, plain := overloadServer(t, h, nil)
	bh := bulkhead.MustNewAdaptive(bulkhead.WithWindow(100*time.Millisecond, 10))
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("dependency", bh), plain.Transport)}

	before := openLoop(url, client, overloadRate/4, unloaded)

	// The limit and the dependency's concurrency, every 50 ms.
	type point struct {
		at            time.Duration
		limit, inside int
	}
	var (
		mu    sync.Mutex
		trace []point
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				mu.Lock()
				trace = append(trace, point{time.Since(start), bh.Limit(), int(h.inside.Load())})
				mu.Unlock()
			}
		}
	}()
	served0, busy0 := h.served.Load(), h.busy.Load()
	rs := openLoop(url, client, overloadRate, loaded)
	served, busy := h.served.Load()-served0, time.Duration(h.busy.Load()-busy0)
	close(stop)
	wg.Wait()
	capacity := float64(overloadWorkers) / (busy.Seconds() / float64(served))

	base := summarise(append(before, openLoop(url, client, overloadRate/4, unloaded)...), 0, 2*unloaded)
	t.Logf("unloaded (half capacity): %d requests, %d ok, p99 %v", base.sent, base.ok, base.p99.Round(time.Millisecond))
	steady := summarise(rs, warm, loaded)
	goodput := float64(steady.ok) / (loaded - warm).Seconds()
	t.Logf("with the adaptive bulkhead, offered %d/s (measured capacity %.0f/s): after %v goodput %.0f/s = %.0f%% of capacity, %d of %d admitted, p99 of admitted %v; waited for a worker p50 %v p99 %v",
		overloadRate, capacity, warm, goodput, 100*goodput/capacity, steady.ok, steady.sent, steady.p99.Round(time.Millisecond),
		steady.worker[0].Round(time.Millisecond), steady.worker[1].Round(time.Millisecond))

	var b strings.Builder
	lo, hi, maxInside := 1<<30, 0, 0
	for i, p := range trace {
		if i%10 == 0 {
			fmt.Fprintf(&b, " %v:%d/%d", p.at.Round(100*time.Millisecond), p.limit, p.inside)
		}
		if p.at >= warm {
			lo, hi, maxInside = min(lo, p.limit), max(hi, p.limit), max(maxInside, p.inside)
		}
	}
	t.Logf("limit/in flight at the dependency, every 500 ms:%s", b.String())
	t.Logf("after %v: limit %d..%d, at most %d in flight at the dependency (%d workers)", warm, lo, hi, maxInside, overloadWorkers)

	require.Equal(t, base.sent, base.ok, "unloaded, every request succeeds")
	require.NotEmpty(t, trace)
	assert.LessOrEqual(t, maxInside, hi, "the dependency never has more in flight than the limit")
	assert.GreaterOrEqual(t, lo, overloadWorkers, "the limit keeps every worker busy")
	assert.LessOrEqual(t, hi, 3*overloadWorkers, "the limit settles near the dependency's concurrency")
	assert.GreaterOrEqual(t, goodput, 0.9*capacity, "goodput at least 90% of capacity")
	assert.LessOrEqual(t, steady.p99, 3*base.p99, "p99 of admitted at most 3x the unloaded p99")
}
