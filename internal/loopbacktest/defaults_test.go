package loopbacktest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/retry"
)

// The proofs of the defaults: retry exactly as shipped (retry.MustNew(), its
// backoff and budget untouched) against dependencies failing at random or
// down, over HTTP and gRPC, beside the plain loop a team would write by hand
// (3 attempts, 100 ms apart). Run with -v to see the figures.

// defaultWorkers is the concurrency of the default-backoff load tests: the
// calls mostly sleep their backoff, so many run at once on two cores.
const defaultWorkers = 32

// load is what a load run measured.
type load struct {
	calls, ok, attempts int
	elapsed             time.Duration
	reasons             map[string]int // why retries gave up (ExhaustedError.Reason)
}

func (l load) success() float64 { return float64(l.ok) / float64(l.calls) }
func (l load) perCall() float64 { return float64(l.attempts) / float64(l.calls) }

func (l load) String() string {
	s := fmt.Sprintf("%d calls in %v: success %.2f%% (%d failed), %.3f attempts per call",
		l.calls, l.elapsed.Round(time.Millisecond), 100*l.success(), l.calls-l.ok, l.perCall())
	if len(l.reasons) > 0 { // HTTP returns the last failure as a response, without the reason
		s += fmt.Sprintf(", gave up for %v", l.reasons)
	}
	return s
}

// target is a dependency for a load run over one protocol.
type target struct {
	name string
	// start starts a dependency failing a share fail of calls (seeded), and
	// returns a call through paved's pipeline p, a call through the plain
	// loop, and how many requests the server has seen.
	start func(t *testing.T, seed uint64, fail float64, p *paved.Pipeline) (viaPaved, viaLoop func() (bool, error), requests func() int)
}

var targets = []target{
	{"HTTP", func(t *testing.T, seed uint64, fail float64, p *paved.Pipeline) (func() (bool, error), func() (bool, error), func() int) {
		srv := testserver.NewHTTP(t, failing(seed, fail, testserver.Status(http.StatusServiceUnavailable)))
		client := newClient(p, newBase(t))
		plain := &http.Client{Timeout: 10 * time.Second, Transport: newBase(t)}
		viaPaved := func() (bool, error) {
			s, err := get(context.Background(), client, srv.URL())
			return s == http.StatusOK, err
		}
		viaLoop := func() (bool, error) { return plainHTTPLoop(plain, srv.URL()) }
		return viaPaved, viaLoop, srv.Requests
	}},
	{"gRPC", func(t *testing.T, seed uint64, fail float64, p *paved.Pipeline) (func() (bool, error), func() (bool, error), func() int) {
		g := testserver.NewGRPC(t, failing(seed, fail, testserver.Code(codes.Unavailable)))
		client := grpcClient(t, g, p)
		plain := testpb.NewTestServiceClient(g.Dial(t))
		viaPaved := func() (bool, error) {
			_, err := client.EmptyCall(context.Background(), &testpb.Empty{})
			return err == nil, err
		}
		viaLoop := func() (bool, error) { return plainGRPCLoop(plain) }
		return viaPaved, viaLoop, g.Calls
	}},
}

