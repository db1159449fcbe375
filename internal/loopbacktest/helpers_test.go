package loopbacktest_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedhttp"
)

// workers is how many goroutines the load tests call from: enough to
// exercise the policies' concurrency, few enough for two shared cores.
const workers = 8

// maxConns bounds the connections a load test may open: one per worker, and
// as many again because http.Transport dials a new connection when none is
// idle at the moment a request starts, even if one is about to be freed by a
// body being closed. Churn (a connection per discarded response) would
// open hundreds.
const maxConns = 2 * workers

// fastBackoff keeps load tests short: retry's defaults but for the backoff,
// base 1ms and max 10ms instead of 100ms and 10s.
var fastBackoff = [2]time.Duration{time.Millisecond, 10 * time.Millisecond}

// newBase returns an http.Transport with keep-alive and room for every
// worker's idle connection (http.DefaultTransport keeps only 2 per host,
// which would make connections churn under 8 workers), wrapped to count
// response bodies. Idle connections are closed when the test ends.
func newBase(t *testing.T) *countingRT {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4 * workers
	t.Cleanup(tr.CloseIdleConnections)
	return &countingRT{next: tr}
}

// newClient returns a client that sends through p to base.
func newClient(p *paved.Pipeline, base http.RoundTripper, opts ...pavedhttp.Option) *http.Client {
	return &http.Client{Transport: pavedhttp.NewTransport(p, base, opts...)}
}

// countingRT counts the response bodies the transport hands out and how many
// of them were closed.
type countingRT struct {
	next           http.RoundTripper
	opened, closed atomic.Int64
	// live counts round trips not yet over: running, or returned a body
	// not yet closed.
	live sync.WaitGroup
}

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.live.Add(1)
	resp, err := c.next.RoundTrip(r)
	if err == nil && resp.Body != nil {
		c.opened.Add(1)
		resp.Body = &countingBody{ReadCloser: resp.Body, c: c}
		return resp, nil
	}
	c.live.Done()
	return resp, err
}

// settle waits until every round trip has returned and every body it
// returned was closed, which hedged losers do shortly after their call
// returned; it fails the test if that takes long (a body left open).
func (c *countingRT) settle(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { c.live.Wait(); close(done) }()
	select {
	case <-done:
	case <-waitCtx(t).Done():
		t.Fatalf("%d response bodies were never closed", c.open())
	}
}

// open returns how many bodies are still open.
func (c *countingRT) open() int64 { return c.opened.Load() - c.closed.Load() }

type countingBody struct {
	io.ReadCloser
	c    *countingRT
	once sync.Once
}

func (b *countingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.c.closed.Add(1); b.c.live.Done() })
	return err
}

// get sends a GET and reads and closes the response, returning its status
// (0 for a transport error).
func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// runCalls makes n calls from workers goroutines, call(i) for i in 0..n-1,
// and returns each call's latency, indexed by i.
func runCalls(n int, call func(i int)) []time.Duration { return runCallsOn(workers, n, call) }

// runCallsOn is runCalls from w goroutines.
func runCallsOn(w, n int, call func(i int)) []time.Duration {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				start := time.Now()
				call(i)
				lat[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	return lat
}

// quantile returns the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// failing returns a chooser that answers a fraction p of requests with bad
// and the rest OK, drawing from a rand seeded with seed. The chooser runs
// under the server's lock, so the unsynchronized rand is safe.
func failing(seed uint64, p float64, bad testserver.Behaviour) testserver.Option {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return testserver.WithChooser(func(int) testserver.Behaviour {
		if rng.Float64() < p {
			return bad
		}
		return testserver.OK()
	})
}

// timerClock is a fake clock that also reports the duration of every timer
// made on it, so a test can read the delay a retry chose.
type timerClock struct {
	*clock.Fake
	timers chan time.Duration
}

func newTimerClock() *timerClock {
	return &timerClock{Fake: clock.NewFake(time.Unix(1_700_000_000, 0)), timers: make(chan time.Duration, 16)}
}

func (c *timerClock) NewTimer(d time.Duration) clock.Timer {
	c.timers <- d
	return c.Fake.NewTimer(d)
}

// waitCtx is a context for waits that must end long before the test's own
// timeout, so a failure is reported, not hung.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
