package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/idempotency"
)

func newGuard(t *testing.T, opts ...idempotency.Option) (*idempotency.Guard, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	g, err := idempotency.New(append([]idempotency.Option{idempotency.WithClock(clk)}, opts...)...)
	require.NoError(t, err)
	return g, clk
}

func req(key string) idempotency.Request {
	return idempotency.Request{Scope: "tenant", Key: key, Fingerprint: "fp"}
}

// counted returns a run func that counts its runs and answers with the count.
func counted(n *atomic.Int32) func(context.Context) (*idempotency.Response, error) {
	return func(context.Context) (*idempotency.Response, error) {
		i := n.Add(1)
		return &idempotency.Response{Code: 201, Header: map[string][]string{"Location": {fmt.Sprint("/orders/", i)}}, Body: []byte(fmt.Sprint("order ", i))}, nil
	}
}

func TestGuardRunsOnceThenReplays(t *testing.T) {
	g, _ := newGuard(t)
	var n atomic.Int32
	ctx := context.Background()
	first, err := g.Do(ctx, req("k1"), counted(&n))
	require.NoError(t, err)
	assert.False(t, first.Replayed)
	assert.NoError(t, first.Unrecorded)
	for range 3 {
		again, err := g.Do(ctx, req("k1"), counted(&n))
		require.NoError(t, err)
		assert.True(t, again.Replayed)
		assert.Equal(t, first.Response, again.Response)
	}
	assert.EqualValues(t, 1, n.Load())
	other, err := g.Do(ctx, req("k2"), counted(&n))
	require.NoError(t, err)
	assert.Equal(t, []byte("order 2"), other.Response.Body)
}

func TestGuardConflictWhileInFlight(t *testing.T) {
	g, _ := newGuard(t)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan idempotency.Result)
	go func() {
		r, _ := g.Do(context.Background(), req("k"), func(context.Context) (*idempotency.Response, error) {
			close(started)
			<-release
			return &idempotency.Response{Code: 200, Body: []byte("first")}, nil
		})
		done <- r
	}()
	<-started
	_, err := g.Do(context.Background(), req("k"), func(context.Context) (*idempotency.Response, error) {
		t.Error("ran while the first was in flight")
		return nil, nil
	})
	require.ErrorIs(t, err, idempotency.ErrConflict)
	require.ErrorIs(t, err, paved.ErrRejected)
	close(release)
	<-done
	r, err := g.Do(context.Background(), req("k"), nil)
	require.NoError(t, err)
	assert.Equal(t, []byte("first"), r.Response.Body)
}

func TestGuardMismatch(t *testing.T) {
	g, _ := newGuard(t)
	var n atomic.Int32
	_, err := g.Do(context.Background(), req("k"), counted(&n))
	require.NoError(t, err)
	other := req("k")
	other.Fingerprint = "different body"
	_, err = g.Do(context.Background(), other, counted(&n))
	require.ErrorIs(t, err, idempotency.ErrMismatch)
	assert.Equal(t, paved.OutcomePermanent, paved.DefaultClassifier.Classify(err))
	assert.EqualValues(t, 1, n.Load())
}

func TestGuardKeys(t *testing.T) {
	g, _ := newGuard(t)
	_, err := g.Do(context.Background(), req(""), nil)
	require.ErrorIs(t, err, idempotency.ErrMissingKey)
	_, err = g.Do(context.Background(), req(string(make([]byte, 256))), nil)
	require.ErrorIs(t, err, idempotency.ErrInvalidKey)
	_, err = g.Do(context.Background(), req("tab\there"), nil)
	require.ErrorIs(t, err, idempotency.ErrInvalidKey)
}

// The same key from two callers is two requests: neither sees the other's
// response.
func TestGuardScopesByCaller(t *testing.T) {
	g, _ := newGuard(t)
	ctx := context.Background()
	run := func(who string) func(context.Context) (*idempotency.Response, error) {
		return func(context.Context) (*idempotency.Response, error) {
			return &idempotency.Response{Code: 200, Body: []byte("secret of " + who)}, nil
		}
	}
	a, err := g.Do(ctx, idempotency.Request{Scope: "alice", Key: "k", Fingerprint: "fp"}, run("alice"))
	require.NoError(t, err)
	b, err := g.Do(ctx, idempotency.Request{Scope: "bob", Key: "k", Fingerprint: "fp"}, run("bob"))
	require.NoError(t, err)
	assert.False(t, b.Replayed)
	assert.Equal(t, "secret of alice", string(a.Response.Body))
	assert.Equal(t, "secret of bob", string(b.Response.Body))
}

