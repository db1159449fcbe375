package clock_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
)

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeNowAdvanceSet(t *testing.T) {
	f := clock.NewFake(epoch)
	assert.Equal(t, epoch, f.Now())
	f.Advance(time.Minute)
	assert.Equal(t, epoch.Add(time.Minute), f.Now())
	assert.Equal(t, time.Minute, f.Since(epoch))
	f.Set(epoch)
	assert.Equal(t, epoch, f.Now(), "Set may move time backward")
	assert.Panics(t, func() { f.Advance(-1) })
}

func TestFakeTimerFiresAtDueTime(t *testing.T) {
	f := clock.NewFake(epoch)
	tm := f.NewTimer(time.Second)
	assert.Equal(t, 1, f.Pending())

	f.Advance(time.Second - 1)
	select {
	case <-tm.C():
		t.Fatal("timer fired early")
	default:
	}
	f.Advance(time.Hour)
	assert.Equal(t, epoch.Add(time.Second), <-tm.C(), "the timer sends its due time")
	assert.Equal(t, epoch.Add(time.Hour+time.Second-1), f.Now())
	assert.Zero(t, f.Pending())
}

func TestFakeNonPositiveDurations(t *testing.T) {
	f := clock.NewFake(epoch)
	tm := f.NewTimer(0)
	assert.Equal(t, epoch, <-tm.C())

	ran := make(chan struct{})
	f.AfterFunc(-time.Second, func() { close(ran) })
	<-ran // in its own goroutine, as time.AfterFunc does
	assert.Zero(t, f.Pending())
}

func TestFakeFiresInTimeOrder(t *testing.T) {
	f := clock.NewFake(epoch)
	var got []time.Duration
	record := func() { got = append(got, f.Since(epoch)) }
	// Armed out of order, with a tie that must keep creation order.
	for _, d := range []time.Duration{3, 1, 2, 2, 5} {
		f.AfterFunc(d*time.Second, record)
	}
	tm := f.NewTimer(4 * time.Second)
	f.AfterFunc(10*time.Second, func() { t.Error("fired past the target") })

	f.Advance(5 * time.Second)
	assert.Equal(t, []time.Duration{1e9, 2e9, 2e9, 3e9, 5e9}, got, "Now is each timer's due time while it fires")
	assert.Equal(t, epoch.Add(4*time.Second), <-tm.C())
	assert.Equal(t, 1, f.Pending())
}

func TestFakeRearmingAfterFuncFiresWithinOneAdvance(t *testing.T) {
	f := clock.NewFake(epoch)
	var ticks []time.Time
	var tm clock.Timer
	tm = f.AfterFunc(time.Second, func() {
		ticks = append(ticks, f.Now())
		tm.Reset(time.Second) // a ticker built on AfterFunc
	})
	f.Advance(3500 * time.Millisecond)
	require.Len(t, ticks, 3)
	assert.Equal(t, epoch.Add(3*time.Second), ticks[2])
	assert.True(t, tm.Stop())
}

func TestFakeTimerStopReset(t *testing.T) {
	tests := []struct {
		name      string
		run       func(f *clock.Fake, tm clock.Timer) bool
		want      bool
		wantFired bool // whether a value is then received after advancing
	}{
		{"stop pending", func(_ *clock.Fake, tm clock.Timer) bool { return tm.Stop() }, true, false},
		{"stop twice", func(_ *clock.Fake, tm clock.Timer) bool { tm.Stop(); return tm.Stop() }, false, false},
		{"stop fired but unreceived drains", func(f *clock.Fake, tm clock.Timer) bool {
			f.Advance(time.Second)
			return tm.Stop()
		}, true, false},
		{"reset pending", func(_ *clock.Fake, tm clock.Timer) bool { return tm.Reset(2 * time.Second) }, true, true},
		{"reset stopped", func(_ *clock.Fake, tm clock.Timer) bool { tm.Stop(); return tm.Reset(2 * time.Second) }, false, true},
		{"reset fired drops stale value", func(f *clock.Fake, tm clock.Timer) bool {
			f.Advance(time.Second)
			return tm.Reset(2 * time.Second)
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clock.NewFake(epoch)
			tm := f.NewTimer(time.Second)
			assert.Equal(t, tt.want, tt.run(f, tm))
			start := f.Now()
			f.Advance(time.Second)
			select {
			case <-tm.C():
				t.Fatal("stale or early value received")
			default:
			}
			f.Advance(time.Second)
			select {
			case v := <-tm.C():
				assert.True(t, tt.wantFired, "unexpected fire")
				assert.Equal(t, start.Add(2*time.Second), v)
			default:
				assert.False(t, tt.wantFired, "timer did not fire")
			}
		})
	}
}

func TestFakeAfterFuncStop(t *testing.T) {
	f := clock.NewFake(epoch)
	tm := f.AfterFunc(time.Second, func() { t.Error("stopped func ran") })
	assert.Nil(t, tm.C())
	assert.True(t, tm.Stop())
	assert.False(t, tm.Stop())
	f.Advance(time.Hour)
}

func TestFakeSetBackwardKeepsDueTimes(t *testing.T) {
	f := clock.NewFake(epoch)
	tm := f.NewTimer(time.Minute)
	f.Set(epoch.Add(-time.Hour))
	f.Set(epoch.Add(time.Minute - 1))
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	f.Set(epoch.Add(time.Minute))
	assert.Equal(t, epoch.Add(time.Minute), <-tm.C())
}

func TestFakeBlockUntil(t *testing.T) {
	f := clock.NewFake(epoch)
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			assert.NoError(t, clock.Sleep(context.Background(), f, time.Duration(i+1)*time.Millisecond))
		})
	}
	f.BlockUntil(n)
	assert.Equal(t, n, f.Pending())
	f.Advance(n * time.Millisecond)
	wg.Wait()
	assert.Zero(t, f.Pending())
}

func TestFakeBlockUntilContext(t *testing.T) {
	f := clock.NewFake(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.BlockUntilContext(ctx, 1) }()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	f.NewTimer(time.Second)
	assert.NoError(t, f.BlockUntilContext(context.Background(), 1))
	assert.NoError(t, f.BlockUntilContext(context.Background(), 0))
}

// TestFakeConcurrent hammers one Fake from many goroutines arming, stopping
// and resetting timers while others advance it; the race detector and goleak
// do the checking.
func TestFakeConcurrent(t *testing.T) {
	f := clock.NewFake(epoch)
	const workers, rounds = 32, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				d := time.Duration(w*rounds+i) * time.Microsecond
				switch i % 4 {
				case 0:
					f.NewTimer(d).Stop()
				case 1:
					tm := f.NewTimer(d)
					tm.Reset(d / 2)
					tm.Stop()
				case 2:
					f.AfterFunc(d, func() { _ = f.Now() }).Stop()
				case 3:
					ctx, cancel := f.WithTimeout(context.Background(), d)
					_ = ctx.Err()
					cancel()
				}
				_ = f.Pending()
			}
		})
	}
	stop := make(chan struct{})
	advancer := make(chan struct{})
	go func() {
		defer close(advancer)
		for {
			select {
			case <-stop:
				return
			default:
				f.Advance(time.Microsecond)
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-advancer
	assert.Zero(t, f.Pending())
}

func TestBlockUntilPanicsInsteadOfHanging(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	f.SetBlockUntilLimit(20 * time.Millisecond)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "BlockUntil(1): only 0 pending") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	f.BlockUntil(1)
}
