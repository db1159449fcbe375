package timeout_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
	"github.com/paved-go/paved/timeout"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func TestNewValidates(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		_, err := timeout.New(d)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "timeout: duration must be > 0")
	}
	assert.Panics(t, func() { timeout.MustNew(0) })
	assert.Equal(t, time.Second, timeout.MustNew(time.Second).Duration())
	_, err := timeout.New(time.Second, nil)
	assert.NoError(t, err, "a nil option is skipped")
}

func TestErrTimeoutIdentity(t *testing.T) {
	assert.ErrorIs(t, timeout.ErrTimeout, context.DeadlineExceeded)
	assert.NotErrorIs(t, context.DeadlineExceeded, timeout.ErrTimeout)
}

// blockingOp waits for its context and returns its error, after telling the
// test it started.
func blockingOp(started chan<- context.Context) paved.Op {
	return func(ctx context.Context) error {
		started <- ctx
		<-ctx.Done()
		return ctx.Err()
	}
}

func TestOwnDeadlineFires(t *testing.T) {
	fake := clock.NewFake(epoch)
	events, tel := telemetrytest.New()
	p := paved.New("t", paved.WithTelemetry(tel), timeout.MustNew(time.Second, timeout.WithClock(fake)))
	started := make(chan context.Context, 1)
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), blockingOp(started)) }()
	ctx := <-started
	dl, ok := ctx.Deadline()
	require.True(t, ok)
	assert.Equal(t, epoch.Add(time.Second), dl)

	fake.Advance(time.Second)
	err := <-done
	require.Error(t, err)
	assert.ErrorIs(t, err, timeout.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, paved.OutcomeTransient, paved.DefaultClassifier.Classify(err))
	ev := events.Events(telemetry.EventTimeout)
	require.Len(t, ev, 1)
	assert.Equal(t, "timeout", ev[0].Attrs[telemetry.AttrPolicy])
	assert.Equal(t, 0, fake.Pending())
}

func TestParentDeadlineSoonerCostsNothing(t *testing.T) {
	fake := clock.NewFake(epoch)
	parent, cancel := fake.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var got context.Context
	op := timeout.MustNew(time.Minute, timeout.WithClock(fake)).Wrap(func(ctx context.Context) error {
		got = ctx
		return nil
	})
	require.NoError(t, op(parent))
	assert.Same(t, parent, got, "the parent context is passed through")

	allocs := testing.AllocsPerRun(100, func() { _ = op(parent) })
	assert.Zero(t, allocs)
}

func TestParentEndsCallErrorUnchanged(t *testing.T) {
	tests := []struct {
		name string
		end  func(fake *clock.Fake, cancel context.CancelFunc)
		want error
	}{
		{"parent deadline", func(f *clock.Fake, _ context.CancelFunc) { f.Advance(time.Second) }, context.DeadlineExceeded},
		{"parent canceled", func(_ *clock.Fake, cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := clock.NewFake(epoch)
			events, tel := telemetrytest.New()
			// The parent's deadline is the sooner one: the timeout passes
			// the parent through and must not claim its expiry.
			parent, cancel := fake.WithTimeout(context.Background(), time.Second)
			defer cancel()
			p := paved.New("t", paved.WithTelemetry(tel), timeout.MustNew(2*time.Second, timeout.WithClock(fake)))
			started := make(chan context.Context, 1)
			done := make(chan error, 1)
			go func() { done <- p.Run(parent, blockingOp(started)) }()
			<-started
			tt.end(fake, cancel)
			err := <-done
			assert.Equal(t, tt.want, err, "the parent's error, unchanged")
			assert.NotErrorIs(t, err, timeout.ErrTimeout)
			assert.Zero(t, events.Count(telemetry.EventTimeout))
		})
	}
}

func TestParentCanceledBeforeOwnDeadline(t *testing.T) {
	fake := clock.NewFake(epoch)
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := paved.New("t", timeout.MustNew(time.Second, timeout.WithClock(fake)))
	started := make(chan context.Context, 1)
	done := make(chan error, 1)
	go func() { done <- p.Run(parent, blockingOp(started)) }()
	<-started
	cancel()
	assert.Equal(t, context.Canceled, <-done)
}

