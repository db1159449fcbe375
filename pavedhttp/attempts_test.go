package pavedhttp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// A retry middleware written by a user, knowing nothing of attempts, calls
// next again with the same context: every response it moves past is freed,
// and the connection is reused.
func TestUserRetryMiddlewareLeaksNothing(t *testing.T) {
	srv := newScript(t, 503, 503, 200)
	userRetry := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			var err error
			for range 3 {
				if err = next(ctx); err == nil {
					return nil
				}
			}
			return err
		}
	})
	base := &countingRT{next: newBase(t)}
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("user", userRetry), base)}
	resp, body := get(t, client, srv.URL)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "attempt 3:", body)
	assert.Equal(t, int32(3), base.closes.Load(), "3 bodies opened, 3 closed")
	assert.Equal(t, int32(1), srv.conns.Load(), "one connection, reused")
}

// A failure response of a call that may be repeated is read into memory and
// its connection freed before the next attempt runs, yet stays the call's
// answer until that attempt answers; the caller reads it whole if it is
// final. A larger body than 64 KiB is left streaming, and still read whole.
func TestFailureBodiesBufferedForTheNextAttempt(t *testing.T) {
	for _, size := range []int{10, 64 << 10, 64<<10 + 1, 1 << 20} {
		t.Run(strconv.Itoa(size)+" bytes", func(t *testing.T) {
			payload := strings.Repeat("z", size)
			var conns atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, payload)
			}))
			srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
				if st == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			var kept []bool // at the start of attempt 2: attempt 1's response still held
			keep := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
				// Like retry: never discards before the next attempt answered.
				return func(ctx context.Context) error {
					c := paved.CallFrom(ctx)
					first := paved.AttemptFrom(ctx)
					if err := next(ctx); err == nil {
						return nil
					}
					actx, second := c.NewAttempt(ctx)
					_, ok := first.Result()
					kept = append(kept, ok)
					err := next(actx)
					second.Discard()
					c.SetFinal(first)
					return err
				}
			})
			client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("b", keep), newBase(t))}
			resp, body := get(t, client, srv.URL)
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			assert.Equal(t, size, len(body), "the kept answer is read whole")
			assert.Equal(t, []bool{true}, kept)
			if size <= 64<<10 {
				assert.Equal(t, int32(1), conns.Load(), "the first response's connection served the second attempt")
			}
		})
	}
}

// A connection that could not be made means the request never left: the
// attempt is marked unsent, so a retry may repeat even a POST without an
// Idempotency-Key. A failure after the request may have been sent is not.
func TestDialFailuresAreUnsent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now: connection refused

	var got error
	var unsent bool
	p := paved.New("unsent", paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			got = next(ctx)
			unsent = paved.AttemptFrom(ctx).Unsent()
			return got
		}
	}))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, newBase(t))}
	_, err = client.Post(closed+"/orders", "application/json", strings.NewReader(`{}`))
	require.Error(t, err)
	assert.True(t, unsent, "connection refused: %v", got)
	var op *net.OpError
	assert.True(t, errors.As(err, &op), "the caller still sees the *net.OpError")

	// DNS: a name that cannot resolve (.invalid is reserved, RFC 2606).
	_, err = client.Get("http://paved-test.invalid/")
	require.Error(t, err)
	assert.True(t, unsent, "DNS failure: %v", got)

	// Reset after the request was written: it may have been processed.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	_, err = client.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	require.Error(t, err)
	assert.False(t, unsent, "a request that reached the server: %v", got)

	// A body that cannot be replayed cannot be sent again either.
	req, _ := http.NewRequest(http.MethodPost, closed, io.NopCloser(strings.NewReader("x")))
	_, err = client.Do(req)
	require.Error(t, err)
	assert.False(t, unsent, "no GetBody: never marked for a repeat")
}

// Every call that may not be repeated freely says why, for the event retry
// and hedge report when they decline.
func TestUnsafeReasons(t *testing.T) {
	srv := newScript(t, 200)
	var reason string
	p := paved.New("r", observe(func(c *paved.Call, _ error) { reason = c.UnsafeReason() }))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, newBase(t))}
	tests := []struct {
		method, key string
		body        io.Reader
		want        string
	}{
		{http.MethodGet, "", nil, ""},
		{http.MethodPut, "", strings.NewReader("x"), ""},
		{http.MethodPost, "", strings.NewReader("x"), "POST without Idempotency-Key"},
		{http.MethodPatch, "", strings.NewReader("x"), "PATCH without Idempotency-Key"},
		{http.MethodPost, "k1", strings.NewReader("x"), "keyed POST or PATCH: repeated one attempt at a time, never hedged"},
		{http.MethodPut, "", io.NopCloser(strings.NewReader("x")), "request body cannot be replayed (Request.GetBody is nil)"},
		{"PROPFIND", "", nil, "method is not idempotent"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, srv.URL, tt.body)
		require.NoError(t, err)
		if tt.key != "" {
			req.Header.Set("Idempotency-Key", tt.key)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, tt.want, reason, "%s key=%q", tt.method, tt.key)
	}
}
