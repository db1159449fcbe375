package pavedhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// gaveUp is a downstream error that says its retry gave up.
type gaveUp struct{}

func (gaveUp) Error() string { return "retry: gave up" }
func (gaveUp) GaveUp() bool  { return true }

// tier serves status after making a downstream call through paved with the
// request's context that fails with downstreamErr (nil: it succeeds).
func tier(t *testing.T, status int, downstreamErr error, opts ...pavedhttp.HandlerOption) *httptest.Server {
	t.Helper()
	downstream := paved.New("downstream")
	h := pavedhttp.NewHandler(paved.New("server"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = downstream.Run(r.Context(), func(context.Context) error { return downstreamErr })
		w.WriteHeader(status)
	}), opts...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// A tier whose downstream call gave up tells its caller not to retry, in a
// header added to its failure; the status is the same for any client.
func TestHandlerTellsCallerNotToRetry(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		downstream error
		opts       []pavedhttp.HandlerOption
		want       string
	}{
		{"gave up below, 503", http.StatusServiceUnavailable, gaveUp{}, nil, "?1"},
		{"refused below, 502", http.StatusBadGateway, paved.NewRejection(errors.New("breaker: open"), 0), nil, "?1"},
		{"gave up below, 429", http.StatusTooManyRequests, gaveUp{}, nil, "?1"},
		{"no retry below: the caller may retry", http.StatusServiceUnavailable, errors.New("503"), nil, ""},
		{"success", http.StatusOK, gaveUp{}, nil, ""},
		{"not a retryable status", http.StatusNotFound, gaveUp{}, nil, ""},
		{"route opted out", http.StatusServiceUnavailable, gaveUp{}, []pavedhttp.HandlerOption{pavedhttp.WithDoNotRetry(false)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tier(t, tt.status, tt.downstream, tt.opts...)
			resp, err := http.Get(srv.URL) // a plain client, as any caller
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, "the status is unchanged")
			assert.Equal(t, tt.want, resp.Header.Get(pavedhttp.DoNotRetryHeader))
		})
	}
}

// A paved client reads the header as "do not retry" — in the forms other
// stacks may write it too — and its retry stops.
func TestTransportHonoursDoNotRetry(t *testing.T) {
	for _, v := range []string{"?1", "1", "true", "TRUE", "?0", "no"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set(pavedhttp.DoNotRetryHeader, v)
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		var attempts int
		client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("caller", retry(3), countAttempts(&attempts)), newBase(t))}
		resp, _ := get(t, client, srv.URL)
		srv.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		want := 1 // the tier below retried already
		if v == "?0" || v == "no" {
			want = 3
		}
		assert.Equal(t, want, attempts, "%s: %q", pavedhttp.DoNotRetryHeader, v)
	}
}

// Resends carry their attempt number; the server sees it on the Call.
func TestAttemptHeader(t *testing.T) {
	var seen []int
	var headers []string
	srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("server"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, paved.CallFrom(r.Context()).CallerAttempt())
		headers = append(headers, r.Header.Get(pavedhttp.AttemptHeader))
		w.WriteHeader(http.StatusServiceUnavailable)
	})))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("client", retry(3)), newBase(t))}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("X-Own", "kept")
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, []string{"", "2", "3"}, headers, "the first attempt sends none")
	assert.Equal(t, []int{0, 2, 3}, seen)
	assert.Empty(t, req.Header.Get(pavedhttp.AttemptHeader), "the caller's request is never modified")
}
