package loopbacktest_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
)

// Hedging scenario: a dependency whose slowest 5% of replies take 500 ms and
// the rest 1-5 ms.
const (
	slowReply   = 500 * time.Millisecond
	slowEvery   = 20 // one reply in each block of 20 is slow: exactly 5%
	warmupCalls = 300
	hedgeCalls  = 2000
	// baselineCalls is smaller: without hedging each slow call holds a worker
	// for 500 ms, and the p99 is the slow reply by construction anyway (20
	// slow calls of 400, where the p99 is the 4th slowest).
	baselineCalls = 400
)

// hedgeWorkers is how many goroutines call in the hedging scenario: fewer
// than the retry tests use, because the p99 measured here is the client's
// and server's scheduling too. With 8 workers and two busy loops competing
// for the two cores, fast replies took over 10 ms often enough to fail the
// fixed-delay bounds; with 4 they held.
const hedgeWorkers = 4

// tailServer answers 5% of requests after 500 ms and the others after 1-5 ms.
// Which request of each block of 20 (by arrival number) is slow, and the
// fast delays, are drawn from a rand seeded with seed. It counts slow
// replies to first attempts and to hedges apart, which it tells by the
// attempt header that attemptHeader adds.
type tailServer struct {
	*testserver.HTTP
	mu     sync.Mutex
	rng    *rand.Rand
	slowAt []int // per block of slowEvery requests

	slowFirst, slowHedge, hedges atomic.Int64
}

func newTailServer(t *testing.T, seed uint64) *tailServer {
	s := &tailServer{rng: rand.New(rand.NewPCG(seed, seed+1))}
	s.HTTP = testserver.NewHTTP(t, testserver.WithHandler(s.serve))
	return s
}

func (s *tailServer) delay(n int) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.slowAt) <= n/slowEvery {
		s.slowAt = append(s.slowAt, s.rng.IntN(slowEvery))
	}
	if n%slowEvery == s.slowAt[n/slowEvery] {
		return slowReply, true
	}
	return time.Millisecond + time.Duration(s.rng.Int64N(int64(4*time.Millisecond))), false
}

func (s *tailServer) serve(n int, w http.ResponseWriter, r *http.Request) {
	d, slow := s.delay(n)
	hedge := r.Header.Get(attemptKey) != "1"
	switch {
	case hedge && slow:
		s.slowHedge.Add(1)
	case slow:
		s.slowFirst.Add(1)
	}
	if hedge {
		s.hedges.Add(1)
	}
	if clock.Sleep(r.Context(), clock.Real(), d) != nil {
		return // the client canceled: a hedged-away loser
	}
	w.WriteHeader(http.StatusOK)
}

// attemptKey is the header attemptHeader sets.
const attemptKey = "X-Test-Attempt"

// attemptHeader tells the server each request's attempt number (1 for the
// first, 2 for a hedge), on a copy of the request.
type attemptHeader struct{ next http.RoundTripper }

func (a attemptHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	n := 1
	if at := paved.AttemptFrom(r.Context()); at != nil {
		n = at.Number()
	}
	r = r.Clone(r.Context())
	r.Header.Set(attemptKey, strconv.Itoa(n))
	return a.next.RoundTrip(r)
}

// hedgeRun is what one scenario measured.
type hedgeRun struct {
	p50, p99  time.Duration
	extra     float64 // extra attempts per call (hedges), measured at the server
	slowFirst float64 // share of calls whose first attempt was slow
	falseHdg  float64 // hedges per call beyond one per slow first attempt
}

// runTail makes warm-up calls (not measured: they fill the adaptive delay's
// latency window), then calls, through p against a fresh tailServer, and
// checks that no response body is left open.
func runTail(t *testing.T, p *paved.Pipeline, warmup, calls int) hedgeRun {
	t.Helper()
	srv := newTailServer(t, 42)
	base := newBase(t)
	client := newClient(p, attemptHeader{base})
	call := func(int) {
		s, err := get(context.Background(), client, srv.URL())
		assert.NoError(t, err)
		assert.Equal(t, http.StatusOK, s)
	}
	runCallsOn(hedgeWorkers, warmup, call)
	before := srv.Requests()
	sf, sh, h := srv.slowFirst.Load(), srv.slowHedge.Load(), srv.hedges.Load()
	lat := runCallsOn(hedgeWorkers, calls, call)
	sf, sh, h = srv.slowFirst.Load()-sf, srv.slowHedge.Load()-sh, srv.hedges.Load()-h
	base.settle(t)
	require.NoError(t, srv.WaitIdle(waitCtx(t)))
	assert.Zero(t, base.open(), "every loser's body is closed")
	t.Logf("%d response bodies opened in all, %d still open", base.opened.Load(), base.open())
	r := hedgeRun{
		p50:       quantile(lat, 0.5),
		p99:       quantile(lat, 0.99),
		extra:     float64(srv.Requests()-before-calls) / float64(calls),
		slowFirst: float64(sf) / float64(calls),
		falseHdg:  float64(max(0, h-sf)) / float64(calls),
	}
	t.Logf("measured %d calls: %d requests; slow replies: %d to first attempts (%.2f%% of calls), %d to hedges; %d hedges, %d of them for a fast first attempt",
		calls, srv.Requests()-before, sf, 100*float64(sf)/float64(calls), sh, h, max(0, h-sf))
	return r
}

