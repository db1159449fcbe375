package policy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/policy"
)

// A fallback section serves the last good copy of a GET when the
// dependency fails, through the Set's HTTP client; a reload turning it off
// applies to the client already handed out.
func TestStaleFallbackFromConfig(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "prices v1")
	}))
	defer srv.Close()
	cfg, err := policy.Parse([]byte("dependencies: {catalog: {retry: {max_attempts: 1}, breaker: {enabled: false}, fallback: {stale: {max_age: 1h}}}}"))
	require.NoError(t, err)
	set := policy.New(cfg)
	client := set.HTTPClient("catalog")
	get := func() (int, string) {
		resp, err := client.Get(srv.URL + "/prices")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get()
	require.Equal(t, http.StatusOK, code)
	down.Store(true)
	code, body2 := get()
	assert.Equal(t, http.StatusOK, code, "the stale copy answers the 503")
	assert.Equal(t, body, body2)

	require.NoError(t, set.Reload([]byte("dependencies: {catalog: {retry: {max_attempts: 1}, breaker: {enabled: false}}}")))
	code, _ = get()
	assert.Equal(t, http.StatusServiceUnavailable, code, "no fallback section: the failure stands")
}

// A chaos section injects its faults only with enabled: true, seeded; the
// Pipeline's calls fail with chaos.ErrInjected.
func TestChaosFromConfig(t *testing.T) {
	run := func(yaml string) (injected int) {
		cfg, err := policy.Parse([]byte(yaml))
		require.NoError(t, err)
		p := policy.New(cfg).Pipeline("d")
		for range 200 {
			if err := p.Run(context.Background(), func(context.Context) error { return nil }); errors.Is(err, chaos.ErrInjected) {
				injected++
			} else {
				require.NoError(t, err)
			}
		}
		return injected
	}
	const faults = "retry: {max_attempts: 1}, breaker: {enabled: false}, chaos: {rate: 0.5, seed: 42, faults: [{error: fault}]"
	assert.Zero(t, run("dependencies: {d: {"+faults+"}}}"), "a chaos section alone injects nothing")
	n := run("dependencies: {d: {" + faults + ", enabled: true}}}")
	assert.InDelta(t, 100, n, 30, "about half the calls")
	assert.Equal(t, n, run("dependencies: {d: {"+faults+", enabled: true}}}"), "the same seed, the same picks")
}
