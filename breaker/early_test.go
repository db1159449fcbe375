package breaker_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/telemetry"
)

func quiet() *telemetry.Telemetry {
	return telemetry.New(telemetry.WithTracerProvider(tracenoop.NewTracerProvider()), telemetry.WithMeterProvider(metricnoop.NewMeterProvider()))
}

var passThrough = paved.MiddlewareFunc(func(next paved.Op) paved.Op { return next })

// A call refused before it is built (the breaker outermost, nothing
// recorded) is refused as it is the ordinary way, with the breaker inside
// another middleware: the same error, hint and event on the caller's span.
func TestEarlyRefusalIsTheOrdinaryRefusal(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for _, mode := range []string{"open", "forced open"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, breaker.WithConsecutiveFailures(1), breaker.WithJitter(0))
			early := paved.New("orders", h.b, paved.WithTelemetry(quiet()))
			ordinary := paved.New("orders", passThrough, h.b, paved.WithTelemetry(quiet()))
			h.run(fail, 1)
			if mode == "forced open" {
				h.b.ForceOpen()
			}
			h.clk.Advance(time.Second)
			refuse := func(p *paved.Pipeline) ([]attribute.KeyValue, error) {
				t.Helper()
				spans.Reset()
				ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GET /stock"})
				ctx, span := tp.Tracer("caller").Start(ctx, "caller")
				err := p.Run(ctx, okOp)
				span.End()
				got := spans.GetSpans()
				require.Len(t, got, 1)
				require.Len(t, got[0].Events, 1)
				assert.Equal(t, telemetry.EventBreakerRejected, got[0].Events[0].Name)
				return got[0].Events[0].Attributes, err
			}
			evOrdinary, errOrdinary := refuse(ordinary)
			evEarly, errEarly := refuse(early)
			require.ErrorIs(t, errEarly, breaker.ErrOpen)
			assert.Same(t, errOrdinary, errEarly)
			assert.ElementsMatch(t, evOrdinary, evEarly)
			d, ok := paved.RetryAfter(errEarly)
			assert.Equal(t, mode == "open", ok)
			if ok {
				assert.Equal(t, 4*time.Second, d)
			}
			assert.Zero(t, testing.AllocsPerRun(10, func() { _ = early.Run(context.Background(), okOp) }), "refused early")
		})
	}
}

// The breaker's first call goes the ordinary way, so the breaker learns its
// pipeline even when that call is refused: its reports outside calls name it.
func TestEarlyRefusalNotOnTheFirstCall(t *testing.T) {
	var logs bytes.Buffer
	own := telemetry.New(telemetry.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	b := breaker.MustNew("db", breaker.WithClock(newFake()), breaker.WithTelemetry(own))
	b.ForceOpen()
	p := paved.New("orders", b, paved.WithTelemetry(quiet()))
	require.ErrorIs(t, p.Run(context.Background(), okOp), breaker.ErrOpen)
	logs.Reset()
	b.ForceClosed()
	assert.Contains(t, logs.String(), "resilience.pipeline=orders")
}

// A call refused early marks the server call it was made within.
func TestEarlyRefusalMarksTheServerCall(t *testing.T) {
	h := newHarness(t, breaker.WithConsecutiveFailures(1))
	h.run(fail, 1)
	client := paved.New("client", h.b, paved.WithTelemetry(quiet()))
	server := paved.New("server", paved.WithTelemetry(quiet()))
	c, err := server.Execute(context.Background(), func(ctx context.Context) error { return client.Run(ctx, okOp) })
	require.ErrorIs(t, err, breaker.ErrOpen)
	assert.True(t, c.DownstreamGaveUp())
}

// The per-key breaker finds its breaker by a key that may come from the
// call, which an early refusal has not built: it refuses the ordinary way.
func TestPerKeyIsNoEarlyRefuser(t *testing.T) {
	var k paved.Middleware = breaker.MustPerKey(func(context.Context) string { return "k" })
	_, ok := k.(paved.EarlyRefuser)
	assert.False(t, ok)
}
