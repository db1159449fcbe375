package policy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/ratelimit"
)

func TestClientBulkheadAndRateLimit(t *testing.T) {
	s := policyNew(t, `
dependencies:
  db:
    retry: {max_attempts: 1}
    bulkhead: {max_concurrent: 1}
  api:
    retry: {max_attempts: 1}
    rate_limit: {rate: 0.001, burst: 2, max_wait: 0s}
`)
	inside, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.Pipeline("db").Run(context.Background(), func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	err := s.Pipeline("db").Run(context.Background(), func(context.Context) error { return nil })
	assert.ErrorIs(t, err, bulkhead.ErrFull, "max_concurrent 1: the second call is refused")
	close(release)

	p := s.Pipeline("api")
	for range 2 {
		require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
	}
	assert.ErrorIs(t, p.Run(context.Background(), func(context.Context) error { return nil }), ratelimit.ErrLimited, "burst 2 spent")
	require.NoError(t, s.Reload([]byte(`
dependencies:
  api:
    timeout: {total: 9s}
    retry: {max_attempts: 1}
    rate_limit: {rate: 0.001, burst: 2, max_wait: 0s}
`)))
	assert.ErrorIs(t, p.Run(context.Background(), func(context.Context) error { return nil }), ratelimit.ErrLimited,
		"rate_limit unchanged by the reload: its spent tokens stay spent")

	for _, name := range []string{"db", "api"} {
		assert.NoError(t, paved.Check(policyMiddlewares(s, name)...))
	}
}

func TestServerAdmission(t *testing.T) {
	s := policyNew(t, `
server:
  caller_key: {header: X-Tenant}
  rate_limit: {rate: 0.001, burst: 2}
  load_shed: {}
  idempotency: {}
`)
	var runs atomic.Int64
	srv := httptest.NewServer(s.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := runs.Add(1)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "order "+string(rune('0'+n)))
	})))
	defer srv.Close()
	post := func(tenant, key string) (int, string, http.Header) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("X-Tenant", tenant)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, _ := post("acme", "k1")
	assert.Equal(t, http.StatusCreated, code)
	code, body2, h := post("acme", "k1")
	assert.Equal(t, http.StatusCreated, code)
	assert.Equal(t, body, body2, "the stored response is replayed")
	assert.Equal(t, "true", h.Get("Idempotent-Replayed"))
	assert.Equal(t, int64(1), runs.Load(), "a key runs once")

	code, _, h = post("acme", "k2")
	assert.Equal(t, http.StatusTooManyRequests, code, "acme's burst of 2 is spent")
	assert.NotEmpty(t, h.Get("Retry-After"))
	code, _, _ = post("globex", "k3")
	assert.Equal(t, http.StatusCreated, code, "the limit is per caller")
}

func policyNew(t *testing.T, yaml string) *policy.Set { return policy.New(mustParse(t, yaml)) }

func policyMiddlewares(s *policy.Set, name string) []paved.Middleware {
	return policy.Middlewares(s, name)
}

// The server's per-caller limiter keeps its counts across a reload that
// does not change it.
func TestServerLimiterKeptAcrossReload(t *testing.T) {
	const cfg = "server: {caller_key: {header: X-Tenant}, rate_limit: {rate: 0.001, burst: 1}%s}"
	s := policyNew(t, fmt.Sprintf(cfg, ""))
	srv := httptest.NewServer(s.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	get := func() int {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		req.Header.Set("X-Tenant", "acme")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get())
	assert.Equal(t, http.StatusTooManyRequests, get())
	require.NoError(t, s.Reload([]byte(fmt.Sprintf(cfg, ", deadline: {max: 5s}"))))
	assert.Equal(t, http.StatusTooManyRequests, get(), "rate_limit unchanged: acme's bucket is still empty")
	require.NoError(t, s.Reload([]byte("server: {caller_key: {header: X-Tenant}, rate_limit: {rate: 0.001, burst: 2}}")))
	assert.Equal(t, http.StatusOK, get(), "rate_limit changed: a new limiter")
}
