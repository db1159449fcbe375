// Package redistest starts and finds the real Redis servers the tests of
// paved's Redis packages run against (breaker/redisbreaker,
// ratelimit/redisrate): the shared Redis of PAVED_REDIS_ADDR, a one-node
// Redis Cluster or a plain redis-server of a test's own on a free loopback
// port, and a server that accepts connections and never answers. Tests
// skip when a server is missing, and fail instead when
// PAVED_REQUIRE_SERVICES=1 (CI).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Addr is the shared Redis: PAVED_REDIS_ADDR, else 127.0.0.1:6379.
func Addr() string {
	if a := os.Getenv("PAVED_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// NewClient connects to the shared Redis, or skips (fails when
// PAVED_REQUIRE_SERVICES=1) when there is none. The client is closed when
// the test ends.
func NewClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		SkipOrFail(tb, fmt.Sprintf("redis not reachable at %s (set PAVED_REDIS_ADDR): %v", Addr(), err))
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// SkipOrFail skips the test for a missing service, or fails it when
// PAVED_REQUIRE_SERVICES=1 (CI), where a missing service is a broken setup.
func SkipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("PAVED_REQUIRE_SERVICES") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// Prefix is a key prefix of the test's own, because packages run in
// parallel against one Redis. It holds the test's name with braces
// replaced, so it never carries a Redis Cluster hash tag.
func Prefix(tb testing.TB) string {
	name := strings.NewReplacer("{", "(", "}", ")").Replace(tb.Name())
	return fmt.Sprintf("paved-test:%s:%d:", name, time.Now().UnixNano())
}

// FreePorts returns two distinct free loopback ports.
func FreePorts(tb testing.TB) (int, int) {
	tb.Helper()
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(tb, err)
		defer ln.Close() // held until both are chosen, so they differ
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1]
}

// Server is a redis-server process of a test's own on loopback.
type Server struct {
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
	mu     sync.Mutex
	paused bool
}

// StartServer starts a redis-server on a free loopback port with extra
// arguments, waits until it answers PING, and kills it when the test ends.
// It skips (fails when PAVED_REQUIRE_SERVICES=1) when redis-server is not on
// PATH.
func StartServer(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		SkipOrFail(tb, fmt.Sprintf("redis-server not on PATH: %v", err))
	}
	dir := tb.TempDir()
	port, _ := FreePorts(tb)
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = logf.Close() })
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines
	require.NoError(tb, cmd.Start())
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, exited: make(chan struct{}), log: logf.Name()}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	tb.Cleanup(s.Kill)

	admin := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialerRetries: 1})
	defer admin.Close()
	s.WaitUntil(tb, "answer to PING", func() bool { return admin.Ping(context.Background()).Err() == nil })
	return s
}

// WaitUntil polls cond until it holds, failing the test when the server
// exits or 10s pass first: the server's state changes on its own, with
// nothing to wait on.
func (s *Server) WaitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-s.exited:
			log, _ := os.ReadFile(s.log)
			tb.Fatalf("redis-server exited before %s:\n%s", what, log)
		case <-deadline:
			log, _ := os.ReadFile(s.log)
			tb.Fatalf("no %s within 10s:\n%s", what, log)
		case <-tick.C:
		}
	}
}

// Pause stops the server process (SIGSTOP): it keeps its connections and
// its port, and answers nothing — a hung Redis. Resume undoes it.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NoError(tb, s.cmd.Process.Signal(syscall.SIGSTOP))
	s.paused = true
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NoError(tb, s.cmd.Process.Signal(syscall.SIGCONT))
	s.paused = false
}

// Kill ends the server — Redis down — and waits for it to exit. Safe to
// call twice.
func (s *Server) Kill() {
	s.mu.Lock()
	if s.paused {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
		s.paused = false
	}
	s.mu.Unlock()
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// NewCluster starts a one-node Redis Cluster of the test's own on loopback
// (a real one: a single node still refuses a script whose keys are in two
// slots, with CROSSSLOT), gives it every slot, and returns a client for it.
// The server is killed when the test ends.
func NewCluster(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	_, bus := FreePorts(tb)
	// --cluster-port: the bus port would be port+10000 otherwise, which may
	// be taken or past 65535.
	s := StartServer(tb, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(tb.TempDir(), "nodes.conf"),
		"--cluster-port", strconv.Itoa(bus))
	admin := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialerRetries: 1})
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(tb, admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err())
	s.WaitUntil(tb, "cluster_state:ok", func() bool {
		info, err := admin.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{s.Addr}})
	tb.Cleanup(func() { _ = client.Close() })
	return client
}

// HungServer accepts TCP connections on loopback and never answers, like a
// Redis that is stuck before its first reply. It keeps every connection
// open until the test ends.
func HungServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	tb.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}