func TestNeverExtendsParentDeadline(t *testing.T) {
	fake := clock.NewFake(epoch)
	parent, cancel := fake.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var dl time.Time
	op := timeout.MustNew(time.Second, timeout.WithClock(fake)).Wrap(func(ctx context.Context) error {
		dl, _ = ctx.Deadline()
		return nil
	})
	require.NoError(t, op(parent))
	assert.Equal(t, epoch.Add(time.Second), dl, "the sooner of the two")

	op = timeout.MustNew(time.Hour, timeout.WithClock(fake)).Wrap(func(ctx context.Context) error {
		dl, _ = ctx.Deadline()
		return nil
	})
	require.NoError(t, op(parent))
	assert.Equal(t, epoch.Add(2*time.Second), dl)
}

func TestSuccessWinsAfterDeadline(t *testing.T) {
	fake := clock.NewFake(epoch)
	op := timeout.MustNew(time.Second, timeout.WithClock(fake)).Wrap(func(ctx context.Context) error {
		fake.Advance(2 * time.Second)
		require.Error(t, ctx.Err())
		return nil
	})
	assert.NoError(t, op(context.Background()))
}

// An answer that lands just after the deadline, but was not caused by it,
// keeps its own outcome: a Permanent 400 must not become a Transient timeout
// (retried, counted by breakers); a transport's deadline error still does.
func TestErrorAfterDeadline(t *testing.T) {
	errBadRequest := paved.Permanent(errors.New("400"))
	errRefused := paved.NewRejection(errors.New("full"), 0)
	errTransport := errors.New("connection reset") // unknown: Transient
	tests := []struct {
		name    string
		err     error
		timeout bool
	}{
		{"permanent", errBadRequest, false},
		{"rejected", errRefused, false},
		{"fault", paved.Mark(errors.New("bug"), paved.OutcomeFault), false},
		{"deadline", context.DeadlineExceeded, true},
		{"wrapped deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"canceled", context.Canceled, true},
		{"transient", errTransport, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := clock.NewFake(epoch)
			events, tel := telemetrytest.New()
			p := paved.New("t", paved.WithTelemetry(tel), timeout.MustNew(time.Second, timeout.WithClock(fake)))
			err := p.Run(context.Background(), func(ctx context.Context) error {
				fake.Advance(time.Second)
				<-ctx.Done()
				return tt.err
			})
			if tt.timeout {
				assert.ErrorIs(t, err, timeout.ErrTimeout)
				assert.Equal(t, 1, events.Count(telemetry.EventTimeout))
				return
			}
			assert.Same(t, tt.err, err)
			assert.Zero(t, events.Count(telemetry.EventTimeout))
		})
	}
}

func TestOpErrorBeforeDeadlineUnchanged(t *testing.T) {
	boom := errors.New("boom")
	op := timeout.MustNew(time.Second, timeout.WithClock(clock.NewFake(epoch))).Wrap(func(context.Context) error { return boom })
	assert.Same(t, boom, op(context.Background()))
}

// A kept result (an HTTP response whose body is still read) keeps its
// attempt's context alive until the owner releases it.
func TestHoldKeepsContextUntilRelease(t *testing.T) {
	fake := clock.NewFake(epoch)
	p := paved.New("t", timeout.MustNew(time.Second, timeout.WithClock(fake)))
	var actx context.Context
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		actx = ctx
		paved.AttemptFrom(ctx).SetResult("body", func(any) {})
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, actx.Err(), "alive while the result is held")
	call.Final().Release()
	assert.ErrorIs(t, actx.Err(), context.Canceled)
	assert.Equal(t, 0, fake.Pending())
}

func TestNoResultCancelsAtOnce(t *testing.T) {
	fake := clock.NewFake(epoch)
	var actx context.Context
	_, err := paved.Do(context.Background(), paved.New("t", timeout.MustNew(time.Second, timeout.WithClock(fake))),
		func(ctx context.Context) (int, error) { actx = ctx; return 1, nil })
	require.NoError(t, err)
	assert.ErrorIs(t, actx.Err(), context.Canceled)
	assert.Equal(t, 0, fake.Pending())
}
