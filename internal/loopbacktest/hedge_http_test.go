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
// first, 2 for a hedge), on a copy of the request. It also counts the first
// attempts still out lateAfter after they began, as the client saw them:
// those are the ones a fixed hedge delay of lateAfter may hedge, whatever
// made them late (a slow reply, or a fast one the machine's scheduling held
// up).
type attemptHeader struct {
	next      http.RoundTripper
	lateAfter time.Duration // 0: count none
	late      *atomic.Int64
}

func (a attemptHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	n := 1
	if at := paved.AttemptFrom(r.Context()); at != nil {
		n = at.Number()
	}
	r = r.Clone(r.Context())
	r.Header.Set(attemptKey, strconv.Itoa(n))
	start := time.Now()
	resp, err := a.next.RoundTrip(r)
	if n == 1 && a.lateAfter > 0 && time.Since(start) >= a.lateAfter {
		a.late.Add(1)
	}
	return resp, err
}

// hedgeRun is what one scenario measured.
type hedgeRun struct {
	p50, p99  time.Duration
	extra     float64 // extra attempts per call (hedges), measured at the server
	slowFirst float64 // share of calls whose first attempt was slow
	falseHdg  float64 // hedges per call beyond one per slow first attempt
	lateFirst float64 // share of calls whose first attempt the client saw out past lateAfter
}

// runTail makes warm-up calls (not measured: they fill the adaptive delay's
// latency window), then calls, through p against a fresh tailServer, and
// checks that no response body is left open. With lateAfter above zero it
// also counts the measured calls' first attempts that were late by then.
func runTail(t *testing.T, p *paved.Pipeline, warmup, calls int, lateAfter time.Duration) hedgeRun {
	t.Helper()
	srv := newTailServer(t, 42)
	base := newBase(t)
	var late atomic.Int64
	client := newClient(p, attemptHeader{next: base, lateAfter: lateAfter, late: &late})
	call := func(int) {
		s, err := get(context.Background(), client, srv.URL())
		assert.NoError(t, err)
		assert.Equal(t, http.StatusOK, s)
	}
	runCallsOn(hedgeWorkers, warmup, call)
	// The warm-up's hedged losers are over, arrived or not, before anything
	// is counted: none of them lands among the measured calls' figures.
	base.settle(t)
	require.NoError(t, srv.WaitIdle(waitCtx(t)))
	before := srv.Requests()
	sf, sh, h := srv.slowFirst.Load(), srv.slowHedge.Load(), srv.hedges.Load()
	late.Store(0)
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
		lateFirst: float64(late.Load()) / float64(calls),
	}
	t.Logf("measured %d calls: %d requests; slow replies: %d to first attempts (%.2f%% of calls), %d to hedges; %d hedges, %d of them for a fast first attempt",
		calls, srv.Requests()-before, sf, 100*float64(sf)/float64(calls), sh, h, max(0, h-sf))
	if lateAfter > 0 {
		t.Logf("%d first attempts were still out after %v at the client, %d of them fast at the server", late.Load(), lateAfter, max(0, late.Load()-sf))
	}
	return r
}

// TestHedgeTail checks that hedging cuts the p99 of the tail server: with
// the adaptive delay (the defaults: p95 of recent attempts, no hand-tuned
// number) at least 10-fold for at most 10% extra attempts; with a fixed
// delay of 10 ms (twice the slowest fast reply) at least 20-fold, hedging
// only first attempts that were still out after the delay.
//
// About that last bound: a twentieth of all replies is slow, so a twentieth
// of first attempts is, and a hedge that fires for exactly those makes about
// 5% extra attempts. A fast reply held up past 10 ms by the machine (two
// cores, the race detector, four client workers and the server on them) is
// hedged too, and rightly: at 10 ms the hedge cannot know the reply was on
// its way. How many such replies there are is the machine's figure, not
// paved's (0.55% of calls on a loaded CI run, near zero on a quiet one), so
// the test does not bound it. It counts, at the client, the first attempts
// still out 9 ms after they began (a millisecond short of the delay, for
// the pipeline's own time before the transport) and checks that hedges,
// counted at the server, are no more than those plus two: a hedge that
// fired early, or for an attempt already answered, would exceed them. The
// figures are logged.
func TestHedgeTail(t *testing.T) {
	base := runTail(t, paved.New("plain"), 0, baselineCalls, 0)
	t.Logf("no hedging: p50 %v, p99 %v", base.p50, base.p99)
	require.GreaterOrEqual(t, base.p99, slowReply, "the baseline's p99 is the slow reply")

	t.Run("adaptive", func(t *testing.T) {
		r := runTail(t, paved.New("hedged", hedge.MustNew()), warmupCalls, hedgeCalls, 0)
		factor := float64(base.p99) / float64(r.p99)
		t.Logf("adaptive: p50 %v, p99 %v (%.1f-fold lower), %.2f%% extra attempts", r.p50, r.p99, factor, 100*r.extra)
		assert.GreaterOrEqual(t, factor, 10.0, "p99 reduction")
		assert.LessOrEqual(t, r.extra, 0.10, "extra attempts per call")
	})
	t.Run("fixed", func(t *testing.T) {
		const delay = 10 * time.Millisecond
		r := runTail(t, paved.New("hedged", hedge.MustNew(hedge.WithDelay(delay))), warmupCalls, hedgeCalls, delay-time.Millisecond)
		factor := float64(base.p99) / float64(r.p99)
		t.Logf("fixed 10ms: p50 %v, p99 %v (%.1f-fold lower), %.2f%% extra attempts (%.2f%% of first attempts were slow, %.2f%% hedged though fast at the server, %.2f%% out past 9ms at the client)",
			r.p50, r.p99, factor, 100*r.extra, 100*r.slowFirst, 100*r.falseHdg, 100*r.lateFirst)
		assert.GreaterOrEqual(t, factor, 20.0, "p99 reduction")
		slack := 2.0 / hedgeCalls
		assert.LessOrEqual(t, r.extra, r.lateFirst+slack, "hedges (extra attempts per call) beyond the first attempts still out near the delay")
		assert.GreaterOrEqual(t, r.lateFirst, r.slowFirst, "every slow first attempt was out past 9 ms")
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
