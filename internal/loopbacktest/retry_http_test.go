package loopbacktest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// TestHTTPDiscardedBodiesClosed retries many calls whose failed responses
// carry bodies: every discarded response is drained and closed, so no body
// is left open and the connections are reused, not replaced.
func TestHTTPDiscardedBodiesClosed(t *testing.T) {
	const calls = 600
	bad := testserver.Status(http.StatusServiceUnavailable).WithBody(strings.Repeat("x", 4096))
	srv := testserver.NewHTTP(t, failing(7, 0.4, bad))
	// No budget here: the point is that every retried response is freed,
	// and 40% failures would soon spend the budget.
	p := paved.New("bodies", retry.MustNew(retry.WithBackoff(fastBackoff[0], fastBackoff[1]), retry.WithoutBudget()))
	base := newBase(t)
	client := newClient(p, base)
	runCalls(calls, func(int) {
		_, err := get(context.Background(), client, srv.URL())
		assert.NoError(t, err)
	})
	discarded := srv.Requests() - calls
	t.Logf("%d calls, %d requests (%d responses discarded by retry), %d bodies opened, %d connections",
		calls, srv.Requests(), discarded, base.opened.Load(), srv.Connections())
	assert.Greater(t, discarded, calls/4, "enough retries to prove anything")
	assert.Equal(t, int64(srv.Requests()), base.opened.Load())
	assert.Zero(t, base.open(), "response bodies left open")
	assert.LessOrEqual(t, srv.Connections(), maxConns, "no connection churn")
}

// TestHTTPPostIdempotency: a POST is retried only when it carries an
// Idempotency-Key, and then with the same key and body each time.
func TestHTTPPostIdempotency(t *testing.T) {
	for _, key := range []string{"", "8e03978e-40d5-43e8-bc93-6894a57f9324"} {
		t.Run("key="+key, func(t *testing.T) {
			srv := testserver.NewHTTP(t, testserver.WithDefault(testserver.Status(http.StatusServiceUnavailable)))
			p := paved.New("post", retry.MustNew(retry.WithBackoff(fastBackoff[0], fastBackoff[1])))
			base := newBase(t)
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1/charges", strings.NewReader(`{"amount":100}`))
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
			resp, err := newClient(p, base).Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			want := 1
			if key != "" {
				want = 3 // retry's default MaxAttempts
			}
			require.Equal(t, want, srv.Count(http.MethodPost))
			for _, r := range srv.Received() {
				assert.Equal(t, key, r.Header.Get("Idempotency-Key"))
				assert.JSONEq(t, `{"amount":100}`, string(r.Body))
			}
			assert.Zero(t, base.open())
		})
	}
}