// TestHedgeTail checks that hedging cuts the p99 of the tail server: with
// the adaptive delay (the defaults: p95 of recent attempts, no hand-tuned
// number) at least 10-fold for at most 10% extra attempts; with a fixed
// delay of 10 ms (twice the slowest fast reply) at least 20-fold for about
// 5% extra.
//
// About that 5%: a twentieth of all replies is slow, hedges included, so a
// twentieth of first attempts is slow, and even a hedge that fires for
// exactly those makes 5% extra attempts, give or take the draw (a slow reply
// that falls on a hedge instead of a first attempt). The literal bound "at
// most 5%" therefore sits on the noise. What the fixed delay controls is the
// hedges it fires for first attempts that were not slow (a fast reply
// delayed past 10 ms by scheduling); the test bounds those to 0.5% of calls,
// and so the extra attempts to 5.5%, and logs the measured figures.
func TestHedgeTail(t *testing.T) {
	base := runTail(t, paved.New("plain"), 0, baselineCalls)
	t.Logf("no hedging: p50 %v, p99 %v", base.p50, base.p99)
	require.GreaterOrEqual(t, base.p99, slowReply, "the baseline's p99 is the slow reply")

	t.Run("adaptive", func(t *testing.T) {
		r := runTail(t, paved.New("hedged", hedge.MustNew()), warmupCalls, hedgeCalls)
		factor := float64(base.p99) / float64(r.p99)
		t.Logf("adaptive: p50 %v, p99 %v (%.1f-fold lower), %.2f%% extra attempts", r.p50, r.p99, factor, 100*r.extra)
		assert.GreaterOrEqual(t, factor, 10.0, "p99 reduction")
		assert.LessOrEqual(t, r.extra, 0.10, "extra attempts per call")
	})
	t.Run("fixed", func(t *testing.T) {
		r := runTail(t, paved.New("hedged", hedge.MustNew(hedge.WithDelay(10*time.Millisecond))), warmupCalls, hedgeCalls)
		factor := float64(base.p99) / float64(r.p99)
		t.Logf("fixed 10ms: p50 %v, p99 %v (%.1f-fold lower), %.2f%% extra attempts (%.2f%% of first attempts were slow, %.2f%% hedged without need)",
			r.p50, r.p99, factor, 100*r.extra, 100*r.slowFirst, 100*r.falseHdg)
		assert.GreaterOrEqual(t, factor, 20.0, "p99 reduction")
		assert.LessOrEqual(t, r.falseHdg, 0.005, "hedges for first attempts that were not slow")
		assert.LessOrEqual(t, r.extra, 0.055, "extra attempts per call")
	})
}

// TestHedgeLosersClosed makes hedged losers whose responses do arrive, and
// checks that their bodies are drained and closed, not left to the caller.
//
// Two ways a loser gets a response: a first attempt answered 503 (Transient:
// the hedge starts at once and wins, and the 503's body must be freed), and
// two attempts answered at the same moment (the server holds each call's
// first attempt until its hedge arrives, then answers both; one wins, the
// other lands just after and is discarded when it does).
func TestHedgeLosersClosed(t *testing.T) {
	const calls = 200
	t.Run("transient first attempt", func(t *testing.T) {
		srv := testserver.NewHTTP(t, testserver.WithHandler(func(n int, w http.ResponseWriter, _ *http.Request) {
			if n%2 == 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write(make([]byte, 2048))
				return
			}
			_, _ = w.Write([]byte("ok"))
		}))
		base := newBase(t)
		client := newClient(paved.New("hedged", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithoutBudget())), base)
		for range calls { // one at a time, so requests 2k and 2k+1 are call k's
			s, err := get(context.Background(), client, srv.URL())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, s)
		}
		base.settle(t)
		t.Logf("%d requests, %d bodies opened, %d still open, %d connections", srv.Requests(), base.opened.Load(), base.open(), srv.Connections())
		assert.Equal(t, int64(2*calls), base.opened.Load(), "every loser's response arrived")
		assert.Zero(t, base.open())
		assert.LessOrEqual(t, srv.Connections(), 2, "the losers' connections are reused")
	})
	t.Run("simultaneous replies", func(t *testing.T) {
		var mu sync.Mutex
		pairs := map[int]chan struct{}{}
		arrived := func(n int) chan struct{} {
			mu.Lock()
			defer mu.Unlock()
			c, ok := pairs[n/2]
			if !ok {
				c = make(chan struct{})
				pairs[n/2] = c
			} else {
				close(c)
			}
			return c
		}
		srv := testserver.NewHTTP(t, testserver.WithHandler(func(n int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-arrived(n):
			case <-r.Context().Done():
				return
			}
			_, _ = w.Write(make([]byte, 2048))
		}))
		base := newBase(t)
		client := newClient(paved.New("hedged", hedge.MustNew(hedge.WithDelay(time.Millisecond), hedge.WithoutBudget())), base)
		for range calls {
			s, err := get(context.Background(), client, srv.URL())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, s)
		}
		base.settle(t)
		require.NoError(t, srv.WaitIdle(waitCtx(t)))
		t.Logf("%d requests, %d bodies opened (%d by losers), %d still open", srv.Requests(), base.opened.Load(), base.opened.Load()-calls, base.open())
		assert.Equal(t, 2*calls, srv.Requests())
		assert.Zero(t, base.open())
	})
}
