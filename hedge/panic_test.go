package hedge_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

//go:noinline
func panickingOp(context.Context) error { panic("boom") }

// The deciding panic reaches the caller with its value unchanged, and the
// attempt's own stack, which the re-raised panic no longer shows, is logged.
func TestPanicStackLogged(t *testing.T) {
	logs, tel := telemetrytest.NewText()
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(clock.NewFake(epoch))))
	assert.PanicsWithValue(t, "boom", func() { _ = p.Run(context.Background(), panickingOp) })
	assert.Contains(t, logs.String(), "hedge: attempt panicked")
	assert.Contains(t, logs.String(), "hedge_test.panickingOp", "the attempt's stack")
}

// An attempt that calls runtime.Goexit and decides the call ends the caller's
// goroutine, as it would unhedged, rather than panicking with nil.
func TestGoexitEndsCaller(t *testing.T) {
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(clock.NewFake(epoch))))
	returned := make(chan bool, 1)
	var recovered any
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		defer func() { recovered = recover() }()
		_ = p.Run(context.Background(), func(context.Context) error { runtime.Goexit(); return nil })
		returned <- true
	}()
	<-exited
	assert.Empty(t, returned, "Run did not return")
	assert.Nil(t, recovered, "nor panic")
}

// A loser that panics after the call was decided crashes the program, from
// its own goroutine and with its own stack, rather than vanishing. The crash
// is observed in a child process running this test.
func TestLatePanicCrashes(t *testing.T) {
	if os.Getenv("HEDGE_LATE_PANIC") == "1" {
		latePanic()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLatePanicCrashes$")
	cmd.Env = append(os.Environ(), "HEDGE_LATE_PANIC=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child must crash; output:\n%s", out)
	assert.Contains(t, string(out), "panic: late boom")
	assert.Contains(t, string(out), "hedge_test.lateLoser", "the loser's own stack")
}

//go:noinline
func lateLoser(ctx context.Context, panicking chan<- struct{}) error {
	<-ctx.Done()
	close(panicking)
	panic("late boom")
}

// latePanic runs a hedged call whose first attempt loses and panics once
// canceled, after the call returned. It returns only if that panic vanished.
func latePanic() {
	fake := clock.NewFake(epoch)
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(10*time.Millisecond), hedge.WithClock(fake)))
	started := make(chan struct{})
	panicking := make(chan struct{})
	go func() {
		<-started
		fake.BlockUntil(1)
		fake.Advance(10 * time.Millisecond)
	}()
	err := p.Run(context.Background(), func(ctx context.Context) error {
		if paved.AttemptFrom(ctx).Number() == 1 {
			close(started)
			return lateLoser(ctx, panicking)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	<-panicking
	// The crash comes from the loser's goroutine; this bound only ends the
	// child when the panic was (wrongly) dropped.
	<-time.After(10 * time.Second)
}

// logSignal is a slog.Handler that reports each record's message on a channel.
type logSignal struct{ msgs chan string }

func (logSignal) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (l logSignal) Handle(_ context.Context, r slog.Record) error {
	l.msgs <- r.Message
	return nil
}
func (l logSignal) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logSignal) WithGroup(string) slog.Handler      { return l }

// When two attempts panic, the first is raised in the caller and the second,
// arriving later, is logged: a caller that recovered (as net/http does)
// must not be killed by a second crash from the same call.
func TestSecondPanicIsLoggedNotRaised(t *testing.T) {
	fake := clock.NewFake(epoch)
	logs := logSignal{msgs: make(chan string, 4)}
	tel := telemetry.New(telemetry.WithLogger(slog.New(logs)))
	p := paved.New("t", paved.WithTelemetry(tel), hedge.MustNew(hedge.WithDelay(10*time.Millisecond), hedge.WithClock(fake), hedge.WithoutBudget()))
	started := make(chan struct{})
	releaseFirst := make(chan struct{})
	go func() {
		<-started
		fake.BlockUntil(1)
		fake.Advance(10 * time.Millisecond)
	}()
	assert.PanicsWithValue(t, "second", func() {
		_ = p.Run(context.Background(), func(ctx context.Context) error {
			if paved.AttemptFrom(ctx).Number() == 1 {
				close(started)
				<-releaseFirst
				panic("first")
			}
			panic("second")
		})
	})
	assert.Equal(t, "hedge: attempt panicked; raising it in the caller", <-logs.msgs)
	close(releaseFirst)
	assert.Equal(t, "hedge: another attempt of a call that panicked also panicked", <-logs.msgs,
		"the later panic is logged; had it been raised, this test binary would have crashed")
}
