package pavedhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/timeout"
)

// headerLog is a loopback server that records one header of every request.
type headerLog struct {
	*httptest.Server
	mu     sync.Mutex
	values []string
	has    []bool
}

func newHeaderLog(t *testing.T, name string, statuses ...int) *headerLog {
	t.Helper()
	l := &headerLog{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		n := len(l.values)
		_, has := r.Header[http.CanonicalHeaderKey(name)]
		l.values = append(l.values, r.Header.Get(name))
		l.has = append(l.has, has)
		l.mu.Unlock()
		w.WriteHeader(statuses[min(n, len(statuses)-1)])
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *headerLog) got() ([]string, []bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.values...), append([]bool(nil), l.has...)
}

func millis(t *testing.T, v string) time.Duration {
	t.Helper()
	ms, err := strconv.ParseInt(v, 10, 64)
	require.NoError(t, err, "header value %q", v)
	return time.Duration(ms) * time.Millisecond
}

func TestDeadlineHeaderClient(t *testing.T) {
	const name = pavedhttp.EnvoyDeadlineHeader
	t.Run("sends the remaining time of the deadline", func(t *testing.T) {
		srv := newHeaderLog(t, name, 200)
		rt := pavedhttp.NewTransport(paved.New("dl"), newBase(t), pavedhttp.WithDeadlineHeader(name))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := rt.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		vals, _ := srv.got()
		require.Len(t, vals, 1)
		d := millis(t, vals[0])
		assert.LessOrEqual(t, d, 5*time.Second, "rounded down, never more than the client waits")
		assert.Greater(t, d, 4*time.Second)
		assert.Empty(t, req.Header.Get(name), "the caller's request is not modified")
	})
	t.Run("no deadline, no header", func(t *testing.T) {
		srv := newHeaderLog(t, name, 200)
		rt := pavedhttp.NewTransport(paved.New("dl"), newBase(t), pavedhttp.WithDeadlineHeader(name))
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := rt.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		_, has := srv.got()
		assert.Equal(t, []bool{false}, has)
	})
	t.Run("off by default", func(t *testing.T) {
		srv := newHeaderLog(t, name, 200)
		rt := pavedhttp.NewTransport(paved.New("dl"), newBase(t))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := rt.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		_, has := srv.got()
		assert.Equal(t, []bool{false}, has)
	})
	t.Run("each attempt sends its own deadline", func(t *testing.T) {
		// A per-attempt timeout of 300ms inside a retry, under a call deadline
		// of 10s: every attempt announces at most 300ms, not the call's 10s.
		srv := newHeaderLog(t, name, 503, 503, 200)
		p := paved.New("dl",
			retry(3),
			timeout.MustNew(300*time.Millisecond))
		rt := pavedhttp.NewTransport(p, newBase(t), pavedhttp.WithDeadlineHeader(name))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, nil)
		req.Header.Set(name, "77") // the caller's own value is replaced, on a copy
		resp, err := rt.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, 200, resp.StatusCode)
		vals, _ := srv.got()
		require.Len(t, vals, 3)
		for i, v := range vals {
			d := millis(t, v)
			assert.LessOrEqual(t, d, 300*time.Millisecond, "attempt %d", i+1)
			assert.Greater(t, d, 100*time.Millisecond, "attempt %d", i+1)
		}
		assert.Equal(t, "77", req.Header.Get(name))
	})
	t.Run("request with a body, retried", func(t *testing.T) {
		srv := newHeaderLog(t, name, 503, 200)
		p := paved.New("dl", retry(2))
		rt := pavedhttp.NewTransport(p, newBase(t), pavedhttp.WithDeadlineHeader(name))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, strings.NewReader("payload"))
		resp, err := rt.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		vals, _ := srv.got()
		require.Len(t, vals, 2)
		for _, v := range vals {
			assert.LessOrEqual(t, millis(t, v), 2*time.Second)
		}
	})
}

func TestDeadlineHeaderOptionsPanic(t *testing.T) {
	assert.Panics(t, func() { pavedhttp.WithDeadlineHeader("") })
	assert.Panics(t, func() { pavedhttp.WithDeadlineHeader("bad name") })
	assert.Panics(t, func() { pavedhttp.WithServerDeadlineHeader("", time.Second) })
	assert.Panics(t, func() { pavedhttp.WithServerDeadlineHeader("X-Deadline-Ms", 0) })
	assert.Panics(t, func() { pavedhttp.WithServerDeadlineHeader("X-Deadline-Ms", -time.Second) })
}

