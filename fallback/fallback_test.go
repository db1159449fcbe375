package fallback_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/fallback"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
	"github.com/paved-go/paved/timeout"
)

var errDown = errors.New("dependency down")

func fastRetry(n int) *retry.Retry {
	return retry.MustNew(retry.WithMaxAttempts(n), retry.WithBackoff(time.Microsecond, time.Microsecond), retry.WithoutBudget())
}

func TestDoValue(t *testing.T) {
	log, tel := telemetrytest.New()
	p := paved.New("prices", paved.WithTelemetry(tel), fallback.MustNew(fallback.Value(42)), fastRetry(3))
	attempts := 0
	v, err := paved.Do(context.Background(), p, func(context.Context) (int, error) {
		attempts++
		return 7, errDown // a value with an error: never the answer
	})
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	assert.Equal(t, 3, attempts, "the fallback answers once the retry gave up")
	evs := log.Events(telemetry.EventFallback)
	require.Len(t, evs, 1)
	assert.Equal(t, "fallback", evs[0].Attrs[telemetry.AttrPolicy])
	assert.Equal(t, "transient", evs[0].Attrs[telemetry.AttrOutcome])
	assert.Equal(t, "*errors.errorString", evs[0].Attrs[telemetry.AttrErrorType], "the last attempt's error type, as retry reports it")
	assert.Equal(t, "3", evs[0].Attrs[telemetry.AttrAttempt], "the attempts the call made before it fell back")
}

func TestSuccessUntouched(t *testing.T) {
	called := false
	p := paved.New("prices", fallback.MustNew(func(context.Context, error) (any, error) { called = true; return 0, nil }))
	v, err := paved.Do(context.Background(), p, func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	assert.False(t, called)
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		opts    []fallback.Option
		handled bool
	}{
		{"transient", paved.Transient(errDown), nil, true},
		{"overload", paved.Mark(errDown, paved.OutcomeOverload), nil, true},
		{"fault", paved.Mark(errDown, paved.OutcomeFault), nil, true},
		{"rejected", paved.NewRejection(errDown, 0), nil, true},
		{"deadline", context.DeadlineExceeded, nil, true},
		{"permanent by default", paved.Permanent(errDown), nil, false},
		{"canceled by default", context.Canceled, nil, false},
		{"permanent when asked", paved.Permanent(errDown), []fallback.Option{fallback.WithOutcomes(paved.OutcomePermanent)}, true},
		{"only fault", paved.Transient(errDown), []fallback.Option{fallback.WithOutcomes(paved.OutcomeFault)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paved.New("p", fallback.MustNew(fallback.Value("stale"), tt.opts...))
			v, err := paved.Do(context.Background(), p, func(context.Context) (string, error) { return "", tt.err })
			if tt.handled {
				require.NoError(t, err)
				assert.Equal(t, "stale", v)
			} else {
				require.ErrorIs(t, err, tt.err, "the original error passes through")
				assert.Empty(t, v)
			}
		})
	}
}

func TestHandles(t *testing.T) {
	f := fallback.MustNew(fallback.Value(1))
	for _, o := range fallback.DefaultOutcomes {
		assert.True(t, f.Handles(o), o.String())
	}
	assert.False(t, f.Handles(paved.OutcomePermanent))
	assert.False(t, f.Handles(paved.OutcomeCanceled))
	assert.False(t, f.Handles(paved.OutcomeSuccess))
	assert.Equal(t, "fallback(transient, overload, fault, rejected)", f.String())
}

// A breaker that is open refuses the call; the fallback answers the refusal.
func TestBreakerOpen(t *testing.T) {
	b := breaker.MustNew("inventory")
	b.ForceOpen()
	p := paved.New("inventory", fallback.MustNew(fallback.Value([]string{"cached"})), fastRetry(3), b)
	ran := false
	v, err := paved.Do(context.Background(), p, func(context.Context) ([]string, error) { ran = true; return nil, nil })
	require.NoError(t, err)
	assert.Equal(t, []string{"cached"}, v)
	assert.False(t, ran)
}

