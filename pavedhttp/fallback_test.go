package pavedhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/fallback"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(b)
}

// A final 503 after the retries is answered by the fallback's response; the
// failed responses are all closed.
func TestFallbackAnswersFinal503(t *testing.T) {
	srv := newScript(t, 503)
	log, tel := telemetrytest.New()
	f, err := pavedhttp.Fallback(func(req *http.Request, err error) (*http.Response, error) {
		var se *pavedhttp.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 503, se.StatusCode)
		return &http.Response{StatusCode: 200, Header: http.Header{"X-Degraded": {"1"}},
			Body: io.NopCloser(strings.NewReader("default " + req.URL.Path))}, nil
	})
	require.NoError(t, err)
	base := &countingRT{next: newBase(t)}
	p := paved.New("catalog", paved.WithTelemetry(tel), f, retry(3))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, base)}
	resp, err := client.Get(srv.URL + "/items")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("X-Degraded"))
	assert.Equal(t, "default /items", readAll(t, resp))
	assert.NotNil(t, resp.Request, "the caller's request is set")
	assert.Equal(t, int32(3), srv.requests.Load())
	assert.Equal(t, int32(3), base.closes.Load(), "every failed response was closed")
	evs := log.Events(telemetry.EventFallback)
	require.Len(t, evs, 1)
	assert.Equal(t, "transient", evs[0].Attrs[telemetry.AttrOutcome])
	assert.Equal(t, "503", evs[0].Attrs[telemetry.AttrErrorType])
}

// A func that has nothing to offer (nil, nil) leaves the failure as it was:
// the final 503 is returned as a response, as without a fallback.
func TestFallbackNothingToOffer(t *testing.T) {
	srv := newScript(t, 503)
	f, err := pavedhttp.Fallback(func(*http.Request, error) (*http.Response, error) { return nil, nil })
	require.NoError(t, err)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("p", f, retry(2)), newBase(t))}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 503, resp.StatusCode)
	assert.Contains(t, readAll(t, resp), "attempt 2")
}

// A func's error fails the call as it would have failed without a
// fallback: with the final response when there is one (a Transport returns
// responses, whatever their status), else with the func's error.
func TestFallbackFuncError(t *testing.T) {
	srv := newScript(t, 500)
	errNo := errors.New("no default")
	f, err := pavedhttp.Fallback(func(*http.Request, error) (*http.Response, error) { return nil, errNo })
	require.NoError(t, err)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("p", f), newBase(t))}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 500, resp.StatusCode)
	readAll(t, resp)

	srv.Close() // now nothing answers: no response to return
	_, err = client.Get(srv.URL)
	require.ErrorIs(t, err, errNo)
}

func TestFallbackPermanentUntouched(t *testing.T) {
	srv := newScript(t, 404)
	called := false
	f, err := pavedhttp.Fallback(func(*http.Request, error) (*http.Response, error) { called = true; return nil, nil })
	require.NoError(t, err)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("p", f), newBase(t))}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode, "a caller's mistake is not degraded by default")
	readAll(t, resp)
	assert.False(t, called)
}

func TestFallbackInvalid(t *testing.T) {
	_, err := pavedhttp.Fallback(nil)
	require.EqualError(t, err, "pavedhttp: Fallback needs a func, got nil")
	_, err = pavedhttp.Fallback(func(*http.Request, error) (*http.Response, error) { return nil, nil }, fallback.WithOutcomes())
	require.ErrorContains(t, err, "fallback: Outcomes must name at least one")
}

// Outside a pavedhttp Transport (a plain Pipeline.Run) there is no request:
// the failure is not hidden.
func TestFallbackOutsideTransport(t *testing.T) {
	f, err := pavedhttp.Fallback(func(*http.Request, error) (*http.Response, error) { t.Fatal("called"); return nil, nil })
	require.NoError(t, err)
	errDown := errors.New("down")
	err = paved.New("p", f).Run(t.Context(), func(context.Context) error { return errDown })
	require.ErrorIs(t, err, errDown)
	assert.ErrorContains(t, err, "runs only in a pipeline under a pavedhttp Transport")
}