// deadlineSeen is a Handler whose next reports the time left on its
// request's context, or -1 for no deadline.
func deadlineServer(t *testing.T, opts ...pavedhttp.HandlerOption) (*httptest.Server, <-chan time.Duration) {
	t.Helper()
	seen := make(chan time.Duration, 16)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := r.Context().Deadline()
		if !ok {
			seen <- -1
			return
		}
		seen <- time.Until(dl)
	})
	srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("srv"), next, opts...))
	t.Cleanup(srv.Close)
	return srv, seen
}

func TestDeadlineHeaderServer(t *testing.T) {
	const name = "X-Deadline-Ms"
	const maxD = 2 * time.Second
	tests := []struct {
		name   string
		header []string // values; nil: no header
		lo, hi time.Duration
	}{
		{"valid header below max", []string{"500"}, 400 * time.Millisecond, 500 * time.Millisecond},
		{"header above max is capped", []string{"60000"}, maxD - 200*time.Millisecond, maxD},
		{"ten digits, capped", []string{"9999999999"}, maxD - 200*time.Millisecond, maxD},
		{"no header: max bounds the request", nil, maxD - 200*time.Millisecond, maxD},
		{"zero is ignored", []string{"0"}, maxD - 200*time.Millisecond, maxD},
		{"negative is ignored", []string{"-5"}, maxD - 200*time.Millisecond, maxD},
		{"garbage is ignored", []string{"soon"}, maxD - 200*time.Millisecond, maxD},
		{"eleven digits are ignored", []string{"10000000000"}, maxD - 200*time.Millisecond, maxD},
		{"fraction is ignored", []string{"1.5"}, maxD - 200*time.Millisecond, maxD},
		{"first of several values counts", []string{"300", "900"}, 200 * time.Millisecond, 300 * time.Millisecond},
	}
	srv, seen := deadlineServer(t, pavedhttp.WithServerDeadlineHeader(name, maxD))
	client := &http.Client{Transport: newBase(t)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			for _, v := range tt.header {
				req.Header.Add(name, v)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			left := <-seen
			assert.GreaterOrEqual(t, left, tt.lo)
			assert.LessOrEqual(t, left, tt.hi)
		})
	}
}

func TestDeadlineHeaderServerOff(t *testing.T) {
	srv, seen := deadlineServer(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set(pavedhttp.EnvoyDeadlineHeader, "100")
	resp, err := (&http.Client{Transport: newBase(t)}).Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, time.Duration(-1), <-seen, "without the option the header is not read")
}

// TestDeadlineHeaderServerNeverExtends checks that the header does not
// lengthen a deadline the request's context already has (from a middleware
// in front of the Handler).
func TestDeadlineHeaderServerNeverExtends(t *testing.T) {
	seen := make(chan time.Duration, 1)
	next := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		dl, _ := r.Context().Deadline()
		seen <- time.Until(dl)
	})
	h := pavedhttp.NewHandler(paved.New("srv"), next, pavedhttp.WithServerDeadlineHeader("X-Deadline-Ms", time.Minute))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 200*time.Millisecond)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
	srv := httptest.NewServer(outer)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("X-Deadline-Ms", "30000")
	resp, err := (&http.Client{Transport: newBase(t)}).Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.LessOrEqual(t, <-seen, 200*time.Millisecond)
}

// TestDeadlineHeaderEndToEnd runs client and server options together: the
// server's handler sees the client's deadline and gives up when it passes,
// instead of working on for a caller that is gone.
func TestDeadlineHeaderEndToEnd(t *testing.T) {
	const name = pavedhttp.EnvoyDeadlineHeader
	stopped := make(chan error, 1)
	left := make(chan time.Duration, 1)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, _ := r.Context().Deadline()
		left <- time.Until(dl)
		<-r.Context().Done() // a slow handler: works until its deadline
		stopped <- r.Context().Err()
	})
	srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("srv"), next,
		pavedhttp.WithServerDeadlineHeader(name, time.Minute)))
	t.Cleanup(srv.Close)
	rt := pavedhttp.NewTransport(paved.New("cli"), newBase(t), pavedhttp.WithDeadlineHeader(name))
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	// Whichever deadline fires first ends the call: the server's usually
	// does, a network latency sooner than the client's.
	if resp, err := rt.RoundTrip(req); err == nil {
		require.NoError(t, resp.Body.Close())
	}
	assert.LessOrEqual(t, <-left, 150*time.Millisecond, "the server's deadline is the client's, not its own minute")
	select {
	case serr := <-stopped:
		// Either cause is fine: the header's deadline, or the client's
		// disconnect; the first usually wins by the network latency.
		assert.True(t, errors.Is(serr, context.DeadlineExceeded) || errors.Is(serr, context.Canceled), "%v", serr)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never stopped")
	}
}
