package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	ftimeout "github.com/failsafe-go/failsafe-go/timeout"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/telemetry"
)

// BenchmarkHTTP is a GET over loopback through README's pipeline, the
// OpenTelemetry providers unset: bare is the plain http.Transport, floor the
// pipeline written by hand around it.
func BenchmarkHTTP(b *testing.B) {
	compare(b,
		httpImpl("bare", func(_ *testing.B, base *http.Transport) http.RoundTripper { return base }),
		httpImpl("floor", func(_ *testing.B, base *http.Transport) http.RoundTripper { return floorRT(base) }),
		httpImpl("paved", func(_ *testing.B, base *http.Transport) http.RoundTripper {
			return pavedhttp.NewTransport(readmePipeline(), base)
		}),
		httpImpl("failsafe", func(_ *testing.B, base *http.Transport) http.RoundTripper { return failsafeRT(base) }),
	)
}

// BenchmarkHTTPTelemetry is BenchmarkHTTP with the OpenTelemetry SDK
// installed, sampling everything: otelhttp alone (its per-attempt client span
// and metrics, no policies), paved (its call span, events and metrics, and
// otelhttp per attempt), failsafe-go (which has no telemetry of its own)
// around otelhttp, and failsafe-otel: failsafe-go with the call span and
// duration histograms paved records written by hand around it, so that it
// does the same work as paved's row.
func BenchmarkHTTPTelemetry(b *testing.B) {
	compare(b,
		httpImpl("otelhttp", func(b *testing.B, base *http.Transport) http.RoundTripper { return otelRT(sdk(b), base) }),
		httpImpl("paved", func(b *testing.B, base *http.Transport) http.RoundTripper {
			return pavedhttp.NewTransport(readmePipeline(paved.WithTelemetry(sdk(b))), base)
		}),
		httpImpl("failsafe", func(b *testing.B, base *http.Transport) http.RoundTripper {
			return failsafeRT(otelRT(sdk(b), base))
		}),
		httpImpl("failsafe-otel", func(b *testing.B, base *http.Transport) http.RoundTripper {
			return failsafeOtelRT(sdk(b), base)
		}),
	)
}

// BenchmarkTelemetryOverhead measures what telemetry costs, free of loopback
// noise: every row answers from a stub transport at once. stub is the stub
// alone, otelhttp its per-attempt instrumentation, paved-off README's
// pipeline with no providers installed, paved-sdk the same with the SDK.
// paved's own telemetry is (paved-sdk - paved-off) - (otelhttp - stub).
func BenchmarkTelemetryOverhead(b *testing.B) {
	stub := func(base http.RoundTripper) func(*testing.B, *http.Transport) http.RoundTripper {
		return func(*testing.B, *http.Transport) http.RoundTripper { return base }
	}
	compare(b,
		stubImpl("stub", stub(stubRT{})),
		stubImpl("otelhttp", func(b *testing.B, _ *http.Transport) http.RoundTripper { return otelRT(sdk(b), stubRT{}) }),
		stubImpl("paved-off", func(*testing.B, *http.Transport) http.RoundTripper {
			return pavedhttp.NewTransport(readmePipeline(), stubRT{})
		}),
		stubImpl("paved-sdk", func(b *testing.B, _ *http.Transport) http.RoundTripper {
			return pavedhttp.NewTransport(readmePipeline(paved.WithTelemetry(sdk(b))), stubRT{})
		}),
	)
}

// httpImpl sends GETs to a loopback server through the RoundTripper rt
// builds around a fresh http.Transport, reading and closing each body so the
// connection is reused.
func httpImpl(lib string, rt func(*testing.B, *http.Transport) http.RoundTripper) impl {
	return impl{lib: lib, setup: func(b *testing.B) func(context.Context) error {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ok")
		}))
		base := &http.Transport{MaxIdleConnsPerHost: 64}
		b.Cleanup(func() {
			base.CloseIdleConnections()
			srv.Close()
		})
		return roundTrips(rt(b, base), srv.URL)
	}}
}

// stubImpl is httpImpl without a server: the RoundTripper answers itself.
func stubImpl(lib string, rt func(*testing.B, *http.Transport) http.RoundTripper) impl {
	return impl{lib: lib, setup: func(b *testing.B) func(context.Context) error {
		return roundTrips(rt(b, nil), "http://127.0.0.1:1/")
	}}
}