func TestStaleServesLastGoodCopy(t *testing.T) {
	srv := newScript(t, 200, 503, 503, 503, 503, 503, 503)
	clk := clock.NewFake(time.Unix(1000, 0))
	stale := pavedhttp.MustNewStale(pavedhttp.WithStaleMaxAge(time.Minute), pavedhttp.WithStaleClock(clk))
	p := paved.New("catalog", stale.MustFallback(), retry(2))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, stale.Transport(newBase(t)))}

	resp, err := client.Get(srv.URL + "/item")
	require.NoError(t, err)
	assert.Equal(t, "attempt 1:", readAll(t, resp))
	assert.Equal(t, 1, stale.Len(), "a good answer read to the end is kept")

	clk.Advance(30 * time.Second)
	resp, err = client.Get(srv.URL + "/item")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, "the dependency failed; the copy answers")
	assert.Equal(t, "30", resp.Header.Get("Age"))
	assert.Equal(t, "attempt 1:", readAll(t, resp))

	resp, err = client.Get(srv.URL + "/other")
	require.NoError(t, err)
	assert.Equal(t, 503, resp.StatusCode, "no copy of another URL")
	readAll(t, resp)

	clk.Advance(30 * time.Second)
	resp, err = client.Get(srv.URL + "/item")
	require.NoError(t, err)
	assert.Equal(t, 503, resp.StatusCode, "a copy older than MaxAge is not served")
	readAll(t, resp)
}

// An open breaker refuses the call; the stale copy answers the refusal.
func TestStaleAnswersOpenBreaker(t *testing.T) {
	srv := newScript(t, 200)
	stale := pavedhttp.MustNewStale()
	b := breaker.MustNew("catalog")
	p := paved.New("catalog", stale.MustFallback(), b)
	client := &http.Client{Transport: pavedhttp.NewTransport(p, stale.Transport(newBase(t)))}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	readAll(t, resp)
	b.ForceOpen()
	resp, err = client.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "attempt 1:", readAll(t, resp))
	assert.Equal(t, int32(1), srv.requests.Load(), "the open breaker sent nothing")
}

func TestStaleRecordsOnlyShareable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path) // the body is the path
	}))
	t.Cleanup(srv.Close)
	stale := pavedhttp.MustNewStale(pavedhttp.WithStaleMaxBody(12))
	client := &http.Client{Transport: stale.Transport(newBase(t))}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/private", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := client.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	assert.Zero(t, stale.Len(), "an authorized request's answer is never shared")

	resp, err = client.Get(srv.URL + "/unread")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Zero(t, stale.Len(), "a body not read to the end is not kept")

	resp, err = client.Get(srv.URL + "/a-long-path-makes-a-long-body")
	require.NoError(t, err)
	readAll(t, resp)
	assert.Zero(t, stale.Len(), "a body over MaxBody is not kept")

	resp, err = client.Post(srv.URL+"/post", "text/plain", strings.NewReader(""))
	require.NoError(t, err)
	readAll(t, resp)
	assert.Zero(t, stale.Len(), "only GETs are kept")

	resp, err = client.Get(srv.URL + "/ok")
	require.NoError(t, err)
	readAll(t, resp)
	assert.Equal(t, 1, stale.Len())
}

func TestStaleEvictsOldest(t *testing.T) {
	srv := newScript(t, 200)
	stale := pavedhttp.MustNewStale(pavedhttp.WithStaleMaxEntries(2))
	client := &http.Client{Transport: stale.Transport(newBase(t))}
	for _, path := range []string{"/a", "/b", "/c"} {
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		readAll(t, resp)
	}
	assert.Equal(t, 2, stale.Len())
}

func TestStaleInvalid(t *testing.T) {
	for _, tt := range []struct {
		opt  pavedhttp.StaleOption
		want string
	}{
		{pavedhttp.WithStaleMaxAge(0), "pavedhttp: Stale MaxAge must be > 0, got 0s"},
		{pavedhttp.WithStaleMaxEntries(0), "pavedhttp: Stale MaxEntries must be 1..1000000, got 0"},
		{pavedhttp.WithStaleMaxBody(0), "pavedhttp: Stale MaxBody must be 1..1073741824, got 0"},
	} {
		_, err := pavedhttp.NewStale(tt.opt)
		require.EqualError(t, err, tt.want)
		assert.Panics(t, func() { pavedhttp.MustNewStale(tt.opt) })
	}
}
