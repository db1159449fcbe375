package pavedhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedhttp"
)

// A request the Shedder refuses is answered 503 with Retry-After and a
// problem body, and a paved client reads that answer as Overload: its
// Throttle counts it as not accepted, its breaker would not count it.
func TestShedRequestIs503WithRetryAfter(t *testing.T) {
	shed := loadshed.MustNew(loadshed.WithLimits(1, 1), loadshed.WithInitialLimit(1), loadshed.WithMaxQueue(0))
	release := make(chan struct{})
	running := make(chan struct{})
	srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("server", shed), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			close(running)
			<-release
		}
	})))
	defer srv.Close()
	held := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/hold")
		if err == nil {
			_ = resp.Body.Close()
		}
		held <- err
	}()
	<-running

	resp, err := http.Get(srv.URL + "/x")
	require.NoError(t, err)
	var body struct {
		Status int
		Detail string
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "loadshed: shed", body.Detail)

	// Through a paved client: the 503 with Retry-After is Overload.
	var outcome paved.Outcome
	th := loadshed.MustNewThrottle()
	spy := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			outcome = paved.CallFrom(ctx).Classify(err)
			return err
		}
	})
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("client", spy, th), nil)}
	resp, err = client.Get(srv.URL + "/y")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, paved.OutcomeOverload, outcome)
	req, acc := th.Counts()
	assert.Equal(t, [2]int64{1, 0}, [2]int64{req, acc}, "the throttle saw a request and no accept")

	close(release)
	require.NoError(t, <-held)
	resp, err = client.Get(srv.URL + "/z")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// StatusFor maps ErrShed to 503 and a rate limit's overload refusal to 429:
// a shedding server is busy, not refusing the caller's quota.
func TestStatusForShed(t *testing.T) {
	assert.Equal(t, http.StatusServiceUnavailable, pavedhttp.StatusFor(paved.NewRejection(loadshed.ErrShed, 0)))
	assert.Equal(t, http.StatusServiceUnavailable, pavedhttp.StatusFor(paved.NewRejection(loadshed.ErrThrottled, 0)))
	limited := paved.Mark(errors.New("limited"), paved.OutcomeOverload)
	assert.Equal(t, http.StatusTooManyRequests, pavedhttp.StatusFor(paved.NewRejection(limited, 0)))
}