func roundTrips(rt http.RoundTripper, url string) func(context.Context) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		panic(err)
	}
	return func(context.Context) error {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errStatus
		}
		return nil
	}
}

var errStatus = errors.New("unexpected status")

// floorRT is README's pipeline written by hand around base: a total timeout,
// a gobreaker, an attempt timeout held until the body is read.
func floorRT(base http.RoundTripper) http.RoundTripper {
	cb := newGobreaker(openFor)
	return rtFunc(func(req *http.Request) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(req.Context(), totalTimeout)
		defer cancel()
		var out *http.Response
		_, err := cb.Execute(func() (any, error) {
			actx, cancel := context.WithTimeout(ctx, attemptTimeout)
			defer cancel()
			resp, err := base.RoundTrip(req.WithContext(actx))
			if err != nil {
				return nil, err
			}
			// Read here, while the attempt's context lives.
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				return nil, err
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			out = resp
			if resp.StatusCode >= 500 {
				return nil, errStatus
			}
			return nil, nil
		})
		if out != nil {
			return out, nil
		}
		return nil, err
	})
}

// failsafeRT is README's pipeline in failsafe-go around base.
func failsafeRT(base http.RoundTripper) http.RoundTripper {
	return failsafehttp.NewRoundTripper(base,
		ftimeout.New[*http.Response](totalTimeout),
		failsafehttp.NewRetryPolicyBuilder().Build(),
		newFailsafeBreaker[*http.Response](openFor),
		ftimeout.New[*http.Response](attemptTimeout))
}

// failsafeOtelRT is failsafeRT around otelhttp, with what paved's own
// telemetry records written by hand, every option precomputed as
// telemetry.BenchmarkCallSDKFloor does: a call span with paved's start and
// end attributes, resilience.call.duration per call and
// resilience.attempt.duration per attempt. No events: a successful call has
// none in paved either.
func failsafeOtelRT(tel *telemetry.Telemetry, base http.RoundTripper) http.RoundTripper {
	tracer := tel.TracerProvider().Tracer(telemetry.ScopeName)
	meter := tel.MeterProvider().Meter(telemetry.ScopeName)
	callDuration, _ := meter.Float64Histogram(telemetry.MetricCallDuration)
	attemptDuration, _ := meter.Float64Histogram(telemetry.MetricAttemptDuration)
	start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		attribute.String(telemetry.AttrPipeline, "bench"), attribute.String(telemetry.AttrOperation, "GET"))}
	endAttrs := []attribute.KeyValue{attribute.String(telemetry.AttrOutcome, "success"), attribute.Int(telemetry.AttrAttempts, 1)}
	set := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(telemetry.AttrPipeline, "bench"),
		attribute.String(telemetry.AttrOutcome, "success"), attribute.String(telemetry.AttrOperation, "GET")))}
	attempt := otelRT(tel, base)
	inner := failsafeRT(rtFunc(func(req *http.Request) (*http.Response, error) {
		began := time.Now()
		resp, err := attempt.RoundTrip(req)
		attemptDuration.Record(req.Context(), time.Since(began).Seconds(), set...)
		return resp, err
	}))
	return rtFunc(func(req *http.Request) (*http.Response, error) {
		ctx, span := tracer.Start(req.Context(), "bench", start...)
		began := time.Now()
		resp, err := inner.RoundTrip(req.WithContext(ctx))
		callDuration.Record(ctx, time.Since(began).Seconds(), set...)
		span.SetAttributes(endAttrs...)
		span.End()
		return resp, err
	})
}

func otelRT(tel *telemetry.Telemetry, base http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tel.TracerProvider()),
		otelhttp.WithMeterProvider(tel.MeterProvider()))
}

// sdk is telemetry as a service runs it: the SDK, sampling everything, spans
// exported synchronously to a no-op exporter, metrics collected by a reader.
func sdk(b *testing.B) *telemetry.Telemetry {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return telemetry.New(telemetry.WithTracerProvider(tp), telemetry.WithMeterProvider(mp))
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stubRT answers at once with an empty 200.
type stubRT struct{}

func (stubRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}
