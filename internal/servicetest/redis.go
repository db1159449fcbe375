package servicetest

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

	"github.com/redis/go-redis/v9"
)

// Redis connects to the real Redis (RedisAddr), or skips (fails when
// PAVED_REQUIRE_SERVICES=1) when there is none. The client is closed when
// the test ends.
func Redis(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		SkipOrFail(tb, fmt.Sprintf("redis not reachable at %s (set PAVED_REDIS_ADDR): %v", RedisAddr(), err))
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// RedisCluster starts a one-node Redis Cluster of the test's own on
// loopback (a real one: a single node still refuses a script whose keys
// are in two slots, with CROSSSLOT), gives it every slot, and returns a
// client for it. The server is killed when the test ends. It skips (fails
// when PAVED_REQUIRE_SERVICES=1) when redis-server is not on PATH.
func RedisCluster(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		SkipOrFail(tb, fmt.Sprintf("redis-server not on PATH, needed to start a Redis Cluster: %v", err))
	}
	dir := tb.TempDir()
	port, bus := freePorts(tb)
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = logf.Close() })
	// --cluster-port: the bus port would be port+10000 otherwise, which may
	// be taken or past 65535.
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--cluster-port", strconv.Itoa(bus), "--dir", dir, "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	admin := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// waitUntil polls cond until it holds, the server exits or the deadline
	// passes: the server's state changes on its own, with nothing to wait on.
	waitUntil := func(what string, cond func() bool) {
		tb.Helper()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for !cond() {
			select {
			case <-exited:
				log, _ := os.ReadFile(logf.Name())
				tb.Fatalf("redis-server exited before %s:\n%s", what, log)
			case <-ctx.Done():
				log, _ := os.ReadFile(logf.Name())
				tb.Fatalf("no %s within 10s:\n%s", what, log)
			case <-tick.C:
			}
		}
	}
	waitUntil("answer to PING", func() bool { return admin.Ping(ctx).Err() == nil })
	if err := admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err(); err != nil {
		tb.Fatal(err)
	}
	waitUntil("cluster_state:ok", func() bool {
		info, err := admin.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	tb.Cleanup(func() { _ = client.Close() })
	return client
}

// freePorts returns two distinct free loopback ports.
func freePorts(tb testing.TB) (int, int) {
	tb.Helper()
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer ln.Close() // held until both are chosen, so they differ
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1]
}
