package paved_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
)

// record is a middleware that appends its name before and after next.
func record(name string, log *[]string) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			*log = append(*log, name+">")
			err := next(ctx)
			*log = append(*log, "<"+name)
			return err
		}
	})
}

func TestChainOrderFirstIsOutermost(t *testing.T) {
	var log []string
	p := paved.New("p", record("a", &log), nil, paved.Chain(record("b", &log), nil, record("c", &log)))
	require.NoError(t, p.Run(context.Background(), func(context.Context) error {
		log = append(log, "op")
		return nil
	}))
	assert.Equal(t, []string{"a>", "b>", "c>", "op", "<c", "<b", "<a"}, log)
}

func TestWrapIsCalledOncePerPipeline(t *testing.T) {
	wraps := 0
	m := paved.MiddlewareFunc(func(next paved.Op) paved.Op { wraps++; return next })
	p := paved.New("p", m)
	for range 10 {
		require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
	}
	assert.Equal(t, 1, wraps)
}

func TestRunReturnsOpError(t *testing.T) {
	boom := errors.New("boom")
	p := paved.New("p")
	err := p.Run(context.Background(), func(context.Context) error { return boom })
	assert.ErrorIs(t, err, boom)
}

func TestCallInfoReachesMiddlewareAndOp(t *testing.T) {
	var seen *paved.Call
	m := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error { seen = paved.CallFrom(ctx); return next(ctx) }
	})
	p := paved.New("payments", m)
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{
		Operation: "POST /v1/charges", Unrepeatable: true, Key: "tenant-1", Priority: paved.PrioritySheddable,
	})
	require.NoError(t, p.Run(ctx, func(ctx context.Context) error {
		assert.Same(t, seen, paved.CallFrom(ctx))
		assert.Equal(t, 1, paved.AttemptFrom(ctx).Number())
		return nil
	}))
	require.NotNil(t, seen)
	assert.Equal(t, "payments", seen.Pipeline())
	assert.Equal(t, "POST /v1/charges", seen.Operation())
	assert.False(t, seen.SafeToRepeat())
	assert.Equal(t, "tenant-1", seen.Key())
	assert.Equal(t, paved.PrioritySheddable, seen.Priority())
	assert.Equal(t, 1, seen.Attempts())
}

func TestPlainRunIsSafeToRepeat(t *testing.T) {
	p := paved.New("p")
	require.NoError(t, p.Run(context.Background(), func(ctx context.Context) error {
		c := paved.CallFrom(ctx)
		assert.True(t, c.SafeToRepeat())
		assert.Equal(t, paved.PriorityCritical, c.Priority())
		return nil
	}))
}

func TestWithCallInfoInheritsKeyAndPriority(t *testing.T) {
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Operation: "GET /in", Key: "k", Priority: paved.PriorityCriticalPlus, Unrepeatable: true})
	ctx = paved.WithCallInfo(ctx, paved.CallInfo{Operation: "GET /out"})
	info := paved.CallInfoFrom(ctx)
	assert.Equal(t, paved.CallInfo{Operation: "GET /out", Key: "k", Priority: paved.PriorityCriticalPlus}, info)
}

func TestNestedPipelinesHaveTheirOwnCall(t *testing.T) {
	outer, inner := paved.New("outer"), paved.New("inner")
	require.NoError(t, outer.Run(context.Background(), func(ctx context.Context) error {
		oc := paved.CallFrom(ctx)
		return inner.Run(ctx, func(ctx context.Context) error {
			ic := paved.CallFrom(ctx)
			assert.NotSame(t, oc, ic)
			assert.Equal(t, "inner", ic.Pipeline())
			assert.Same(t, ic, paved.AttemptFrom(ctx).Call())
			return nil
		})
	}))
}

func TestOutsideARunThereIsNoCall(t *testing.T) {
	assert.Nil(t, paved.CallFrom(context.Background()))
	assert.Nil(t, paved.AttemptFrom(context.Background()))
	paved.Emit(context.Background(), telemetryEvent()) // does nothing, must not panic
}

func TestCanceledContextReachesOp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := paved.New("p")
	err := p.Run(ctx, func(ctx context.Context) error { return ctx.Err() })
	assert.ErrorIs(t, err, context.Canceled)
}

func TestPanicReachesCallerUnchangedAfterRelease(t *testing.T) {
	released := false
	m := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			defer func() { released = true }()
			return next(ctx)
		}
	})
	p := paved.New("p", m)
	val := fmt.Errorf("user bug")
	defer func() {
		r := recover()
		assert.Same(t, val, r)
		assert.True(t, released)
	}()
	_ = p.Run(context.Background(), func(context.Context) error { panic(val) })
	t.Fatal("unreachable")
}

func TestDoReturnsTheValue(t *testing.T) {
	p := paved.New("p")
	v, err := paved.Do(context.Background(), p, func(context.Context) (int, error) { return 42, nil })
	require.NoError(t, err)
	assert.Equal(t, 42, v)

	boom := errors.New("boom")
	s, err := paved.Do(context.Background(), p, func(context.Context) (string, error) { return "partial", boom })
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "partial", s, "the final attempt's value is returned with its error")
}
