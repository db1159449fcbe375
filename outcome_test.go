package paved_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

func telemetryEvent() telemetry.Event {
	return telemetry.Event{Name: telemetry.EventRetry, Policy: "test"}
}

var errLimited = errors.New("test: limited")

func TestDefaultClassifier(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want paved.Outcome
	}{
		{"nil", nil, paved.OutcomeSuccess},
		{"plain", io.ErrUnexpectedEOF, paved.OutcomeTransient},
		{"canceled", context.Canceled, paved.OutcomeCanceled},
		{"wrapped canceled", fmt.Errorf("get: %w", context.Canceled), paved.OutcomeCanceled},
		{"deadline", context.DeadlineExceeded, paved.OutcomeTransient},
		{"rejected", paved.ErrRejected, paved.OutcomeRejected},
		{"rejection", paved.NewRejection(errLimited, time.Second), paved.OutcomeRejected},
		{"permanent", paved.Permanent(io.EOF), paved.OutcomePermanent},
		{"wrapped permanent", fmt.Errorf("x: %w", paved.Permanent(io.EOF)), paved.OutcomePermanent},
		{"transient", paved.Transient(context.Canceled), paved.OutcomeTransient},
		{"marked overload", paved.Mark(io.EOF, paved.OutcomeOverload), paved.OutcomeOverload},
		{"marked fault", paved.Mark(io.EOF, paved.OutcomeFault), paved.OutcomeFault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, paved.DefaultClassifier.Classify(tt.err))
		})
	}
}

func TestMarkersUnwrapAndKeepNil(t *testing.T) {
	assert.NoError(t, paved.Permanent(nil))
	assert.NoError(t, paved.Transient(nil))
	err := paved.Permanent(io.EOF)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "EOF", err.Error())
}

func TestOutcomePredicatesAndNames(t *testing.T) {
	failed := map[paved.Outcome]bool{paved.OutcomeTransient: true, paved.OutcomeOverload: true, paved.OutcomeFault: true}
	retryable := map[paved.Outcome]bool{paved.OutcomeTransient: true, paved.OutcomeOverload: true}
	for o := paved.OutcomeSuccess; o <= paved.OutcomeRejected; o++ {
		assert.Equal(t, failed[o], o.Failed(), o.String())
		assert.Equal(t, retryable[o], o.Retryable(), o.String())
		assert.Equal(t, telemetry.OutcomeNames[o], o.String(), "paved and telemetry name outcomes alike")
	}
	assert.Len(t, telemetry.OutcomeNames, int(paved.OutcomeRejected)+1)
	assert.Equal(t, "unknown", paved.Outcome(200).String())
}

func TestRejectionMatchesSentinelAndCarriesRetryAfter(t *testing.T) {
	err := paved.NewRejection(errLimited, 1500*time.Millisecond)
	assert.ErrorIs(t, err, errLimited)
	assert.ErrorIs(t, err, paved.ErrRejected)
	assert.Equal(t, errLimited.Error(), err.Error())
	d, ok := paved.RetryAfter(fmt.Errorf("call: %w", err))
	assert.True(t, ok)
	assert.Equal(t, 1500*time.Millisecond, d)
	_, ok = paved.RetryAfter(paved.NewRejection(errLimited, 0))
	assert.False(t, ok, "a zero hint is no hint")
	_, ok = paved.RetryAfter(io.EOF)
	assert.False(t, ok)
	_, ok = paved.RetryAfter(nil)
	assert.False(t, ok)
}

func TestClassifierPrecedence(t *testing.T) {
	allFault := paved.ClassifierFunc(func(error) paved.Outcome { return paved.OutcomeFault })
	allPermanent := paved.ClassifierFunc(func(error) paved.Outcome { return paved.OutcomePermanent })
	op := func(ctx context.Context) error {
		assert.Equal(t, paved.OutcomeSuccess, paved.CallFrom(ctx).Classify(nil))
		return nil
	}
	classify := func(p *paved.Pipeline, ctx context.Context) (got paved.Outcome) {
		_ = p.Run(ctx, func(ctx context.Context) error { got = paved.CallFrom(ctx).Classify(io.EOF); return op(ctx) })
		return got
	}
	ctx := context.Background()
	adapterCtx := paved.WithCallInfo(ctx, paved.CallInfo{Classifier: allFault})
	assert.Equal(t, paved.OutcomeTransient, classify(paved.New("default"), ctx))
	assert.Equal(t, paved.OutcomeFault, classify(paved.New("adapter"), adapterCtx))
	assert.Equal(t, paved.OutcomePermanent, classify(paved.New("override", paved.WithClassifier(allPermanent)), adapterCtx),
		"the pipeline's classifier overrides the adapter's")
}

func TestIsOverloadRefusal(t *testing.T) {
	limited := paved.Mark(errors.New("ratelimit: limited"), paved.OutcomeOverload)
	assert.True(t, paved.IsOverloadRefusal(fmt.Errorf("x: %w", paved.NewRejection(limited, time.Second))))
	assert.False(t, paved.IsOverloadRefusal(paved.NewRejection(errLimited, time.Second)), "an unmarked refusal means unavailable")
	assert.False(t, paved.IsOverloadRefusal(limited), "not a refusal by our policies")
	assert.False(t, paved.IsOverloadRefusal(nil))
	assert.Equal(t, paved.OutcomeRejected, paved.DefaultClassifier.Classify(paved.NewRejection(limited, 0)))
}

// Refusals have stable, low-cardinality names in telemetry: the NamedError's
// name, else the sentinel's message in snake case.
func TestRefusalErrorTypes(t *testing.T) {
	named := paved.NamedError("breaker_open", "breaker: open")
	assert.Equal(t, "breaker: open", named.Error())
	assert.Equal(t, "breaker_open", telemetry.ErrorType(paved.NewRejection(named, time.Second)))
	assert.Equal(t, "breaker_open", telemetry.ErrorType(fmt.Errorf("call: %w", paved.NewRejection(named, 0))))
	overload := paved.Mark(paved.NamedError("rate_limited", "ratelimit: limited"), paved.OutcomeOverload)
	assert.Equal(t, "rate_limited", telemetry.ErrorType(paved.NewRejection(overload, 0)))
	assert.Equal(t, "bulkhead_full", telemetry.ErrorType(paved.NewRejection(errors.New("Bulkhead: FULL!"), 0)))
	assert.Equal(t, "test_limited", telemetry.ErrorType(paved.NewRejection(errLimited, 0)))
}

// Plain fmt.Errorf wrappers are looked through: error.type names what failed.
func TestErrorTypeLooksThroughWrappers(t *testing.T) {
	assert.Equal(t, "*fs.PathError", telemetry.ErrorType(fmt.Errorf("a: %w", fmt.Errorf("b: %w", &fs.PathError{Op: "open", Err: io.EOF}))))
	assert.Equal(t, "*errors.errorString", telemetry.ErrorType(fmt.Errorf("a: %w and %w", io.EOF, io.ErrClosedPipe)))
	assert.Equal(t, "*errors.errorString", telemetry.ErrorType(fmt.Errorf("no cause")), "no wrapper at all")
	assert.Equal(t, "canceled", telemetry.ErrorType(fmt.Errorf("x: %w", context.Canceled)))
}
