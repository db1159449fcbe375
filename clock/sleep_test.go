package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
)

func TestSleep(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"zero does not wait", context.Background(), 0, nil},
		{"negative does not wait", context.Background(), -time.Second, nil},
		{"canceled context wins", canceled, time.Hour, context.Canceled},
		{"canceled context wins over zero", canceled, 0, context.Canceled},
		{"short real sleep", context.Background(), time.Millisecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, clock.Sleep(tt.ctx, clock.Real(), tt.d))
		})
	}
}

func TestSleepFake(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- clock.Sleep(context.Background(), f, time.Second) }()

	f.BlockUntil(1)
	f.Advance(time.Second - 1)
	select {
	case err := <-done:
		t.Fatalf("Sleep returned early: %v", err)
	default:
	}
	f.Advance(1)
	require.NoError(t, <-done)
	assert.Zero(t, f.Pending())
}

func TestSleepCanceledStopsTimer(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- clock.Sleep(ctx, f, time.Hour) }()

	f.BlockUntil(1)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Zero(t, f.Pending(), "Sleep must stop its timer")
}

func TestSleepFakeDeadline(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	ctx, cancel := f.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- clock.Sleep(ctx, f, time.Hour) }()

	f.BlockUntil(2) // the deadline and the sleep
	f.Advance(time.Second)
	require.ErrorIs(t, <-done, context.DeadlineExceeded)
	assert.Zero(t, f.Pending())
}
