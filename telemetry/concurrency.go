package telemetry

import (
	"context"
	"sync"
	"weak"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ConcurrencySource is a policy whose concurrency limit and in-flight count
// the resilience.concurrency.* gauges read when metrics are collected.
type ConcurrencySource interface {
	Limit() int
	Inflight() int
}

// ObserveConcurrency makes the resilience.concurrency.limit and .inflight
// gauges of pipeline's policy read src at every collection, so the series
// exist from the first call and in flight is current when scraped, at no
// cost per call. A later source for the same pipeline and policy replaces
// src (a pipeline rebuilt by a config reload); src is held weakly, so a
// policy nobody uses any more stops being reported and is not kept alive.
func ObserveConcurrency[T any, P interface {
	*T
	ConcurrencySource
}](t *Telemetry, pipeline, policy string, src P) {
	wp := weak.Make((*T)(src))
	t.conc.set(pipeline, policy, func() (int64, int64, bool) {
		s := P(wp.Value())
		if s == nil {
			return 0, 0, false
		}
		return int64(s.Limit()), int64(s.Inflight()), true
	})
}

// RecordConcurrency sets the resilience.concurrency.limit and
// resilience.concurrency.inflight gauges of a pipeline's policy to fixed
// values, reported at every collection until the next record; for policies
// that cannot be read at collection time (ObserveConcurrency is better).
func (t *Telemetry) RecordConcurrency(_ context.Context, pipeline, policy string, limit, inflight int64) {
	t.conc.set(pipeline, policy, func() (int64, int64, bool) { return limit, inflight, true })
}

type concKey struct{ pipeline, policy string }

type concEntry struct {
	attrs metric.MeasurementOption
	read  func() (limit, inflight int64, ok bool)
}

// concurrencyGauges holds what the gauges report, read by the callback of
// every instrument set the Telemetry builds.
type concurrencyGauges struct {
	mu      sync.Mutex
	entries map[concKey]*concEntry
}

func (g *concurrencyGauges) set(pipeline, policy string, read func() (int64, int64, bool)) {
	k := concKey{pipeline, policy}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entries == nil {
		g.entries = map[concKey]*concEntry{}
	}
	if e, ok := g.entries[k]; ok {
		e.read = read
		return
	}
	g.entries[k] = &concEntry{read: read, attrs: metric.WithAttributeSet(attribute.NewSet(
		attribute.String(AttrPipeline, pipeline), attribute.String(AttrPolicy, policy)))}
}

// observe reports every source to o, dropping those collected by the GC.
func (g *concurrencyGauges) observe(o metric.Observer, limit, inflight metric.Int64Observable) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, e := range g.entries {
		l, n, ok := e.read()
		if !ok {
			delete(g.entries, k)
			continue
		}
		o.ObserveInt64(limit, l, e.attrs)
		o.ObserveInt64(inflight, n, e.attrs)
	}
}
