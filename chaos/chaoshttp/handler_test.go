package chaoshttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaoshttp"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// serve starts a loopback server that disturbs its requests with c; served
// counts the requests next ran for.
func serve(t *testing.T, c *chaos.Chaos) (url string, served *atomic.Int64) {
	served = &atomic.Int64{}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(chaoshttp.NewHandler(c, next))
	t.Cleanup(srv.Close)
	return srv.URL, served
}

func TestHandlerStatus(t *testing.T) {
	url, served := serve(t, chaos.MustNew(chaoshttp.Status(503).WithRetryAfter(time.Second), chaos.WithRate(1)))
	resp, err := get(t, &http.Client{Transport: base(t)}, url)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, "chaos: injected 503\n", string(body))
	assert.Zero(t, served.Load())
}

func TestHandlerErrorOutcome(t *testing.T) {
	for _, tt := range []struct {
		o    paved.Outcome
		want int
	}{
		{paved.OutcomeTransient, 503},
		{paved.OutcomeOverload, 429},
		{paved.OutcomePermanent, 400},
		{paved.OutcomeFault, 500},
	} {
		t.Run(tt.o.String(), func(t *testing.T) {
			url, served := serve(t, chaos.MustNew(chaos.ErrorOutcome(tt.o), chaos.WithRate(1)))
			resp, err := get(t, &http.Client{Transport: base(t)}, url)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.want, resp.StatusCode)
			assert.Zero(t, served.Load())
		})
		// The same Chaos as middleware of a server pipeline: pavedhttp's
		// Handler answers the status the error's outcome calls for too
		// (InjectedError.HTTPStatus), not 503 for all.
		t.Run(tt.o.String()+"/pipeline", func(t *testing.T) {
			var served atomic.Int64
			p := paved.New("server", chaos.MustNew(chaos.ErrorOutcome(tt.o), chaos.WithRate(1)))
			srv := httptest.NewServer(pavedhttp.NewHandler(p, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Add(1) })))
			t.Cleanup(srv.Close)
			resp, err := get(t, &http.Client{Transport: base(t)}, srv.URL)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.want, resp.StatusCode)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			assert.Zero(t, served.Load())
		})
	}
	// chaos's own table (the pipeline's answer) and chaoshttp's agree for
	// every failure outcome.
	for o := paved.OutcomeTransient; o <= paved.OutcomeRejected; o++ {
		in, ok := chaos.MustNew(chaos.ErrorOutcome(o), chaos.WithRate(1)).Pick(context.Background())
		require.True(t, ok)
		var sc interface{ HTTPStatus() int }
		require.ErrorAs(t, in.Err(), &sc)
		assert.Equal(t, chaoshttp.StatusForOutcome(o), sc.HTTPStatus(), "%s: the two mappings agree", o)
	}
}

// An Error(err) fault in a server pipeline is answered as err would be:
// its own status, a rate limit's 429, a deadline's 504; never a status by
// outcome that hides them.
func TestHandlerPipelineErrorKeepsItsStatus(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"own status", statusErr(404), 404},
		{"overload refusal", paved.NewRejection(paved.Mark(errors.New("limited"), paved.OutcomeOverload), time.Second), 429},
		{"deadline", context.DeadlineExceeded, 504},
		{"plain", errors.New("down"), 503},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := paved.New("server", chaos.MustNew(chaos.Error(tt.err), chaos.WithRate(1)))
			srv := httptest.NewServer(pavedhttp.NewHandler(p, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
			t.Cleanup(srv.Close)
			resp, err := get(t, &http.Client{Transport: base(t)}, srv.URL)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.want, resp.StatusCode)
		})
	}
}

type statusErr int

func (e statusErr) Error() string   { return "status " + strconv.Itoa(int(e)) }
func (e statusErr) HTTPStatus() int { return int(e) }

// A reset reaches the client as a reset connection, and next never runs.
func TestHandlerReset(t *testing.T) {
	url, served := serve(t, chaos.MustNew(chaoshttp.Reset(), chaos.WithRate(1)))
	tr := base(t)
	tr.DisableKeepAlives = true
	_, err := get(t, &http.Client{Transport: tr}, url)
	require.Error(t, err)
	t.Logf("client saw: %v", err)
	// An RST reaches the client as ECONNRESET, or as EOF when it lands
	// before the client reads (the kernel's choice, not ours).
	assert.True(t, chaoshttp.IsReset(err) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF"), "a reset or a cut connection, got %v", err)
	assert.Zero(t, served.Load())
}

// A hung request answers nothing: the client's timeout ends it.
func TestHandlerHang(t *testing.T) {
	url, served := serve(t, chaos.MustNew(chaos.Hang(), chaos.WithRate(1)))
	client := &http.Client{Transport: base(t), Timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := get(t, client, url)
	require.Error(t, err)
	assert.True(t, paved.IsTimeout(err), "got %v", err)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	assert.Zero(t, served.Load())
}

func TestHandlerLatency(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	log, tel := telemetrytest.New()
	url, served := serve(t, chaos.MustNew(chaos.Latency(time.Second), chaos.WithRate(1), chaos.WithClock(clk), chaos.WithTelemetry(tel), chaos.WithName("server")))
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := get(t, &http.Client{Transport: base(t)}, url)
		assert.NoError(t, err)
		done <- resp
	}()
	clk.BlockUntil(1)
	assert.Zero(t, served.Load())
	clk.Advance(time.Second)
	resp := <-done
	require.NotNil(t, resp)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, int64(1), served.Load())
	evs := log.Events(telemetry.EventChaosInjected)
	require.Len(t, evs, 1)
	assert.Equal(t, "server", evs[0].Attrs[telemetry.AttrPipeline])
	assert.Equal(t, "1000", evs[0].Attrs[telemetry.AttrDelay])
}

// Over a shared seed, a server disturbs the same requests run after run.
func TestHandlerSeeded(t *testing.T) {
	statuses := func() []int {
		url, _ := serve(t, chaos.MustNew(chaoshttp.Status(503), chaos.WithRate(0.3), chaos.WithSeed(99)))
		client := &http.Client{Transport: base(t)}
		var out []int
		for range 40 {
			resp, err := get(t, client, url)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			out = append(out, resp.StatusCode)
		}
		return out
	}
	a, b := statuses(), statuses()
	assert.Equal(t, a, b)
	assert.Contains(t, a, 503)
	assert.Contains(t, a, 200)
}
