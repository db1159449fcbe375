package paved_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// A call made inside another call (a server handler's downstream call)
// inherits who calls and how much it matters, never the outer call's
// operation, repeatability or classifier.
func TestNestedCallInheritsOnlyKeyAndPriority(t *testing.T) {
	allPermanent := paved.ClassifierFunc(func(error) paved.Outcome { return paved.OutcomePermanent })
	server := paved.New("server")
	client := paved.New("client", tries(3))
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{
		Operation: "GET /x", Unrepeatable: true, Key: "tenant-9", Priority: paved.PrioritySheddable, Classifier: allPermanent,
	})
	require.NoError(t, server.Run(ctx, func(ctx context.Context) error {
		return client.Run(ctx, func(ctx context.Context) error {
			c := paved.CallFrom(ctx)
			assert.Equal(t, "client", c.Pipeline())
			assert.Empty(t, c.Operation())
			assert.True(t, c.SafeToRepeat(), "the server call's Unrepeatable does not leak into its downstream calls")
			assert.Equal(t, "tenant-9", c.Key())
			assert.Equal(t, paved.PrioritySheddable, c.Priority())
			assert.Equal(t, paved.OutcomeTransient, c.Classify(errors.New("x")))
			return nil
		})
	}))
}

func TestPriorityCanBeRaisedDownstream(t *testing.T) {
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: paved.PrioritySheddable})
	assert.Equal(t, paved.PrioritySheddable, paved.CallInfoFrom(paved.WithCallInfo(ctx, paved.CallInfo{})).Priority)
	assert.Equal(t, paved.PriorityCritical, paved.CallInfoFrom(paved.WithCallInfo(ctx, paved.CallInfo{Priority: paved.PriorityCritical})).Priority,
		"PriorityCritical is explicit, not 'inherit'")
	assert.Equal(t, "critical", paved.PriorityUnset.String())
}

func TestExecuteWithUsesInfoAndData(t *testing.T) {
	p := paved.New("p")
	parent := paved.WithCallInfo(context.Background(), paved.CallInfo{Key: "k"})
	state := &struct{ n int }{}
	info := &paved.CallInfo{Operation: "op", Sequential: true, Data: state}
	_, err := p.ExecuteWith(parent, info, func(ctx context.Context) error {
		c := paved.CallFrom(ctx)
		assert.Same(t, state, c.Data())
		assert.Equal(t, "op", c.Operation())
		assert.Equal(t, "k", c.Key(), "empty Key is inherited from ctx")
		assert.True(t, c.SafeToRepeat())
		assert.False(t, c.Concurrent(), "a Sequential call must not be hedged")
		return nil
	})
	require.NoError(t, err)
}

func TestRunDiscardsTheFinalResult(t *testing.T) {
	freed := false
	require.NoError(t, paved.New("p").Run(context.Background(), func(ctx context.Context) error {
		paved.AttemptFrom(ctx).SetResult("r", func(any) { freed = true })
		return nil
	}))
	assert.True(t, freed, "nobody takes a plain Run's result")
}

func TestOutOfRangeOutcomeIsFaultNotPanic(t *testing.T) {
	s := newSDK(t)
	bad := paved.ClassifierFunc(func(error) paved.Outcome { return paved.Outcome(9) })
	p := paved.New("p", paved.WithClassifier(bad), paved.WithTelemetry(s.telemetry()))
	err := p.Run(context.Background(), func(ctx context.Context) error {
		assert.Equal(t, paved.OutcomeFault, paved.CallFrom(ctx).Classify(errors.New("x")))
		return errors.New("x")
	})
	require.Error(t, err)
	assert.Equal(t, "fault", attrs(s.spans.GetSpans()[0].Attributes)[telemetry.AttrOutcome])
}

func TestSpanStatusNeverHoldsTheErrorMessage(t *testing.T) {
	s := newSDK(t)
	p := paved.New("p", paved.WithTelemetry(s.telemetry()))
	_ = p.Run(context.Background(), func(context.Context) error {
		return errors.New(`Get "https://api.example/v1?token=s3cr3t": EOF`)
	})
	assert.NotContains(t, s.spans.GetSpans()[0].Status.Description, "s3cr3t")
}

// uncomparable is a TracerProvider whose type cannot be compared with ==.
type uncomparable struct {
	embedded.TracerProvider
	_ []int
}

func (uncomparable) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return tracenoop.NewTracerProvider().Tracer("")
}

func TestUncomparableProviderDoesNotPanic(t *testing.T) {
	p := paved.New("p", paved.WithTelemetry(telemetry.New(telemetry.WithTracerProvider(uncomparable{}))))
	for range 3 {
		require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
	}
}
