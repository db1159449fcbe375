package stores_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/servicetest"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/ratelimit"
)

func prefix(t *testing.T) string {
	return "paved:test:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}

// Two replicas configured by one file share one rate limit toward a
// dependency through Redis: together they admit the burst, not twice it.
func TestFleetRateLimitSharedByReplicas(t *testing.T) {
	servicetest.Redis(t)
	yaml := fmt.Sprintf(`
dependencies:
  vendor:
    retry: { max_attempts: 1 }
    rate_limit: { rate: 0.01, burst: 3, store: 'redis://%s/0', key_prefix: '%s' }
`, servicetest.RedisAddr(), prefix(t))
	cfg, err := policy.Parse([]byte(yaml))
	require.NoError(t, err)
	a, b := policy.New(cfg), policy.New(cfg)
	defer func() { require.NoError(t, a.Close()) }()
	defer func() { require.NoError(t, b.Close()) }()
	var admitted, limited int
	for i := range 6 {
		set := a
		if i%2 == 1 {
			set = b
		}
		err := set.Pipeline("vendor").Run(context.Background(), func(context.Context) error { return nil })
		switch {
		case err == nil:
			admitted++
		case assert.ErrorIs(t, err, ratelimit.ErrLimited):
			limited++
		}
	}
	assert.Equal(t, 3, admitted, "the burst, shared by both replicas")
	assert.Equal(t, 3, limited)
}

// breakerLoops counts the running fleet breakers' sync goroutines.
func breakerLoops() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "redisbreaker.(*Breaker).loop(")
}

// eventually polls cond: a closed policy's goroutine ends on its own time.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

// A fleet breaker is kept, with its state, by a reload that does not change
// it, and closed (its sync goroutine and client) by one that replaces it.
func TestFleetBreakerReload(t *testing.T) {
	servicetest.Redis(t)
	before := breakerLoops()
	pre := prefix(t) // once: a new key_prefix is a new breaker
	file := func(attempt, period string) []byte {
		return []byte(fmt.Sprintf(`
dependencies:
  pay:
    timeout: { attempt: %s }
    breaker: { store: 'redis://%s/0', key_prefix: '%s', sync_period: %s }
`, attempt, servicetest.RedisAddr(), pre, period))
	}
	cfg, err := policy.Parse(file("1s", "50ms"))
	require.NoError(t, err)
	set := policy.New(cfg)
	p := set.Pipeline("pay")
	eventually(t, func() bool { return breakerLoops() == before+1 }, "the fleet breaker's sync runs")
	require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))

	require.NoError(t, set.Reload(file("2s", "50ms")), "the breaker's settings are the same")
	assert.Equal(t, before+1, breakerLoops(), "kept, not reopened")

	// A call in flight on the old generation keeps the old breaker open.
	started, finish := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		assert.NoError(t, p.Run(context.Background(), func(context.Context) error {
			close(started)
			<-finish
			return nil
		}))
	})
	<-started
	require.NoError(t, set.Reload(file("2s", "100ms")), "a new sync period: a new breaker")
	eventually(t, func() bool { return breakerLoops() == before+2 }, "the old one stays while a call runs on it, beside the new one")
	close(finish)
	wg.Wait()
	eventually(t, func() bool { return breakerLoops() == before+1 }, "the replaced breaker is closed once its call ended")

	require.NoError(t, set.Close())
	assert.Equal(t, before, breakerLoops())
}

// An idempotency store replaced by a reload stays open for the request in
// flight on it (its completion is stored, so the new store replays it), is
// closed after, and a reload that does not change it keeps it. Many
// requests run while reloads swap the store, under -race.
func TestReplacedStoreDrains(t *testing.T) {
	servicetest.Redis(t)
	url := "redis://" + servicetest.RedisAddr() + "/0"
	file := func(lease string) []byte {
		return []byte(fmt.Sprintf("server: {idempotency: {store: %q, lease: %s}}", url, lease))
	}
	cfg, err := policy.Parse(file("1m"))
	require.NoError(t, err)
	set := policy.New(cfg)
	defer func() { require.NoError(t, set.Close()) }()
	var runs atomic.Int64
	entered, finish := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(set.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			entered <- struct{}{}
			<-finish
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "order "+strconv.FormatInt(runs.Add(1), 10))
	})))
	defer srv.Close()
	base := t.Name() + strconv.FormatInt(time.Now().UnixNano(), 36)
	post := func(slow bool, key string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader("{}"))
		if slow {
			req.Header.Set("X-Slow", "1")
		}
		req.Header.Set("Idempotency-Key", `"`+key+`"`)
		resp, err := http.DefaultClient.Do(req)
		if !assert.NoError(t, err) {
			return 0, "", ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header.Get("Idempotent-Replayed")
	}

	var slow sync.WaitGroup
	var slowCode int
	var slowBody string
	slow.Go(func() { slowCode, slowBody, _ = post(true, base+"slow") })
	<-entered
	require.NoError(t, set.Reload(file("2m")), "a new lease: a new store")
	close(finish)
	slow.Wait()
	require.Equal(t, http.StatusCreated, slowCode, "the old store completed the request in flight on it")
	code, body, replayed := post(false, base+"slow")
	assert.Equal(t, http.StatusCreated, code)
	assert.Equal(t, slowBody, body)
	assert.Equal(t, "true", replayed, "the new store replays what the old one stored")

	// Requests under concurrent reloads: none fails.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			assert.NoError(t, set.Reload(file(strconv.Itoa(1+i%3)+"m")))
		}
	})
	var clients sync.WaitGroup
	for g := range 8 {
		clients.Go(func() {
			for i := range 20 {
				code, _, _ := post(false, base+strconv.Itoa(g)+"-"+strconv.Itoa(i))
				assert.Equal(t, http.StatusCreated, code)
			}
		})
	}
	clients.Wait()
	close(stop)
	wg.Wait()
}

// A dependency's fleet-wide limit and the server's per-caller one keep
// separate buckets in one Redis, even under one key_prefix: dependency
// "acme" and tenant "acme" do not share a quota.
func TestClientAndServerLimitsKeepSeparateKeys(t *testing.T) {
	servicetest.Redis(t)
	yaml := fmt.Sprintf(`
dependencies:
  acme:
    retry: { max_attempts: 1 }
    rate_limit: { rate: 0.01, burst: 1, store: 'redis://%[1]s/0', key_prefix: '%[2]s' }
server:
  rate_limit: { rate: 0.01, burst: 1, store: 'redis://%[1]s/0', key_prefix: '%[2]s' }
`, servicetest.RedisAddr(), prefix(t))
	cfg, err := policy.Parse([]byte(yaml))
	require.NoError(t, err)
	s := policy.New(cfg)
	defer func() { require.NoError(t, s.Close()) }()
	ok := func(context.Context) error { return nil }
	require.NoError(t, s.Pipeline("acme").Run(context.Background(), ok), "the dependency's one token")
	require.ErrorIs(t, s.Pipeline("acme").Run(context.Background(), ok), ratelimit.ErrLimited)

	tenant := paved.WithCallInfo(context.Background(), paved.CallInfo{Key: "acme"})
	require.NoError(t, s.ServerPipeline().Run(tenant, ok), "the tenant's own token, not the dependency's")
	require.ErrorIs(t, s.ServerPipeline().Run(tenant, ok), ratelimit.ErrLimited)
}
