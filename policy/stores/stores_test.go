package stores_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/servicetest"
	"github.com/paved-go/paved/policy"
	_ "github.com/paved-go/paved/policy/stores"
)

// Two replicas configured by one file with a shared store URL run a keyed
// request once between them: the second replays the first's response.
func TestStoreURLSharedByReplicas(t *testing.T) {
	redisURL := "redis://" + servicetest.RedisAddr() + "/0"
	servicetest.Redis(t) // skips, or fails under PAVED_REQUIRE_SERVICES=1, without a Redis
	pgURL := servicetest.PostgresURL()
	if c, err := pgx.Connect(context.Background(), pgURL); err != nil {
		servicetest.SkipOrFail(t, "no PostgreSQL at "+pgURL+": "+err.Error())
	} else {
		_ = c.Close(context.Background())
	}
	for _, url := range []string{redisURL, pgURL} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			cfg, err := policy.Parse([]byte(fmt.Sprintf("server: {idempotency: {store: %q}}", url)))
			require.NoError(t, err)
			var runs atomic.Int64
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "order "+strconv.FormatInt(runs.Add(1), 10))
			})
			sa, sb := policy.New(cfg), policy.New(cfg)
			defer func() { require.NoError(t, sa.Close()) }()
			defer func() { require.NoError(t, sb.Close()) }()
			a := httptest.NewServer(sa.Handler(handler))
			defer a.Close()
			b := httptest.NewServer(sb.Handler(handler))
			defer b.Close()
			key := t.Name() + strconv.FormatInt(time.Now().UnixNano(), 36)
			post := func(base string) (int, string, string) {
				req, _ := http.NewRequest(http.MethodPost, base+"/orders", strings.NewReader("{}"))
				req.Header.Set("Idempotency-Key", `"`+key+`"`)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body), resp.Header.Get("Idempotent-Replayed")
			}
			code, body, _ := post(a.URL)
			assert.Equal(t, http.StatusCreated, code)
			code, body2, replayed := post(b.URL)
			assert.Equal(t, http.StatusCreated, code)
			assert.Equal(t, body, body2)
			assert.Equal(t, "true", replayed, "the other replica replays the stored response")
			assert.Equal(t, int64(1), runs.Load())
		})
	}
}

// A store that cannot be opened fails closed: 503, and the handler never
// runs.
func TestUnreachableStoreFailsClosed(t *testing.T) {
	cfg, err := policy.Parse([]byte(fmt.Sprintf("server: {idempotency: {store: %q, store_timeout: 200ms}}", "redis://"+servicetest.DownAddr(t)+"/0")))
	require.NoError(t, err)
	var runs atomic.Int64
	srv := httptest.NewServer(policy.New(cfg).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runs.Add(1) })))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader("{}"))
	req.Header.Set("Idempotency-Key", `"k1"`)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Zero(t, runs.Load())
}
