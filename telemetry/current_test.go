package telemetry_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved/telemetry"
)

// These tests change the OpenTelemetry globals, so none runs in parallel;
// each leaves no-op globals.

// noopGlobalsAfter sets no-op global providers when t ends: what paved
// records with them, nothing, is what it records with the globals unset.
func noopGlobalsAfter(t *testing.T) {
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
}

func sdkProviders(t *testing.T) (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	t.Cleanup(func() {
		_ = tp.Shutdown(t.Context())
		_ = mp.Shutdown(t.Context())
	})
	return tp, mp
}

// TestGlobalsAreSeenByTheNextCall: every replacement of either global
// provider is seen by the next call, in both directions.
func TestGlobalsAreSeenByTheNextCall(t *testing.T) {
	noopGlobalsAfter(t)
	tel := telemetry.New()
	rec := tel.Recorder("p")
	enabled := func() [2]bool { a, m := rec.Enabled(); return [2]bool{a, m} }
	tp, mp := sdkProviders(t)
	for range 3 {
		otel.SetTracerProvider(tp)
		assert.Equal(t, [2]bool{true, false}, enabled())
		assert.Equal(t, trace.TracerProvider(tp), tel.Providers().TracerProvider())
		otel.SetMeterProvider(mp)
		assert.Equal(t, [2]bool{true, true}, enabled())
		assert.Equal(t, metric.MeterProvider(mp), tel.Providers().MeterProvider())
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		assert.Equal(t, [2]bool{true, true}, enabled())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
		assert.Equal(t, [2]bool{false, false}, enabled())
	}
}

// TestOneProviderGiven: with a TracerProvider given, the global
// MeterProvider is still followed and the global TracerProvider is not.
func TestOneProviderGiven(t *testing.T) {
	noopGlobalsAfter(t)
	tp, mp := sdkProviders(t)
	rec := telemetry.New(telemetry.WithTracerProvider(tracenoop.NewTracerProvider())).Recorder("p")
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(metricnoop.NewMeterProvider())
	enabled, _ := rec.Enabled()
	assert.False(t, enabled, "the given no-op TracerProvider, not the global one")
	otel.SetMeterProvider(mp)
	_, metrics := rec.Enabled()
	assert.True(t, metrics)
	otel.SetMeterProvider(metricnoop.NewMeterProvider())
	enabled, _ = rec.Enabled()
	assert.False(t, enabled)
}

// valueTP is a TracerProvider of a comparable value type: two values made
// apart are == without being the same interface words.
type valueTP struct {
	tracenoop.TracerProvider
	id int
}

// TestEqualProvidersAreTheSame: a provider == to the one in force, though
// held apart, is the same providers (Providers unchanged); a different
// value of its type is not.
func TestEqualProvidersAreTheSame(t *testing.T) {
	noopGlobalsAfter(t)
	tel := telemetry.New()
	// Made at run time, each value is boxed apart (a constant one may
	// share a read-only box).
	equal := make([]trace.TracerProvider, 2)
	for i := range equal {
		equal[i] = valueTP{id: len(equal)}
	}
	otel.SetTracerProvider(equal[0])
	first := tel.Providers()
	otel.SetTracerProvider(equal[1])
	assert.Equal(t, first, tel.Providers())
	assert.Equal(t, first, tel.Providers())
	otel.SetTracerProvider(valueTP{id: 3})
	assert.NotEqual(t, first, tel.Providers())
	assert.Equal(t, trace.TracerProvider(valueTP{id: 3}), tel.Providers().TracerProvider())
}

// funcTP is a TracerProvider whose type cannot be compared with ==.
type funcTP struct {
	tracenoop.TracerProvider
	f func()
}

// TestUncomparableProviders: providers whose type == would panic on are
// followed without panicking, and kept while they stay in force.
func TestUncomparableProviders(t *testing.T) {
	noopGlobalsAfter(t)
	tel := telemetry.New()
	otel.SetTracerProvider(funcTP{f: func() {}})
	first := tel.Providers()
	assert.Equal(t, first, tel.Providers())
	tp, _ := sdkProviders(t)
	otel.SetTracerProvider(tp)
	assert.NotEqual(t, first, tel.Providers())
	assert.Equal(t, trace.TracerProvider(tp), tel.Providers().TracerProvider())
	otel.SetTracerProvider(funcTP{f: func() {}})
	assert.IsType(t, funcTP{}, tel.Providers().TracerProvider())
}

// outerTP is a TracerProvider whose first field, another, is at its address.
type outerTP struct {
	inner innerTP
	tracenoop.TracerProvider
}

type innerTP struct{ tracenoop.TracerProvider }

// TestSameAddressOtherType: two providers at one address, of different
// types, are different providers.
func TestSameAddressOtherType(t *testing.T) {
	noopGlobalsAfter(t)
	o := &outerTP{}
	tel := telemetry.New()
	otel.SetTracerProvider(o)
	assert.Same(t, o, tel.Providers().TracerProvider())
	otel.SetTracerProvider(&o.inner)
	assert.Same(t, &o.inner, tel.Providers().TracerProvider(), "&o.inner is at o's address, of another type")
}

// TestGlobalsReplacedConcurrently: calls racing with replacements of the
// globals are safe (-race), and once the replacing stops the next call sees
// the last providers set.
func TestGlobalsReplacedConcurrently(t *testing.T) {
	noopGlobalsAfter(t)
	tel := telemetry.New()
	rec := tel.Recorder("p")
	tp, mp := sdkProviders(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec.Enabled()
				_ = tel.Providers().TracerProvider()
			}
		})
	}
	for i := range 2000 {
		if i%2 == 0 {
			otel.SetTracerProvider(tp)
			otel.SetMeterProvider(metricnoop.NewMeterProvider())
		} else {
			otel.SetTracerProvider(tracenoop.NewTracerProvider())
			otel.SetMeterProvider(mp)
		}
	}
	close(stop)
	wg.Wait()
	enabled, metrics := rec.Enabled()
	assert.True(t, enabled)
	assert.True(t, metrics)
	assert.Equal(t, trace.TracerProvider(tracenoop.NewTracerProvider()), tel.Providers().TracerProvider())
	otel.SetMeterProvider(metricnoop.NewMeterProvider())
	enabled, _ = rec.Enabled()
	assert.False(t, enabled)
}
