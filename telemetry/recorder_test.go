package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved/telemetry"
)

type recorderSDK struct {
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tel    *telemetry.Telemetry
}

// newRecorderSDK is the SDK with in-memory exporters; wrapTP, when set,
// wraps its TracerProvider.
func newRecorderSDK(t *testing.T, wrapTP func(trace.TracerProvider) trace.TracerProvider) *recorderSDK {
	s := &recorderSDK{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(s.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	var p trace.TracerProvider = tp
	if wrapTP != nil {
		p = wrapTP(tp)
	}
	s.tel = telemetry.New(telemetry.WithTracerProvider(p), telemetry.WithMeterProvider(mp))
	return s
}

// histograms returns, per "operation/outcome", the count and sum of the
// named histogram's points.
func (s *recorderSDK) histograms(t *testing.T, name string) map[string][2]float64 {
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	got := map[string][2]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				op, _ := dp.Attributes.Value(telemetry.AttrOperation)
				o, _ := dp.Attributes.Value(telemetry.AttrOutcome)
				p, _ := dp.Attributes.Value(telemetry.AttrPipeline)
				assert.Equal(t, "payments", p.AsString())
				got[op.AsString()+"/"+o.AsString()] = [2]float64{float64(dp.Count), dp.Sum}
			}
		}
	}
	return got
}

func spanAttrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// Calls of several operations, interleaved from many goroutines, are each
// recorded with their own operation's attributes: the recorder's cache of
// the operation used last never lends one operation's attributes to another.
func TestRecorderInterleavedOperations(t *testing.T) {
	s := newRecorderSDK(t, nil)
	rec := s.tel.Recorder("payments")
	ops := []string{"GET a", "GET b", "POST c"}
	const goroutines, calls = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				op := ops[(g+i)%len(ops)]
				outcome := (g + i) % 2 // success, transient
				ctx, cs := rec.StartCall(context.Background(), op, 0)
				rec.RecordAttempt(ctx, op, rec.Now(), outcome)
				rec.EndCall(ctx, cs, outcome, 1, nil)
			}
		})
	}
	wg.Wait()

	perOp := map[string]int{}
	for _, sp := range s.spans.GetSpans() {
		a := spanAttrs(sp.Attributes)
		assert.Equal(t, "payments", a[telemetry.AttrPipeline])
		perOp[a[telemetry.AttrOperation]+"/"+a[telemetry.AttrOutcome]]++
	}
	want := map[string]int{}
	for g := range goroutines {
		for i := range calls {
			want[ops[(g+i)%len(ops)]+"/"+telemetry.OutcomeNames[(g+i)%2]]++
		}
	}
	assert.Equal(t, want, perOp)
	for _, name := range []string{telemetry.MetricCallDuration, telemetry.MetricAttemptDuration} {
		got := map[string]int{}
		for k, v := range s.histograms(t, name) {
			got[k] = int(v[0])
		}
		assert.Equal(t, want, got, name)
	}
}

// A call span ends with its outcome and attempt count however many attempts
// it made, and with error.type (and the error status) only when it failed:
// the attributes one call ends with never leak into the next.
func TestRecorderEndAttributes(t *testing.T) {
	s := newRecorderSDK(t, nil)
	rec := s.tel.Recorder("payments")
	end := func(outcome, attempts int, err error) sdktrace.ReadOnlySpan {
		s.spans.Reset()
		ctx, cs := rec.StartCall(context.Background(), "GET a", 0)
		rec.EndCall(ctx, cs, outcome, attempts, err)
		spans := s.spans.GetSpans().Snapshots()
		require.Len(t, spans, 1)
		return spans[0]
	}
	for _, attempts := range []int{0, 1, 3, 16, 17, 100} {
		t.Run(fmt.Sprint(attempts), func(t *testing.T) {
			sp := end(1, attempts, errors.New("x"))
			assert.Equal(t, map[string]string{
				telemetry.AttrPipeline: "payments", telemetry.AttrOperation: "GET a",
				telemetry.AttrOutcome: "transient", telemetry.AttrAttempts: fmt.Sprint(attempts),
				telemetry.AttrErrorType: "*errors.errorString",
			}, spanAttrs(sp.Attributes()))
			assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "*errors.errorString"}, sp.Status())
			assert.Equal(t, trace.SpanKindInternal, sp.SpanKind())

			sp = end(1, attempts, nil)
			assert.Equal(t, map[string]string{
				telemetry.AttrPipeline: "payments", telemetry.AttrOperation: "GET a",
				telemetry.AttrOutcome: "transient", telemetry.AttrAttempts: fmt.Sprint(attempts),
			}, spanAttrs(sp.Attributes()), "no error.type left from the failed call")
			assert.Equal(t, codes.Unset, sp.Status().Code)
		})
	}
}

// The call duration is measured from the span's start, so it never exceeds
// the span's own duration; with a tracer whose spans do not tell their start
// it is measured from the clock, and still recorded.
func TestRecorderCallDurationAndSpanStart(t *testing.T) {
	for name, wrap := range map[string]func(trace.TracerProvider) trace.TracerProvider{
		"sdk":     nil,
		"wrapped": func(tp trace.TracerProvider) trace.TracerProvider { return opaqueTP{tp} },
		"sampled out": func(trace.TracerProvider) trace.TracerProvider {
			return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newRecorderSDK(t, wrap)
			rec := s.tel.Recorder("payments")
			ctx, cs := rec.StartCall(context.Background(), "GET a", 0)
			rec.EndCall(ctx, cs, 0, 1, nil)
			h := s.histograms(t, telemetry.MetricCallDuration)["GET a/success"]
			assert.Equal(t, 1.0, h[0])
			assert.Greater(t, h[1], 0.0)
			if name == "sampled out" {
				return
			}
			spans := s.spans.GetSpans()
			require.Len(t, spans, 1)
			if wrap == nil {
				assert.LessOrEqual(t, h[1], spans[0].EndTime.Sub(spans[0].StartTime).Seconds())
			}
		})
	}
}

