// Package storetest is the conformance suite every idempotency.Store runs:
// the memory store, redisstore and pgstore pass the same tests, so a Guard
// behaves the same whichever store it is given. A store of your own should
// run it too:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New:  func(t *testing.T) idempotency.Store { return newStore(t) },
//			Wait: func(t *testing.T, d time.Duration) { time.Sleep(d) },
//		})
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/idempotency"
)

// Harness says how to make and age the store under test.
type Harness struct {
	// New returns an empty store of the test's own: stores on a shared
	// server use a key prefix or table per test.
	New func(t *testing.T) idempotency.Store
	// Wait lets d pass for the store's clock: advance a fake clock, or
	// sleep for a store whose server measures time itself.
	Wait func(t *testing.T, d time.Duration)
	// Lease is the lease (and retention) the expiry tests use: long enough
	// that a claim and a check fit in it on a loaded machine, short enough
	// to wait out. Default 300ms.
	Lease time.Duration
}

// Run runs the conformance suite against h's store, each test a subtest.
func Run(t *testing.T, h Harness) {
	if h.Lease == 0 {
		h.Lease = 300 * time.Millisecond
	}
	tests := []struct {
		name string
		f    func(*testing.T, Harness)
	}{
		{"ClaimFreeKey", testClaimFree},
		{"ClaimInFlight", testClaimInFlight},
		{"CompleteThenReplay", testCompleteReplay},
		{"CompleteWrongToken", testCompleteWrongToken},
		{"CompleteTwice", testCompleteTwice},
		{"Release", testRelease},
		{"ReleaseWrongToken", testReleaseWrongToken},
		{"LeaseExpiry", testLeaseExpiry},
		{"LateCompletionUnclaimed", testLateCompletionUnclaimed},
		{"RetentionExpiry", testRetentionExpiry},
		{"Scopes", testScopes},
		{"Keys", testKeys},
		{"Results", testResults},
		{"ConcurrentClaims", testConcurrentClaims},
		{"CanceledContext", testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, h) })
	}
}

const hour = time.Hour

func claim(scope, key, token string) idempotency.Claim {
	return idempotency.Claim{Scope: scope, Key: key, Fingerprint: "fp-" + key, Token: token, Lease: hour}
}

func mustClaim(t *testing.T, s idempotency.Store, c idempotency.Claim) idempotency.Record {
	t.Helper()
	r, err := s.Claim(context.Background(), c)
	require.NoError(t, err)
	return r
}

func testClaimFree(t *testing.T, h Harness) {
	s := h.New(t)
	r := mustClaim(t, s, claim("tenant", "k1", "t1"))
	assert.Equal(t, idempotency.StateClaimed, r.State)
}

func testClaimInFlight(t *testing.T, h Harness) {
	s := h.New(t)
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	c := claim("tenant", "k1", "t2")
	c.Fingerprint = "other"
	r := mustClaim(t, s, c)
	assert.Equal(t, idempotency.StateInFlight, r.State)
	assert.Equal(t, "fp-k1", r.Fingerprint, "the first claim's fingerprint, unchanged by the second")
	assert.Empty(t, r.Result)
}

func testCompleteReplay(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	require.NoError(t, s.Complete(ctx, "tenant", "k1", "t1", []byte("response"), hour))
	for range 2 {
		r := mustClaim(t, s, claim("tenant", "k1", "t2"))
		assert.Equal(t, idempotency.StateDone, r.State)
		assert.Equal(t, "fp-k1", r.Fingerprint)
		assert.Equal(t, []byte("response"), r.Result)
	}
}

func testCompleteWrongToken(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	err := s.Complete(ctx, "tenant", "k1", "t2", []byte("forged"), hour)
	require.ErrorIs(t, err, idempotency.ErrLeaseLost)
	err = s.Complete(ctx, "tenant", "absent", "t1", []byte("x"), hour)
	require.ErrorIs(t, err, idempotency.ErrLeaseLost, "no record at all")
	r := mustClaim(t, s, claim("tenant", "k1", "t3"))
	assert.Equal(t, idempotency.StateInFlight, r.State, "a refused completion changes nothing")
}

func testCompleteTwice(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	require.NoError(t, s.Complete(ctx, "tenant", "k1", "t1", []byte("first"), hour))
	require.ErrorIs(t, s.Complete(ctx, "tenant", "k1", "t1", []byte("second"), hour), idempotency.ErrLeaseLost)
	require.ErrorIs(t, s.Release(ctx, "tenant", "k1", "t1"), idempotency.ErrLeaseLost, "a done record cannot be released")
	r := mustClaim(t, s, claim("tenant", "k1", "t2"))
	assert.Equal(t, []byte("first"), r.Result)
}

