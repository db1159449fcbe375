package paved_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
)

// tries is a minimal retrying middleware: n attempts, the last one final.
func tries(n int) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			call := paved.CallFrom(ctx)
			a := paved.AttemptFrom(ctx)
			err := next(ctx)
			for i := 1; i < n && err != nil; i++ {
				a.Discard()
				var actx context.Context
				actx, a = call.NewAttempt(ctx)
				err = next(actx)
			}
			call.SetFinal(a)
			return err
		}
	})
}

func TestDoReturnsFinalAttemptValueAndDiscardsOthers(t *testing.T) {
	var discarded []int
	p := paved.New("p", tries(3))
	ctx := context.Background()
	c, err := p.Execute(ctx, func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		n := a.Number()
		a.SetResult(n, func(any) { discarded = append(discarded, n) })
		if n < 3 {
			return errors.New("again")
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, c.Attempts())
	assert.Equal(t, []int{1, 2}, discarded)
	final := c.Final()
	require.NotNil(t, final)
	v, ok := final.Result()
	assert.True(t, ok)
	assert.Equal(t, 3, v)

	got, err := paved.Do(ctx, p, func(ctx context.Context) (int, error) {
		if n := paved.AttemptFrom(ctx).Number(); n < 2 {
			return n, errors.New("again")
		}
		return 100, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 100, got)
}

func TestFinalIsNilWhenSeveralAttemptsAndNoneMarked(t *testing.T) {
	discards := 0
	unmarked := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			_ = next(ctx)
			actx, _ := paved.CallFrom(ctx).NewAttempt(ctx)
			return next(actx)
		}
	})
	p := paved.New("p", unmarked)
	c, _ := p.Execute(context.Background(), func(ctx context.Context) error {
		paved.AttemptFrom(ctx).SetResult("x", func(any) { discards++ })
		return nil
	})
	assert.Nil(t, c.Final())
	assert.Equal(t, 2, discards, "the end of the call discards every unmarked result")
}

func TestHoldRunsOnReleaseOnlyForResultsThatNeedFreeing(t *testing.T) {
	p := paved.New("p")
	held := false
	c, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		assert.False(t, a.Hold(func() {}), "no result yet: nothing to hold for")
		a.SetResult("body", func(any) {})
		assert.True(t, a.Hold(func() { held = true }))
		return nil
	})
	require.NoError(t, err)
	assert.False(t, held, "the final result is still owned by the caller")
	c.Final().Release()
	assert.True(t, held)
	c.Final().Release() // twice is harmless

	_, err = p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		a.SetResult(1, nil)
		assert.False(t, a.Hold(func() {}), "a plain value needs no live context")
		return nil
	})
	require.NoError(t, err)
}

func TestDiscardRunsHoldsToo(t *testing.T) {
	held, freed := false, false
	p := paved.New("p", tries(2))
	_, _ = p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		if a.Number() == 1 {
			a.SetResult("r1", func(any) { freed = true })
			a.Hold(func() { held = true })
			return errors.New("again")
		}
		return nil
	})
	assert.True(t, freed)
	assert.True(t, held)
}

func TestLateResultAfterTheCallEndedIsDiscarded(t *testing.T) {
	p := paved.New("p")
	var late *paved.Attempt
	var lateCtx context.Context
	_, err := p.Execute(context.Background(), func(ctx context.Context) error {
		lateCtx, late = paved.CallFrom(ctx).NewAttempt(ctx)
		paved.CallFrom(ctx).SetFinal(paved.AttemptFrom(ctx))
		return nil
	})
	require.NoError(t, err)
	_ = lateCtx
	freed := false
	late.SetResult("late", func(any) { freed = true })
	assert.True(t, freed)
	_, ok := late.Result()
	assert.False(t, ok)

	// An attempt started after the call ended is discarded from the start.
	var c *paved.Call
	c, _ = p.Execute(context.Background(), func(context.Context) error { return nil })
	_, a := c.NewAttempt(context.Background())
	freed = false
	a.SetResult("x", func(any) { freed = true })
	assert.True(t, freed)
}

// TestConcurrentAttempts runs hedge-like attempts at once under -race: each
// records its own result, one wins, every other result is freed exactly once.
func TestConcurrentAttempts(t *testing.T) {
	const attempts = 8
	hedge := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			call := paved.CallFrom(ctx)
			var wg sync.WaitGroup
			var once sync.Once
			for i := range attempts {
				actx, a := ctx, paved.AttemptFrom(ctx)
				if i > 0 {
					actx, a = call.NewAttempt(ctx)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if next(actx) == nil {
						once.Do(func() { call.SetFinal(a) })
					}
				}()
			}
			wg.Wait()
			return nil
		}
	})
	p := paved.New("p", hedge)
	for range 50 {
		var freed atomic.Int32
		c, err := p.Execute(context.Background(), func(ctx context.Context) error {
			a := paved.AttemptFrom(ctx)
			a.SetResult(a.Number(), func(any) { freed.Add(1) })
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, attempts, c.Attempts())
		assert.EqualValues(t, attempts-1, freed.Load())
		_, ok := c.Final().Result()
		assert.True(t, ok)
	}
}

// A middleware that knows nothing of attempts (a user's retry loop calling
// next again with the same context) records results over one another: each
// earlier one is discarded, and the last stands.
func TestResultRecordedOverAnotherDiscardsIt(t *testing.T) {
	var discarded []string
	userRetry := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			var err error
			for range 3 {
				if err = next(ctx); err == nil {
					return nil
				}
			}
			return err
		}
	})
	p := paved.New("p", userRetry)
	n := 0
	c, err := p.Execute(context.Background(), func(ctx context.Context) error {
		n++
		v := fmt.Sprint("response ", n)
		paved.AttemptFrom(ctx).SetResult(v, func(v any) { discarded = append(discarded, v.(string)) })
		if n < 3 {
			return errors.New("503")
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"response 1", "response 2"}, discarded)
	v, ok := c.Final().Result()
	require.True(t, ok)
	assert.Equal(t, "response 3", v)

	// The same value recorded twice is not discarded under its owner.
	p = paved.New("p", userRetry)
	same := &struct{ n int }{}
	_, err = p.Execute(context.Background(), func(ctx context.Context) error {
		paved.AttemptFrom(ctx).SetResult(same, func(any) { t.Error("discarded the value that stands") })
		paved.AttemptFrom(ctx).SetResult(same, func(any) { t.Error("discarded the value that stands") })
		return nil
	})
	require.NoError(t, err)
}