// plainHTTPLoop is the hand-written retry loop paved must never lose to:
// three attempts, 100 ms apart, for any failure.
func plainHTTPLoop(c *http.Client, url string) (bool, error) {
	for attempt := 1; ; attempt++ {
		s, err := get(context.Background(), c, url)
		if err == nil && s == http.StatusOK {
			return true, nil
		}
		if attempt == 3 {
			return false, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func plainGRPCLoop(c testpb.TestServiceClient) (bool, error) {
	for attempt := 1; ; attempt++ {
		_, err := c.EmptyCall(context.Background(), &testpb.Empty{})
		if err == nil {
			return true, nil
		}
		if attempt == 3 {
			return false, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// measure makes n calls with call from w goroutines (paced every interval
// when it is positive) and counts what the server saw.
func measure(w, n int, interval time.Duration, call func() (bool, error), requests func() int) load {
	var ok atomic.Int64
	var mu sync.Mutex
	reasons := map[string]int{}
	before := requests()
	start := time.Now()
	run := func(int) {
		good, err := call()
		if good {
			ok.Add(1)
		}
		var ex *retry.ExhaustedError
		if errors.As(err, &ex) {
			mu.Lock()
			reasons[ex.Reason.String()]++
			mu.Unlock()
		}
	}
	if interval > 0 {
		runPaced(w, n, interval, run)
	} else {
		runCallsOn(w, n, run)
	}
	return load{calls: n, ok: int(ok.Load()), attempts: requests() - before, elapsed: time.Since(start), reasons: reasons}
}

// runPaced is runCallsOn with arrivals spread evenly: call i starts no
// sooner than i*interval after the first, as a steady stream of requests
// arrives at a service, so the run lasts about n*interval.
func runPaced(w, n int, interval time.Duration, call func(i int)) {
	start := time.Now()
	runCallsOn(w, n, func(i int) {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d) // pacing the load, not waiting for a state change
		}
		call(i)
	})
}

// TestDefaultsFlakyDependency: a dependency failing a share of attempts at
// random (one bad replica of three fails 30%) is retried by the defaults as
// well as by a plain loop — the budget refuses none of the retries that
// work — for fewer attempts than the loop spends.
func TestDefaultsFlakyDependency(t *testing.T) {
	tests := []struct {
		name        string
		fail        float64
		calls       int
		minSuccess  float64
		maxPerCall  float64
		compareLoop bool
	}{
		// Three attempts succeed with probability 1-0.3^3 = 97.3% at best.
		{"30% failing", 0.30, 4000, 0.96, 1.45, true},
		// 1-0.05^3 = 99.99%: about 1 failure in 8000 calls, where 99.9% allows 8.
		{"5% failing", 0.05, 8000, 0.999, 1.06, false},
	}
	for i, tg := range targets {
		for j, tt := range tests {
			t.Run(tg.name+" "+tt.name, func(t *testing.T) {
				p := paved.New("flaky", retry.MustNew())
				viaPaved, viaLoop, requests := tg.start(t, uint64(300+10*i+j), tt.fail, p)
				got := measure(defaultWorkers, tt.calls, 0, viaPaved, requests)
				t.Logf("paved defaults: %v", got)
				assert.GreaterOrEqual(t, got.success(), tt.minSuccess)
				assert.LessOrEqual(t, got.perCall(), tt.maxPerCall)
				if tt.compareLoop {
					loop := measure(2*defaultWorkers, tt.calls/2, 0, viaLoop, requests)
					t.Logf("plain loop:     %v", loop)
					// The two success rates are estimates from a few thousand
					// calls each: 1.5 percentage points is over 4 standard
					// deviations of their difference.
					assert.GreaterOrEqual(t, got.success(), loop.success()-0.015, "paved loses to a plain loop")
				}
			})
		}
	}
}

// TestDefaultsOutage: a dependency down for every call gets almost no
// retries from the defaults once the budget's saved tokens are spent: at most
// 1.12 attempts per call, whether 10,000 calls arrive as fast as they can or
// 2,000 arrive over 20 seconds (so the budget's per-second floor cannot
// dominate). The paced runs take 20 s each and run in parallel.
func TestDefaultsOutage(t *testing.T) {
	for i, tg := range targets {
		t.Run(tg.name+" 10000 calls", func(t *testing.T) {
			p := paved.New("down", retry.MustNew())
			viaPaved, _, requests := tg.start(t, uint64(400+i), 1, p)
			got := measure(workers, 10000, 0, viaPaved, requests)
			t.Logf("paved defaults: %v", got)
			assert.Zero(t, got.ok)
			assert.LessOrEqual(t, got.perCall(), 1.12)
		})
	}
	for i, tg := range targets {
		t.Run(tg.name+" 2000 calls over 20s", func(t *testing.T) {
			t.Parallel()
			p := paved.New("down", retry.MustNew())
			viaPaved, _, requests := tg.start(t, uint64(410+i), 1, p)
			got := measure(16, 2000, 10*time.Millisecond, viaPaved, requests)
			t.Logf("paved defaults: %v", got)
			assert.Zero(t, got.ok)
			assert.LessOrEqual(t, got.perCall(), 1.12)
		})
	}
}