func testRelease(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	require.NoError(t, s.Release(ctx, "tenant", "k1", "t1"))
	c := claim("tenant", "k1", "t2")
	c.Fingerprint = "new"
	assert.Equal(t, idempotency.StateClaimed, mustClaim(t, s, c).State, "released: free at once")
	require.ErrorIs(t, s.Complete(ctx, "tenant", "k1", "t1", []byte("late"), hour), idempotency.ErrLeaseLost)
	require.NoError(t, s.Complete(ctx, "tenant", "k1", "t2", []byte("second"), hour))
	r := mustClaim(t, s, claim("tenant", "k1", "t3"))
	assert.Equal(t, "new", r.Fingerprint)
	assert.Equal(t, []byte("second"), r.Result)
}

func testReleaseWrongToken(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	require.ErrorIs(t, s.Release(ctx, "tenant", "k1", "t2"), idempotency.ErrLeaseLost)
	require.ErrorIs(t, s.Release(ctx, "tenant", "absent", "t1"), idempotency.ErrLeaseLost)
	assert.Equal(t, idempotency.StateInFlight, mustClaim(t, s, claim("tenant", "k1", "t3")).State)
}

// A holder that crashed leaves its claim until the lease expires; then the
// key is claimed anew and the old holder's completion is refused.
func testLeaseExpiry(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	c := claim("tenant", "k1", "t1")
	c.Lease = h.Lease
	mustClaim(t, s, c)
	assert.Equal(t, idempotency.StateInFlight, mustClaim(t, s, claim("tenant", "k1", "t2")).State, "within the lease")
	h.Wait(t, 2*h.Lease)
	c2 := claim("tenant", "k1", "t3")
	c2.Fingerprint = "second"
	assert.Equal(t, idempotency.StateClaimed, mustClaim(t, s, c2).State, "after the lease")
	require.ErrorIs(t, s.Complete(ctx, "tenant", "k1", "t1", []byte("late"), hour), idempotency.ErrLeaseLost)
	require.ErrorIs(t, s.Release(ctx, "tenant", "k1", "t1"), idempotency.ErrLeaseLost)
	require.NoError(t, s.Complete(ctx, "tenant", "k1", "t3", []byte("new holder"), hour))
	r := mustClaim(t, s, claim("tenant", "k1", "t4"))
	assert.Equal(t, idempotency.StateDone, r.State)
	assert.Equal(t, "second", r.Fingerprint)
	assert.Equal(t, []byte("new holder"), r.Result)
}

// A holder whose lease expired cannot complete even if nobody claimed the
// key since: a claim may be about to.
func testLateCompletionUnclaimed(t *testing.T, h Harness) {
	s := h.New(t)
	c := claim("tenant", "k1", "t1")
	c.Lease = h.Lease
	mustClaim(t, s, c)
	h.Wait(t, 2*h.Lease)
	require.ErrorIs(t, s.Complete(context.Background(), "tenant", "k1", "t1", []byte("late"), hour), idempotency.ErrLeaseLost)
	assert.Equal(t, idempotency.StateClaimed, mustClaim(t, s, claim("tenant", "k1", "t2")).State)
}

func testRetentionExpiry(t *testing.T, h Harness) {
	s := h.New(t)
	mustClaim(t, s, claim("tenant", "k1", "t1"))
	require.NoError(t, s.Complete(context.Background(), "tenant", "k1", "t1", []byte("r"), h.Lease))
	assert.Equal(t, idempotency.StateDone, mustClaim(t, s, claim("tenant", "k1", "t2")).State)
	h.Wait(t, 2*h.Lease)
	assert.Equal(t, idempotency.StateClaimed, mustClaim(t, s, claim("tenant", "k1", "t3")).State, "past retention")
}