// TestHTTPRetryAfterDate checks that Retry-After as an HTTP-date delays the
// retry as much as the same wait in delay-seconds does (RFC 9110 §10.2.3).
//
// The retry waits on a fake clock whose timers report their durations, so
// the delay it chose is read exactly and the test does not wait. The date
// form has a resolution of one second: the server writes now+3s truncated to
// the second, and the client subtracts its own now, so the delay is in
// (2s, 3s] where the seconds form gives exactly 3s. They are compared with a
// tolerance of one second for that reason, and both must be far from retry's
// own backoff (base 1ms here), which a Retry-After ignored would give.
func TestHTTPRetryAfterDate(t *testing.T) {
	const wait = 3 * time.Second
	forms := map[string]func() string{
		"seconds": func() string { return "3" },
		"date":    func() string { return time.Now().Add(wait).UTC().Format(http.TimeFormat) },
	}
	delays := map[string]time.Duration{}
	for _, name := range []string{"seconds", "date"} {
		t.Run(name, func(t *testing.T) {
			value := forms[name]
			srv := testserver.NewHTTP(t, testserver.WithHandler(func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 0 {
					w.Header().Set("Retry-After", value())
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			clk := newTimerClock()
			p := paved.New("ra", retry.MustNew(retry.WithClock(clk), retry.WithBackoff(time.Millisecond, 10*time.Second)))
			base := newBase(t)
			done := make(chan int, 1)
			go func() {
				s, err := get(context.Background(), newClient(p, base), srv.URL())
				assert.NoError(t, err)
				done <- s
			}()
			d := <-clk.timers // the retry's wait, once attempt 1 failed
			clk.BlockUntil(1)
			delays[name] = d
			t.Logf("Retry-After %s form: retry waits %v", name, d)
			// Just short of the delay, the retry still waits.
			clk.Advance(d - time.Millisecond)
			assert.Equal(t, 1, clk.Pending(), "the retry must not start before its delay")
			assert.Equal(t, 1, srv.Requests())
			clk.Advance(time.Millisecond)
			assert.Equal(t, http.StatusOK, <-done)
			assert.Equal(t, 2, srv.Requests())
			assert.Zero(t, base.open())
		})
	}
	require.Len(t, delays, 2)
	assert.Equal(t, wait, delays["seconds"])
	assert.InDelta(t, float64(delays["seconds"]), float64(delays["date"]), float64(time.Second),
		"the date form has one-second resolution")
	assert.Greater(t, delays["date"], wait-time.Second)
}

// Stand-ins for bulkhead.ErrFull and ratelimit.ErrLimited: those packages
// are not on main yet, and what matters here is that a paved rejection, which
// is what each of their refusals is, is never retried. The rate limit's is
// marked Overload, as its sentinel will be. The breaker is the real one.
var (
	errBulkheadFull = errors.New("bulkhead: full")
	errLimited      = paved.Mark(errors.New("ratelimit: limited"), paved.OutcomeOverload)
)

// refusal is one of our own policies refusing every call.
type refusal struct {
	name     string
	sentinel error
	grpcCode codes.Code
	// policy returns a fresh refusing middleware; the test calls through it
	// until it refuses (the breaker needs failures first).
	policy func() paved.Middleware
}

// refusals are our own policies' refusals: an open breaker (the real one,
// opened by five consecutive failures, open for an hour), a full bulkhead and
// a rate limit (stand-ins with the RetryAfter hint each would give).
var refusals = []refusal{
	{"breaker open", breaker.ErrOpen, codes.Unavailable, func() paved.Middleware {
		return breaker.MustNew("dep", breaker.WithConsecutiveFailures(5), breaker.WithOpenDuration(time.Hour))
	}},
	{"bulkhead full", errBulkheadFull, codes.Unavailable, func() paved.Middleware {
		return refuse(errBulkheadFull, 0)
	}},
	{"rate limited", errLimited, codes.ResourceExhausted, func() paved.Middleware {
		return refuse(errLimited, 200*time.Millisecond)
	}},
}

// refuse is a middleware that refuses every call with
// paved.NewRejection(sentinel, retryAfter), as a full bulkhead or an empty
// rate limit does.
func refuse(sentinel error, retryAfter time.Duration) paved.Middleware {
	return paved.MiddlewareFunc(func(paved.Op) paved.Op {
		return func(context.Context) error { return paved.NewRejection(sentinel, retryAfter) }
	})
}

// tripCalls bounds the calls made to open the breaker.
const tripCalls = 50

// refusalCalls is how many refused calls each refusal test times.
const refusalCalls = 1000

// assertFast checks the latencies of refused calls: well under a
// millisecond at the median and the p99.
//
// The bound is behavioural, not a benchmark: a retry that slept even its
// smallest backoff (1ms here, 100ms by default) or the refusal's RetryAfter
// would miss it by far, while a refused call through an adapter takes some
// microseconds even with the race detector.
func assertFast(t *testing.T, lat []time.Duration) {
	t.Helper()
	p50, p99 := quantile(lat, 0.5), quantile(lat, 0.99)
	t.Logf("%d refused calls: p50 %v, p99 %v, max %v", len(lat), p50, p99, quantile(lat, 1))
	assert.Less(t, p50, time.Millisecond)
	assert.Less(t, p99, time.Millisecond)
}

// TestHTTPRefusalNotRetried: with a refusing policy (an open breaker, a full
// bulkhead, a rate limit) inside the retry, calls fail at once: no retry, no
// wait for the refusal's RetryAfter, no request to the server.
func TestHTTPRefusalNotRetried(t *testing.T) {
	for _, rf := range refusals {
		t.Run(rf.name, func(t *testing.T) {
			srv := testserver.NewHTTP(t, testserver.WithDefault(testserver.Status(http.StatusServiceUnavailable)))
			p := paved.New("refused", retry.MustNew(retry.WithBackoff(time.Millisecond, 10*time.Millisecond)), rf.policy())
			base := newBase(t)
			client := newClient(p, base)
			// Until the policy refuses (the breaker needs failures first).
			for i := 0; ; i++ {
				require.Less(t, i, tripCalls, "the policy never refused")
				if _, err := get(context.Background(), client, srv.URL()); errors.Is(err, rf.sentinel) {
					break
				}
			}
			before := srv.Requests()
			lat := make([]time.Duration, refusalCalls)
			for i := range refusalCalls {
				start := time.Now()
				_, err := get(context.Background(), client, srv.URL())
				lat[i] = time.Since(start)
				require.ErrorIs(t, err, rf.sentinel)
				require.ErrorIs(t, err, paved.ErrRejected)
				var ex *retry.ExhaustedError
				require.False(t, errors.As(err, &ex), "a refusal is returned as it is, not as a retry that gave up")
			}
			assertFast(t, lat)
			assert.Equal(t, before, srv.Requests(), "the server sees no request once the policy refuses")
			base.settle(t)
			assert.Zero(t, base.open())
		})
	}
}

// TestHTTPAttemptTimeoutInsideRetry: a per-attempt timeout inside retry cuts
// a hung first attempt, the retry succeeds, and the winning response's body
// can still be read after the call returned, because its attempt context
// lives until the body is closed.
func TestHTTPAttemptTimeoutInsideRetry(t *testing.T) {
	const size = 4 << 20 // far more than the socket buffers hold, so most is read after the call returns
	body := strings.Repeat("y", size)
	srv := testserver.NewHTTP(t, testserver.WithScript(testserver.Hang(), testserver.OK().WithBody(body)))
	p := paved.New("attempt-timeout",
		retry.MustNew(retry.WithBackoff(fastBackoff[0], fastBackoff[1])),
		timeout.MustNew(200*time.Millisecond))
	base := newBase(t)
	start := time.Now()
	resp, err := newClient(p, base).Get(srv.URL())
	require.NoError(t, err)
	took := time.Since(start)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Less(t, took, 5*time.Second, "the hung attempt was cut")
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the winner's body is readable after the call returned")
	assert.Len(t, got, size)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 2, srv.Requests())
	assert.Zero(t, base.open())
	// Both handlers ended, the hung one included: the client let go of it.
	require.NoError(t, srv.WaitIdle(waitCtx(t)))
}