// opaqueTP hands out spans that hide the SDK's methods, as a provider that
// wraps the SDK's may.
type opaqueTP struct{ trace.TracerProvider }

func (p opaqueTP) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return opaqueTracer{p.TracerProvider.Tracer(name, opts...)}
}

type opaqueTracer struct{ trace.Tracer }

func (t opaqueTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, sp := t.Tracer.Start(ctx, name, opts...)
	o := opaqueSpan{sp}
	return trace.ContextWithSpan(ctx, o), o
}

type opaqueSpan struct{ trace.Span }

// Events counted within calls are each counted under their own series:
// policy, event, the retry reason when there is one (a string or not), and
// the operation; more kinds of event than the recorder caches are counted
// all the same.
func TestRecorderEventSeries(t *testing.T) {
	s := newRecorderSDK(t, nil)
	rec := s.tel.Recorder("payments")
	reason := func(v attribute.Value) []attribute.KeyValue {
		return []attribute.KeyValue{{Key: telemetry.AttrRetryReason, Value: v}}
	}
	emit := func(op string, ev telemetry.Event) {
		ctx, cs := rec.StartCall(context.Background(), op, 0)
		rec.Emit(ctx, op, ev)
		rec.EndCall(ctx, cs, 0, 1, nil)
	}
	want := map[string]int64{}
	for _, op := range []string{"GET a", "GET b", "GET a"} {
		emit(op, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry", Attrs: reason(attribute.StringValue("budget"))})
		emit(op, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry", Attrs: reason(attribute.StringValue("budget"))})
		emit(op, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry", Attrs: reason(attribute.StringValue("max_attempts"))})
		emit(op, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry", Attrs: reason(attribute.StringValue(""))})
		emit(op, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry", Attrs: reason(attribute.IntValue(3))})
		emit(op, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "retry"})
		emit(op, telemetry.Event{Name: telemetry.EventRetry, Policy: "retry", Attempt: 1, Err: errors.New("x")})
		emit(op, telemetry.Event{Name: telemetry.EventRetry, Policy: "hedge"})
		want[op+"/retry/retries_exhausted/budget"] += 2
		want[op+"/retry/retries_exhausted/max_attempts"]++
		want[op+"/retry/retries_exhausted/"]++ // the empty reason
		want[op+"/retry/retries_exhausted/3"]++
		want[op+"/retry/retries_exhausted/-"]++ // no reason at all
		want[op+"/retry/retry/-"]++
		want[op+"/hedge/retry/-"]++
	}
	for i := range 300 { // more kinds of event than an operation caches
		name := fmt.Sprint("custom_", i)
		emit("GET c", telemetry.Event{Name: name, Policy: "mine"})
		emit("GET c", telemetry.Event{Name: name, Policy: "mine"})
		want["GET c/mine/"+name+"/-"] = 2
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != telemetry.MetricEvents {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				p, _ := dp.Attributes.Value(telemetry.AttrPipeline)
				assert.Equal(t, "payments", p.AsString())
				op, _ := dp.Attributes.Value(telemetry.AttrOperation)
				pol, _ := dp.Attributes.Value(telemetry.AttrPolicy)
				ev, _ := dp.Attributes.Value(telemetry.AttrEvent)
				r, labels := "-", 4 // pipeline, operation, policy, event
				if v, ok := dp.Attributes.Value(telemetry.AttrRetryReason); ok {
					r, labels = v.String(), 5
				}
				assert.Equal(t, labels, dp.Attributes.Len(), "no other attribute becomes a label")
				got[op.AsString()+"/"+pol.AsString()+"/"+ev.AsString()+"/"+r] += dp.Value
			}
		}
	}
	assert.Equal(t, want, got)
}

// Events counted from many goroutines at once, alternating between series,
// each land in their own series.
func TestRecorderEventSeriesConcurrent(t *testing.T) {
	s := newRecorderSDK(t, nil)
	rec := s.tel.Recorder("payments")
	events := []telemetry.Event{
		{Name: telemetry.EventRetry, Policy: "retry"},
		{Name: telemetry.EventBreakerRejected, Policy: "breaker"},
		{Name: telemetry.EventRetriesExhausted, Policy: "retry", Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrRetryReason, "budget")}},
	}
	const goroutines, calls = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx, cs := rec.StartCall(context.Background(), "GET a", 0)
			defer rec.EndCall(ctx, cs, 0, 1, nil)
			for i := range calls {
				rec.Emit(ctx, "GET a", events[(g+i)%len(events)])
			}
		})
	}
	wg.Wait()

	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == telemetry.MetricEvents {
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					ev, _ := dp.Attributes.Value(telemetry.AttrEvent)
					pol, _ := dp.Attributes.Value(telemetry.AttrPolicy)
					r, _ := dp.Attributes.Value(telemetry.AttrRetryReason)
					got[pol.AsString()+"/"+ev.AsString()+"/"+r.AsString()] += dp.Value
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{
		"retry/retry/": goroutines * calls / 3, "breaker/breaker_rejected/": goroutines * calls / 3,
		"retry/retries_exhausted/budget": goroutines * calls / 3,
	}, got)
}
