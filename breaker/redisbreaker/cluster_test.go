package redisbreaker_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// newCluster starts a one-node Redis Cluster of the test's own on loopback
// (a real one: a single node still refuses a script whose keys are in two
// slots, with CROSSSLOT), gives it every slot, and returns a client for it.
// The server is killed when the test ends. It skips (fails when
// PAVED_REQUIRE_SERVICES=1) when redis-server is not on PATH.
func newCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, fmt.Sprintf("redis-server not on PATH, needed to start a Redis Cluster: %v", err))
	}
	dir := t.TempDir()
	port, bus := freePorts(t)
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logf.Close() })
	// --cluster-port: the bus port would be port+10000 otherwise, which may
	// be taken or past 65535.
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--cluster-port", strconv.Itoa(bus), "--dir", dir, "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	admin := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// waitUntil polls cond until it holds, the server exits or the deadline
	// passes: the server's state changes on its own, with nothing to wait on.
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for !cond() {
			select {
			case <-exited:
				log, _ := os.ReadFile(logf.Name())
				t.Fatalf("redis-server exited before %s:\n%s", what, log)
			case <-ctx.Done():
				log, _ := os.ReadFile(logf.Name())
				t.Fatalf("no %s within 10s:\n%s", what, log)
			case <-tick.C:
			}
		}
	}
	waitUntil("answer to PING", func() bool { return admin.Ping(ctx).Err() == nil })
	require.NoError(t, admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err())
	waitUntil("cluster_state:ok", func() bool {
		info, err := admin.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})

	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// freePorts returns two distinct free loopback ports.
func freePorts(t *testing.T) (int, int) {
	t.Helper()
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close() // held until both are chosen, so they differ
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1]
}

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
