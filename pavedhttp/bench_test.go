package pavedhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/telemetry"
)

// benchRoundTrips sends GETs to a loopback server through rt, reading and
// closing each body so the connection is reused.
func benchRoundTrips(b *testing.B, rt func(base http.RoundTripper) http.RoundTripper) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	t := rt(base)
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := t.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

// sdkTelemetry is telemetry as a service runs it: the SDK, sampling
// everything, spans exported synchronously to a no-op exporter, metrics
// collected by a reader.
func sdkTelemetry(b *testing.B) *telemetry.Telemetry {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return telemetry.New(telemetry.WithTracerProvider(tp), telemetry.WithMeterProvider(mp))
}

// BenchmarkTransportBare is the baseline: a plain http.Transport.
func BenchmarkTransportBare(b *testing.B) {
	benchRoundTrips(b, func(base http.RoundTripper) http.RoundTripper { return base })
}

// BenchmarkTransportEmptyPipeline is NewTransport with an empty pipeline and
// the OpenTelemetry globals unset (goal: under 3% over bare).
func BenchmarkTransportEmptyPipeline(b *testing.B) {
	benchRoundTrips(b, func(base http.RoundTripper) http.RoundTripper {
		return pavedhttp.NewTransport(paved.New("x"), base)
	})
}

// BenchmarkTransportOtelhttp is otelhttp alone with the same SDK telemetry:
// what per-attempt client spans and HTTP metrics cost without paved.
func BenchmarkTransportOtelhttp(b *testing.B) {
	tel := sdkTelemetry(b)
	benchRoundTrips(b, func(base http.RoundTripper) http.RoundTripper {
		return otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tel.TracerProvider()),
			otelhttp.WithMeterProvider(tel.MeterProvider()))
	})
}

// BenchmarkTransportTelemetrySDK is NewTransport with the SDK sampling
// everything (goal: under 10% over bare): the call span, the otelhttp attempt
// span, and both sets of metrics.
func BenchmarkTransportTelemetrySDK(b *testing.B) {
	tel := sdkTelemetry(b)
	benchRoundTrips(b, func(base http.RoundTripper) http.RoundTripper {
		return pavedhttp.NewTransport(paved.New("x", paved.WithTelemetry(tel)), base)
	})
}

// stubRT answers at once with a canned response, so the Overhead benchmarks
// measure what the adapter adds in nanoseconds, free of the loopback noise a
// shared machine puts on the round-trip benchmarks.
type stubRT struct{}

func (stubRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

func benchOverhead(b *testing.B, t http.RoundTripper) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := t.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
	}
}

// BenchmarkOverheadBare is the stub alone.
func BenchmarkOverheadBare(b *testing.B) { benchOverhead(b, stubRT{}) }

// BenchmarkOverheadEmptyPipeline is what NewTransport with an empty pipeline
// and no telemetry adds to a round trip.
func BenchmarkOverheadEmptyPipeline(b *testing.B) {
	benchOverhead(b, pavedhttp.NewTransport(paved.New("x"), stubRT{}))
}

// BenchmarkOverheadOtelhttp is what otelhttp alone adds, with the SDK.
func BenchmarkOverheadOtelhttp(b *testing.B) {
	tel := sdkTelemetry(b)
	benchOverhead(b, otelhttp.NewTransport(stubRT{}, otelhttp.WithTracerProvider(tel.TracerProvider()),
		otelhttp.WithMeterProvider(tel.MeterProvider())))
}

// BenchmarkOverheadTelemetrySDK is what NewTransport adds with the SDK
// sampling everything: the call span and metrics plus otelhttp's.
func BenchmarkOverheadTelemetrySDK(b *testing.B) {
	tel := sdkTelemetry(b)
	benchOverhead(b, pavedhttp.NewTransport(paved.New("x", paved.WithTelemetry(tel)), stubRT{}))
}

// BenchmarkHandler is NewHandler's cost per request over calling the
// handler directly (BenchmarkHandlerBare), with an empty pipeline: the
// CallInfo, the pipeline's run and the response writer that adds
// DoNotRetryHeader when a downstream call gave up.
func BenchmarkHandler(b *testing.B) { benchHandler(b, true) }

// BenchmarkHandlerKeepRetries is BenchmarkHandler with WithDoNotRetry(false):
// no response writer wrapper.
func BenchmarkHandlerKeepRetries(b *testing.B) { benchHandler(b, false) }

func BenchmarkHandlerBare(b *testing.B) {
	b.ReportAllocs()
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	req := httptest.NewRequest(http.MethodGet, "/items/42", nil)
	w := httptest.NewRecorder()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

func benchHandler(b *testing.B, tell bool) {
	b.ReportAllocs()
	h := pavedhttp.NewHandler(paved.New("server"), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}), pavedhttp.WithDoNotRetry(tell))
	req := httptest.NewRequest(http.MethodGet, "/items/42", nil)
	w := httptest.NewRecorder()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