func TestGuardPanicReleasesKey(t *testing.T) {
	g, _ := newGuard(t)
	require.PanicsWithValue(t, "boom", func() {
		_, _ = g.Do(context.Background(), req("k"), func(context.Context) (*idempotency.Response, error) { panic("boom") })
	})
	var n atomic.Int32
	r, err := g.Do(context.Background(), req("k"), counted(&n))
	require.NoError(t, err)
	assert.False(t, r.Replayed, "the panicked request left no claim: the retry runs")
	assert.EqualValues(t, 1, n.Load())
}

func TestGuardErrorReleasesKey(t *testing.T) {
	g, _ := newGuard(t)
	boom := errors.New("not stored")
	_, err := g.Do(context.Background(), req("k"), func(context.Context) (*idempotency.Response, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	var n atomic.Int32
	_, err = g.Do(context.Background(), req("k"), counted(&n))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n.Load())
}

// A holder that died (claimed, never completed) keeps the key in flight
// until its lease expires; then the key runs again, and the old holder's
// late completion is refused.
func TestGuardLeaseExpiryAfterCrash(t *testing.T) {
	g, clk := newGuard(t, idempotency.WithLease(10*time.Second))
	ctx := context.Background()
	started, finish := make(chan struct{}), make(chan struct{})
	late := make(chan idempotency.Result)
	go func() { // the old holder: hangs past its lease, as a stalled process would
		r, err := g.Do(ctx, req("k"), func(context.Context) (*idempotency.Response, error) {
			close(started)
			<-finish
			return &idempotency.Response{Code: 200, Body: []byte("late")}, nil
		})
		assert.NoError(t, err)
		late <- r
	}()
	<-started
	_, err := g.Do(ctx, req("k"), nil)
	require.ErrorIs(t, err, idempotency.ErrConflict)
	clk.Advance(9 * time.Second)
	_, err = g.Do(ctx, req("k"), nil)
	require.ErrorIs(t, err, idempotency.ErrConflict, "lease not yet expired")
	clk.Advance(2 * time.Second)
	var n atomic.Int32
	second, err := g.Do(ctx, req("k"), counted(&n))
	require.NoError(t, err)
	assert.False(t, second.Replayed, "lease expired: claimed and run again")
	close(finish)
	old := <-late
	require.ErrorIs(t, old.Unrecorded, idempotency.ErrLeaseLost, "the old holder's completion is refused")
	assert.Equal(t, []byte("late"), old.Response.Body, "its caller still gets what ran")
	replay, err := g.Do(ctx, req("k"), nil)
	require.NoError(t, err)
	assert.Equal(t, second.Response, replay.Response, "the store kept the new holder's response")
}

func TestGuardOversizeBodyIsNotStoredAndNeverRerun(t *testing.T) {
	g, _ := newGuard(t, idempotency.WithMaxStoredBytes(10))
	var n atomic.Int32
	big := func(context.Context) (*idempotency.Response, error) {
		n.Add(1)
		return &idempotency.Response{Code: 201, Header: map[string][]string{"Location": {"/x"}}, Body: make([]byte, 11)}, nil
	}
	first, err := g.Do(context.Background(), req("k"), big)
	require.NoError(t, err)
	assert.Len(t, first.Response.Body, 11, "the first caller gets the whole body")
	replay, err := g.Do(context.Background(), req("k"), big)
	require.NoError(t, err)
	assert.True(t, replay.Replayed)
	assert.True(t, replay.Response.BodyOmitted)
	assert.EqualValues(t, 11, replay.Response.BodySize)
	assert.Equal(t, 201, replay.Response.Code)
	assert.Equal(t, []string{"/x"}, replay.Response.Header["Location"])
	assert.Empty(t, replay.Response.Body)
	assert.EqualValues(t, 1, n.Load())
}

// failingStore fails every call; hungStore blocks every call until its
// context is done.
type failingStore struct{ err error }

func (s failingStore) Claim(context.Context, idempotency.Claim) (idempotency.Record, error) {
	return idempotency.Record{}, s.err
}
func (s failingStore) Complete(context.Context, string, string, string, []byte, time.Duration) error {
	return s.err
}
func (s failingStore) Release(context.Context, string, string, string) error { return s.err }

type hungStore struct{}

func (hungStore) Claim(ctx context.Context, _ idempotency.Claim) (idempotency.Record, error) {
	<-ctx.Done()
	return idempotency.Record{}, ctx.Err()
}
func (hungStore) Complete(ctx context.Context, _, _, _ string, _ []byte, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}
func (hungStore) Release(ctx context.Context, _, _, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestGuardStoreDownFailsClosed(t *testing.T) {
	down := errors.New("dial tcp: connection refused")
	g, _ := newGuard(t, idempotency.WithStore(failingStore{down}))
	var n atomic.Int32
	_, err := g.Do(context.Background(), req("k"), counted(&n))
	require.ErrorIs(t, err, idempotency.ErrUnavailable)
	require.ErrorIs(t, err, paved.ErrRejected)
	require.ErrorIs(t, err, down)
	assert.EqualValues(t, 0, n.Load(), "fail closed: nothing ran")
}

func TestGuardStoreHungFailsClosedWithinTimeout(t *testing.T) {
	g, clk := newGuard(t, idempotency.WithStore(hungStore{}), idempotency.WithStoreTimeout(200*time.Millisecond))
	var n atomic.Int32
	errc := make(chan error)
	go func() {
		_, err := g.Do(context.Background(), req("k"), counted(&n))
		errc <- err
	}()
	clk.BlockUntil(1) // the claim's timeout is armed
	clk.Advance(200 * time.Millisecond)
	err := <-errc
	require.ErrorIs(t, err, idempotency.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 0, n.Load())
}

func TestGuardFailOpen(t *testing.T) {
	g, _ := newGuard(t, idempotency.WithStore(failingStore{errors.New("down")}), idempotency.WithFailOpen(true))
	var n atomic.Int32
	r, err := g.Do(context.Background(), req("k"), counted(&n))
	require.NoError(t, err)
	require.ErrorIs(t, r.Unrecorded, idempotency.ErrUnavailable)
	assert.EqualValues(t, 1, n.Load())
}

// A completion the store cannot record (it went down while the request
// ran) still answers with what ran.
func TestGuardCompleteFails(t *testing.T) {
	mem := idempotency.NewMemoryStore()
	s := &flakyComplete{MemoryStore: mem, err: errors.New("down")}
	g, _ := newGuard(t, idempotency.WithStore(s))
	var n atomic.Int32
	r, err := g.Do(context.Background(), req("k"), counted(&n))
	require.NoError(t, err)
	require.ErrorIs(t, r.Unrecorded, s.err)
	assert.Equal(t, 201, r.Response.Code)
}

type flakyComplete struct {
	*idempotency.MemoryStore
	err error
}

func (s *flakyComplete) Complete(context.Context, string, string, string, []byte, time.Duration) error {
	return s.err
}

// The caller giving up while claiming is no store failure.
func TestGuardCallerCanceled(t *testing.T) {
	g, _ := newGuard(t, idempotency.WithStore(hungStore{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.Do(ctx, req("k"), nil)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, idempotency.ErrUnavailable)
}

func TestGuardConcurrentDuplicates(t *testing.T) {
	g, _ := newGuard(t)
	var n atomic.Int32
	var wg sync.WaitGroup
	var replays, conflicts, runs atomic.Int32
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := g.Do(context.Background(), req("k"), counted(&n))
			switch {
			case errors.Is(err, idempotency.ErrConflict):
				conflicts.Add(1)
			case err != nil:
				t.Error(err)
			case r.Replayed:
				replays.Add(1)
				assert.Equal(t, []byte("order 1"), r.Response.Body)
			default:
				runs.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, n.Load())
	assert.EqualValues(t, 1, runs.Load())
	assert.EqualValues(t, 199, replays.Load()+conflicts.Load())
}

func TestGuardOptions(t *testing.T) {
	for _, tt := range []struct {
		opt  idempotency.Option
		want string
	}{
		{idempotency.WithLease(0), "Lease must be 1ms..24h, got 0s"},
		{idempotency.WithLease(25 * time.Hour), "Lease must be 1ms..24h, got 25h0m0s"},
		{idempotency.WithRetention(time.Second), "Retention must be Lease (1m0s)..8760h, got 1s"},
		{idempotency.WithRetention(8761 * time.Hour), "Retention must be Lease (1m0s)..8760h"},
		{idempotency.WithStoreTimeout(0), "StoreTimeout must be 1ms..1m, got 0s"},
		{idempotency.WithMaxStoredBytes(-1), "MaxStoredBytes must be 0..67108864, got -1"},
		{idempotency.WithMaxStoredBytes(64<<20 + 1), "MaxStoredBytes must be 0..67108864"},
	} {
		_, err := idempotency.New(tt.opt)
		require.ErrorContains(t, err, tt.want)
		require.Panics(t, func() { idempotency.MustNew(tt.opt) })
	}
	g := idempotency.MustNew(nil)
	assert.Equal(t, 24*time.Hour, g.Retention())
	assert.Equal(t, 1<<20, g.MaxStoredBytes())
}

func TestFingerprint(t *testing.T) {
	a := idempotency.Fingerprint([]byte("ab"), []byte("c"))
	b := idempotency.Fingerprint([]byte("a"), []byte("bc"))
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, idempotency.Fingerprint([]byte("ab"), []byte("c")))
	assert.Len(t, a, 64)
}
