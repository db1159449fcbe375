package paved_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
)

// substituting is a middleware that answers every failure with v.
func substituting(v any, discard func(any)) paved.Middleware { return substitutes(v, discard, false) }

// substitutes answers with v every failure, or with always every call.
func substitutes(v any, discard func(any), always bool) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			if err := next(ctx); err != nil || always {
				paved.CallFrom(ctx).Substitute(v, discard)
			}
			return nil
		}
	})
}

// twice is a retry of two attempts that marks the last final, as retry does.
var twice = paved.MiddlewareFunc(func(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		c := paved.CallFrom(ctx)
		if err := next(ctx); err == nil {
			return nil
		}
		paved.AttemptFrom(ctx).Discard()
		actx, a := c.NewAttempt(ctx)
		err := next(actx)
		c.SetFinal(a)
		return err
	}
})

func TestSubstituteDo(t *testing.T) {
	p := paved.New("sub", substituting("stale", nil), twice)
	var freed atomic.Int32
	v, err := paved.Do(context.Background(), p, func(ctx context.Context) (string, error) {
		paved.AttemptFrom(ctx).SetResult("partial", func(any) { freed.Add(1) })
		return "", errors.New("down")
	})
	require.NoError(t, err)
	assert.Equal(t, "stale", v, "the substitute stands over the attempt retry marked final")
	assert.Equal(t, int32(2), freed.Load(), "both attempts' results were discarded")
}

func TestSubstituteReplacesSubstitute(t *testing.T) {
	var first, second atomic.Int32
	p := paved.New("sub",
		substitutes("outer", func(any) { second.Add(1) }, true),
		substituting("inner", func(any) { first.Add(1) }),
	)
	c, err := p.Execute(context.Background(), func(context.Context) error { return errors.New("down") })
	require.NoError(t, err)
	v, ok := c.Final().Result()
	require.True(t, ok)
	assert.Equal(t, "outer", v)
	assert.Equal(t, int32(1), first.Load(), "the replaced substitute was discarded")
	assert.Zero(t, second.Load(), "the caller owns the final one")
	assert.Equal(t, 1, c.Attempts(), "a substitute is not an attempt")
	c.Final().Discard()
	assert.Equal(t, int32(1), second.Load())
}

func TestSubstituteFreedByRun(t *testing.T) {
	var freed atomic.Int32
	p := paved.New("sub", substituting("x", func(any) { freed.Add(1) }))
	require.NoError(t, p.Run(context.Background(), func(context.Context) error { return errors.New("down") }))
	assert.Equal(t, int32(1), freed.Load(), "nobody takes a plain Run's result")
}

func TestSubstituteAfterCallEnded(t *testing.T) {
	var call *paved.Call
	p := paved.New("sub")
	require.NoError(t, p.Run(context.Background(), func(ctx context.Context) error {
		call = paved.CallFrom(ctx)
		return nil
	}))
	var freed atomic.Int32
	call.Substitute("late", func(any) { freed.Add(1) })
	assert.Equal(t, int32(1), freed.Load(), "a late substitute is discarded at once")
}
