// Package servicetest finds the real servers integration tests run against
// (Redis, PostgreSQL on loopback) and skips or fails a test without them:
// it skips with a clear message when the server is absent, and fails
// instead when PAVED_REQUIRE_SERVICES=1 (CI sets it), where a missing
// server is a broken setup. It also hands out names of a test's own, since
// packages run in parallel against one server.
package servicetest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// RedisAddr is the Redis tests use: PAVED_REDIS_ADDR, else 127.0.0.1:6379.
func RedisAddr() string {
	if a := os.Getenv("PAVED_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// PostgresURL is the PostgreSQL tests use: PAVED_POSTGRES_URL, else
// postgres://postgres@127.0.0.1:5432/test.
func PostgresURL() string {
	if u := os.Getenv("PAVED_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test"
}

// SkipOrFail skips the test for a missing service, or fails it when
// PAVED_REQUIRE_SERVICES=1.
func SkipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("PAVED_REQUIRE_SERVICES") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

var seq atomic.Uint64

// Prefix is a Redis key prefix of the test's own.
func Prefix(tb testing.TB) string {
	return fmt.Sprintf("paved-test:%s:%d:%d:", tb.Name(), time.Now().UnixNano(), seq.Add(1))
}

// Name is a PostgreSQL identifier of the test's own (a table or schema
// name): lower case, at most 63 bytes, unique per run.
func Name(tb testing.TB, prefix string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(tb.Name()) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	suffix := fmt.Sprintf("_%x_%d", time.Now().UnixNano()&0xffffffff, seq.Add(1))
	name := b.String()
	if max := 63 - len(prefix) - len(suffix); len(name) > max {
		name = name[:max]
	}
	return prefix + name + suffix
}

// HungServer accepts TCP connections on loopback and never answers, like a
// server that is up but stuck. Connections are closed when the test ends.
func HungServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					_ = c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	tb.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}

// DownAddr is a loopback address where nothing listens.
func DownAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