// A total timeout is a failure the fallback answers: outermost, it sees the
// deadline's error.
func TestTotalTimeout(t *testing.T) {
	p := paved.New("slow", fallback.MustNew(fallback.Value("default")), timeout.MustNew(5*time.Millisecond))
	v, err := paved.Do(context.Background(), p, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	require.NoError(t, err)
	assert.Equal(t, "default", v)
}

func TestFuncError(t *testing.T) {
	errNoCopy := errors.New("no cached copy")
	var got error
	p := paved.New("p", fallback.MustNew(func(_ context.Context, err error) (any, error) {
		got = err
		return nil, errNoCopy
	}))
	_, err := paved.Do(context.Background(), p, func(context.Context) (int, error) { return 0, errDown })
	require.ErrorIs(t, err, errNoCopy, "the Func's error fails the call")
	assert.ErrorIs(t, got, errDown, "the Func saw the failure")
}

func TestFuncOf(t *testing.T) {
	p := paved.New("p", fallback.MustNew(fallback.FuncOf(func(_ context.Context, err error) (string, error) {
		return "degraded: " + err.Error(), nil
	})))
	v, err := paved.Do(context.Background(), p, func(context.Context) (string, error) { return "", errDown })
	require.NoError(t, err)
	assert.Equal(t, "degraded: dependency down", v)
}

// A substitute of another type than Do's T is a programmer error: Do says
// so, and never turns the failure into T's zero value with a nil error.
// fallback.Value(42) is an int, whatever Do's integer type.
func TestWrongType(t *testing.T) {
	p := paved.New("p", fallback.MustNew(fallback.Value(42)))
	v, err := paved.Do(context.Background(), p, func(context.Context) (int64, error) { return 0, errDown })
	var rte *paved.ResultTypeError
	require.ErrorAs(t, err, &rte)
	assert.EqualError(t, err, `paved: pipeline "p": the call's result is int, Do wants int64 (a substitute, such as a fallback's value, must be of Do's type)`)
	assert.Equal(t, paved.OutcomeFault, paved.DefaultClassifier.Classify(err))
	assert.Equal(t, "result_type", telemetry.ErrorType(err))
	assert.Zero(t, v)

	type prices map[string]int
	q := paved.New("q", fallback.MustNew(fallback.Value(map[string]int{"a": 1})))
	_, err = paved.Do(context.Background(), q, func(context.Context) (prices, error) { return nil, errDown })
	require.ErrorAs(t, err, &rte, "a named type is another type")

	r := paved.New("r", fallback.MustNew(fallback.Value[error](nil)))
	_, err = paved.Do(context.Background(), r, func(context.Context) (*int, error) { return nil, errDown })
	require.NoError(t, err, "a nil substitute is any pointer's zero value")
	_, err = paved.Do(context.Background(), r, func(context.Context) (int, error) { return 0, errDown })
	require.ErrorAs(t, err, &rte, "an int cannot be nil")
	assert.Contains(t, err.Error(), "the call's result is nil, Do wants int")

	// A fallback that fails the call leaves its error and value alone.
	f := paved.New("f", fallback.MustNew(func(context.Context, error) (any, error) { return nil, errDown }))
	_, err = paved.Do(context.Background(), f, func(context.Context) (int, error) { return 0, errors.New("first") })
	require.ErrorIs(t, err, errDown)
}

func TestReleaseWhenNobodyTakes(t *testing.T) {
	var released atomic.Int32
	p := paved.New("p", fallback.MustNew(fallback.Value("x"), fallback.WithRelease(func(any) { released.Add(1) })))
	require.NoError(t, p.Run(context.Background(), func(context.Context) error { return errDown }))
	assert.Equal(t, int32(1), released.Load())
}

func TestOutsidePipeline(t *testing.T) {
	op := fallback.MustNew(fallback.Value(1)).Wrap(func(context.Context) error { return errDown })
	assert.ErrorIs(t, op(context.Background()), errDown, "no call to answer: the error stands")
}

func TestPanicPropagates(t *testing.T) {
	p := paved.New("p", fallback.MustNew(fallback.Value(1)))
	assert.PanicsWithValue(t, "boom", func() {
		_ = p.Run(context.Background(), func(context.Context) error { panic("boom") })
	})
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		fn   fallback.Func
		opts []fallback.Option
		want string
	}{
		{"nil func", nil, nil, "fallback: Func must not be nil"},
		{"nil typed func", fallback.FuncOf[int](nil), nil, "fallback: Func must not be nil"},
		{"no outcomes", fallback.Value(1), []fallback.Option{fallback.WithOutcomes()},
			"fallback: Outcomes must name at least one failure outcome (transient, overload, fault, permanent, canceled, rejected), got none"},
		{"success", fallback.Value(1), []fallback.Option{fallback.WithOutcomes(paved.OutcomeSuccess, paved.OutcomeFault)},
			"fallback: Outcomes must be failure outcomes (transient, overload, fault, permanent, canceled, rejected), got success"},
		{"unknown", fallback.Value(1), []fallback.Option{fallback.WithOutcomes(paved.Outcome(99))},
			"fallback: Outcomes must be failure outcomes (transient, overload, fault, permanent, canceled, rejected), got Outcome(99)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fallback.New(tt.fn, tt.opts...)
			require.EqualError(t, err, tt.want)
			assert.Panics(t, func() { fallback.MustNew(tt.fn, tt.opts...) })
		})
	}
	_, err := fallback.New(fallback.Value(1), nil)
	require.NoError(t, err, "a nil option is skipped")
}

// Under hedging, attempts run at once and late ones land after the call
// ends; the substitute stands, every attempt's result is freed, and the
// race detector sees no shared write.
func TestUnderHedge(t *testing.T) {
	var recorded, freed atomic.Int32
	p := paved.New("hedged", fallback.MustNew(fallback.Value("fallback")),
		hedge.MustNew(hedge.WithDelay(time.Millisecond), hedge.WithMaxHedges(2), hedge.WithoutBudget()))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				v, err := paved.Do(context.Background(), p, func(ctx context.Context) (string, error) {
					recorded.Add(1)
					paved.AttemptFrom(ctx).SetResult("partial", func(any) { freed.Add(1) })
					time.Sleep(2 * time.Millisecond)
					return "", errDown
				})
				assert.NoError(t, err)
				assert.Equal(t, "fallback", v)
			}
		})
	}
	wg.Wait()
	require.Eventually(t, func() bool { return freed.Load() == recorded.Load() }, 5*time.Second, time.Millisecond,
		"every attempt's result is freed (%d of %d)", freed.Load(), recorded.Load())
}
