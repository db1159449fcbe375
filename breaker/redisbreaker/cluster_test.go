package redisbreaker_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/stretchr/testify/require"
)

// Whatever the name, a breaker's two keys share one hash tag, so its syncs
// succeed on a Redis Cluster: names that gave an empty tag ("{}") failed
// every sync with CROSSSLOT.
func TestClusterAnyName(t *testing.T) {
	client := newCluster(t)
	// Not prefix(t) of the subtest: its name holds the breaker's, braces
	// and all, and a prefix with "{}" is rejected.
	pfx := prefix(t)
	for i, name := range []string{"", "}", "}x", "a}b", "payments", "%", "%7D", "{", "{}", "a{b}c"} {
		t.Run(strconv.Quote(name), func(t *testing.T) {
			synced := make(chan redisbreaker.SyncResult, 1)
			b, err := redisbreaker.New(client, name, redisbreaker.WithKeyPrefix(pfx+strconv.Itoa(i)+":"),
				redisbreaker.WithSyncPeriod(20*time.Millisecond), latestSync(synced))
			require.NoError(t, err)
			defer b.Close()
			require.NoError(t, paved.New("p", b).Run(context.Background(), okOp))
			for written := false; !written; {
				select {
				case r := <-synced:
					require.NoError(t, r.Err)
					written = r.Total > 0
				case <-time.After(5 * time.Second):
					t.Fatal("no sync that wrote the call")
				}
			}
		})
	}
}

// Two instances of a breaker with an odd name, each seeing too few failures
// to trip alone, trip together through the cluster.
func TestClusterFleetOpensTogether(t *testing.T) {
	client := newCluster(t)
	pfx := prefix(t)
	synced := make(chan redisbreaker.SyncResult, 1)
	var bs []*redisbreaker.Breaker
	for range 2 {
		b, err := redisbreaker.New(client, "}x", redisbreaker.WithKeyPrefix(pfx),
			redisbreaker.WithSyncPeriod(20*time.Millisecond), latestSync(synced),
			redisbreaker.WithBreakerOptions(breaker.WithMinCalls(10), breaker.WithFailureRatio(0.5)))
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		bs = append(bs, b)
	}
	for _, b := range bs {
		p := paved.New("p", b)
		for range 5 {
			require.ErrorIs(t, p.Run(context.Background(), failOp), errDown)
		}
		require.Equal(t, breaker.StateClosed, b.State(), "5 failures are below each instance's min calls")
	}
	timeout := time.After(5 * time.Second)
	for bs[0].State() != breaker.StateOpen || bs[1].State() != breaker.StateOpen {
		select {
		case r := <-synced:
			require.NoError(t, r.Err)
		case <-timeout:
			t.Fatalf("instances not open after 5s: %v %v", bs[0].State(), bs[1].State())
		}
	}
}
