package chaoshttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaoshttp"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// base returns a transport whose idle connections close with the test.
func base(t *testing.T) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func get(t *testing.T, client *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return client.Do(req)
}

func TestTransportStatus(t *testing.T) {
	srv := testserver.NewHTTP(t)
	c := chaos.MustNew(chaoshttp.Status(503).WithRetryAfter(1500*time.Millisecond), chaos.WithRate(1))
	client := &http.Client{Transport: chaoshttp.NewTransport(c, base(t))}
	resp, err := get(t, client, srv.URL())
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "503 Service Unavailable", resp.Status)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"), "whole seconds, rounded up")
	assert.Equal(t, "chaos: injected 503\n", string(body))
	assert.Zero(t, srv.Requests(), "an injected status never reaches the server")
	assert.Equal(t, uint64(1), c.Injected())
}

// Under pavedhttp, each attempt is disturbed on its own: retry meets the
// injected 503s as real ones and tries again, and only the attempts chaos
// let through reach the server.
func TestTransportUnderPavedRetry(t *testing.T) {
	srv := testserver.NewHTTP(t)
	log, tel := telemetrytest.New()
	c := chaos.MustNew(chaoshttp.Status(503), chaos.WithRate(0.5), chaos.WithSeed(11))
	p := paved.New("flaky", paved.WithTelemetry(tel),
		retry.MustNew(retry.WithMaxAttempts(10), retry.WithBackoff(time.Microsecond, time.Microsecond), retry.WithoutBudget()))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, chaoshttp.NewTransport(c, base(t)))}
	const calls = 50
	for range calls {
		resp, err := get(t, client, srv.URL())
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, 200, resp.StatusCode)
	}
	assert.Equal(t, calls, srv.Requests(), "one request per call reached the server")
	assert.Equal(t, int(c.Calls()-c.Injected()), srv.Requests())
	assert.Greater(t, c.Injected(), uint64(15))
	evs := log.Events(telemetry.EventChaosInjected)
	require.Len(t, evs, int(c.Injected()))
	assert.Equal(t, "flaky", evs[0].Attrs[telemetry.AttrPipeline])
	assert.Equal(t, "http_status", evs[0].Attrs[telemetry.AttrChaosFault])
	assert.Equal(t, int(c.Injected()), log.Count(telemetry.EventRetry), "every injected 503 was retried")
}

func TestTransportReset(t *testing.T) {
	srv := testserver.NewHTTP(t)
	c := chaos.MustNew(chaoshttp.Reset(), chaos.WithRate(1))
	client := &http.Client{Transport: chaoshttp.NewTransport(c, base(t))}
	_, err := get(t, client, srv.URL())
	require.Error(t, err)
	assert.True(t, chaoshttp.IsReset(err))
	assert.ErrorIs(t, err, chaos.ErrInjected, "a test tells a rehearsal apart")
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr, "the shape net/http gives a peer's RST")
	assert.Equal(t, "read tcp: read: connection reset by peer", opErr.Error())
	var sysErr *os.SyscallError
	assert.ErrorAs(t, err, &sysErr)
	realReset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	assert.Equal(t, realReset.Timeout(), opErr.Timeout(), "Timeout as a real reset's")
	assert.Equal(t, realReset.Temporary(), opErr.Temporary(), "Temporary as a real reset's")
	assert.Equal(t, "*url.Error", telemetry.ErrorType(err), "a real reset's error.type: a rehearsal looks real")
	assert.Equal(t, paved.OutcomeTransient, pavedhttp.Classifier.Classify(err))
	assert.Zero(t, srv.Requests())
}

func TestTransportError(t *testing.T) {
	c := chaos.MustNew(chaos.ErrorOutcome(paved.OutcomeFault), chaos.WithRate(1))
	client := &http.Client{Transport: chaoshttp.NewTransport(c, roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("an injected error reached base")
		return nil, nil
	}))}
	_, err := get(t, client, "http://127.0.0.1:1/")
	require.ErrorIs(t, err, chaos.ErrInjected)
	assert.Equal(t, paved.OutcomeFault, pavedhttp.Classifier.Classify(err))
}

func TestTransportLatency(t *testing.T) {
	srv := testserver.NewHTTP(t)
	clk := clock.NewFake(time.Unix(0, 0))
	c := chaos.MustNew(chaos.Latency(time.Second), chaos.WithRate(1), chaos.WithClock(clk))
	client := &http.Client{Transport: chaoshttp.NewTransport(c, base(t))}
	done := make(chan error, 1)
	go func() {
		resp, err := get(t, client, srv.URL())
		if err == nil {
			_ = resp.Body.Close()
		}
		done <- err
	}()
	clk.BlockUntil(1)
	assert.Zero(t, srv.Requests(), "held back by the delay")
	clk.Advance(time.Second)
	require.NoError(t, <-done)
	assert.Equal(t, 1, srv.Requests(), "a delayed request still reaches the server")
}

// A hung round trip ends with its context, closes the request's body as a
// RoundTripper must, and never reaches the server.
func TestTransportHang(t *testing.T) {
	srv := testserver.NewHTTP(t)
	c := chaos.MustNew(chaos.Hang(), chaos.WithRate(1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	body := &closeTracker{Reader: strings.NewReader("payload")}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), body)
	require.NoError(t, err)
	_, err = chaoshttp.NewTransport(c, base(t)).RoundTrip(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, body.closed.Load(), "the request body is closed")
	assert.Zero(t, srv.Requests())
}

func TestTransportOff(t *testing.T) {
	srv := testserver.NewHTTP(t)
	c := chaos.MustNew(chaoshttp.Status(500), chaos.WithRate(1), chaos.WithEnabled(false))
	client := &http.Client{Transport: chaoshttp.NewTransport(c, base(t))}
	resp, err := get(t, client, srv.URL())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 1, srv.Requests())
}

func TestStatusValidation(t *testing.T) {
	_, err := chaos.New(chaoshttp.Status(99))
	require.EqualError(t, err, "chaoshttp: Status code must be 100..599, got 99")
	_, err = chaos.New(chaoshttp.Status(600))
	require.EqualError(t, err, "chaoshttp: Status code must be 100..599, got 600")
	_, err = chaos.New(chaoshttp.Status(503).WithRetryAfter(-time.Second))
	require.EqualError(t, err, "chaoshttp: Status RetryAfter must be >= 0, got -1s")
}

type otherFault struct{}

func (otherFault) Name() string { return "grpc_code" }

func TestForeignFaultPanics(t *testing.T) {
	c := chaos.MustNew(otherFault{}, chaos.WithRate(1))
	assert.PanicsWithValue(t, `chaoshttp: fault "grpc_code" belongs to another transport`, func() { chaoshttp.NewTransport(c, nil) })
	assert.PanicsWithValue(t, "chaoshttp: needs a *chaos.Chaos, got nil", func() { chaoshttp.NewTransport(nil, nil) })
	assert.Panics(t, func() { chaoshttp.NewHandler(c, http.NotFoundHandler()) })
	assert.Panics(t, func() { chaoshttp.NewHandler(chaos.MustNew(chaos.Hang()), nil) })
	// A Status fault in a paved pipeline is a mistake found when it is built.
	assert.Panics(t, func() { paved.New("p", chaos.MustNew(chaoshttp.Status(503))) })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type closeTracker struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeTracker) Close() error { c.closed.Store(true); return nil }