// One caller's key never reaches another caller's record, however the
// scope and key split a string.
func testScopes(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	pairs := [][2]string{{"a", "b:c"}, {"a:b", "c"}, {"", "a:b:c"}, {"a:b:c", "x"}, {"a", "bc"}, {"ab", "c"}, {"A", "bc"}, {"a\x00b", "c"}}
	for i, p := range pairs {
		c := idempotency.Claim{Scope: p[0], Key: p[1], Fingerprint: "fp", Token: fmt.Sprint("t", i), Lease: hour}
		require.Equal(t, idempotency.StateClaimed, mustClaim(t, s, c).State, "scope %q key %q", p[0], p[1])
		require.NoError(t, s.Complete(ctx, p[0], p[1], c.Token, []byte(p[0]+"|"+p[1]), hour))
	}
	for _, p := range pairs {
		r := mustClaim(t, s, idempotency.Claim{Scope: p[0], Key: p[1], Fingerprint: "fp", Token: "again", Lease: hour})
		assert.Equal(t, []byte(p[0]+"|"+p[1]), r.Result, "scope %q key %q", p[0], p[1])
	}
}

// Keys of every printable character and the longest length are kept apart
// and whole.
func testKeys(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	var printable strings.Builder
	for c := byte(0x20); c <= 0x7E; c++ {
		printable.WriteByte(c)
	}
	keys := []string{
		printable.String(),
		strings.Repeat("k", idempotency.MaxKeyLength),
		strings.Repeat("k", idempotency.MaxKeyLength-1) + "l",
		"{tag}", "}{", "%s%d", `"quoted"`, `back\slash`, " leading", "trailing ", "*", "?",
		"8e03978e-40d5-43e8-bc93-6894a57f9324",
	}
	for i, k := range keys {
		c := idempotency.Claim{Scope: "s", Key: k, Fingerprint: "fp" + k, Token: fmt.Sprint("t", i), Lease: hour}
		require.Equal(t, idempotency.StateClaimed, mustClaim(t, s, c).State, "key %q", k)
		require.NoError(t, s.Complete(ctx, "s", k, c.Token, []byte(k), hour))
	}
	for _, k := range keys {
		r := mustClaim(t, s, idempotency.Claim{Scope: "s", Key: k, Fingerprint: "x", Token: "again", Lease: hour})
		assert.Equal(t, "fp"+k, r.Fingerprint, "key %q", k)
		assert.Equal(t, []byte(k), r.Result, "key %q", k)
	}
}

// Results are bytes: every byte value, empty, and large.
func testResults(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 1<<20+64)
	for i := range big {
		big[i] = byte(i * 7)
	}
	results := map[string][]byte{"all-bytes": all, "empty": {}, "big": big, "nul": {0}}
	for k, v := range results {
		mustClaim(t, s, claim("s", k, "t"))
		require.NoError(t, s.Complete(ctx, "s", k, "t", v, hour))
	}
	for k, v := range results {
		r := mustClaim(t, s, claim("s", k, "again"))
		require.Equal(t, idempotency.StateDone, r.State, k)
		if len(v) == 0 {
			assert.Empty(t, r.Result, k)
			continue
		}
		assert.True(t, string(v) == string(r.Result), "result %s differs (len %d, want %d)", k, len(r.Result), len(v))
	}
}

// Of many concurrent claims of one free key, exactly one is granted, and
// every other sees it in flight with the winner's fingerprint.
func testConcurrentClaims(t *testing.T, h Harness) {
	s := h.New(t)
	const n = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	states := map[idempotency.State]int{}
	fps := map[string]int{}
	winner := ""
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := idempotency.Claim{Scope: "s", Key: "race", Fingerprint: fmt.Sprint("fp", i), Token: fmt.Sprint("t", i), Lease: hour}
			r, err := s.Claim(context.Background(), c)
			mu.Lock()
			defer mu.Unlock()
			if !assert.NoError(t, err) {
				return
			}
			states[r.State]++
			if r.State == idempotency.StateClaimed {
				winner = c.Fingerprint
			} else {
				fps[r.Fingerprint]++
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1, states[idempotency.StateClaimed], "states %v", states)
	assert.Equal(t, n-1, states[idempotency.StateInFlight])
	assert.Equal(t, map[string]int{winner: n - 1}, fps)
}

func testCanceled(t *testing.T, h Harness) {
	s := h.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Claim(ctx, claim("s", "k", "t"))
	require.Error(t, err)
	require.True(t, errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "cancel"), "got %v", err)
	require.Error(t, s.Complete(ctx, "s", "k", "t", nil, hour))
	require.Error(t, s.Release(ctx, "s", "k", "t"))
	// Nothing was claimed by the canceled call.
	assert.Equal(t, idempotency.StateClaimed, mustClaim(t, s, claim("s", "k", "t2")).State)
}
