package pavedhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// orders is a handler whose side effect is counted per key: it creates an
// order, answering 201 with its number, a Location and a cookie.
type orders struct {
	n    atomic.Int32
	runs sync.Map // body -> *atomic.Int32
}

func (o *orders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	i := o.n.Add(1)
	c, _ := o.runs.LoadOrStore(string(body), new(atomic.Int32))
	c.(*atomic.Int32).Add(1)
	w.Header().Set("Location", fmt.Sprint("/orders/", i))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", fmt.Sprintf(`"v%d"`, i))
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret"})
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"order":%d,"body":%q}`, i, body)
}

func guardServer(t *testing.T, g *idempotency.Guard, next http.Handler, opts ...pavedhttp.IdempotencyOption) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(pavedhttp.NewIdempotencyHandler(g, next, opts...))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handler panics are logged by net/http
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

type reply struct {
	status int
	header http.Header
	body   string
}

func post(t *testing.T, url, key, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func problemOf(t *testing.T, r reply) map[string]any {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), "body %s", r.body)
	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &p))
	require.EqualValues(t, r.status, p["status"])
	return p
}

func TestIdempotencyHandlerReplays(t *testing.T) {
	o := &orders{}
	srv := guardServer(t, idempotency.MustNew(), o)
	first := post(t, srv.URL, `"k1"`, "widget")
	require.Equal(t, http.StatusCreated, first.status)
	assert.Empty(t, first.header.Get("Idempotent-Replayed"))
	assert.NotEmpty(t, first.header.Get("Set-Cookie"), "the first caller gets every header")
	for _, key := range []string{`"k1"`, `k1`, ` "k1" `} { // the quoted and bare forms are one key
		again := post(t, srv.URL, key, "widget")
		assert.Equal(t, first.status, again.status)
		assert.Equal(t, first.body, again.body)
		assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
		assert.Equal(t, first.header.Get("Location"), again.header.Get("Location"))
		assert.Equal(t, "application/json", again.header.Get("Content-Type"))
		assert.Equal(t, `"v1"`, again.header.Get("ETag"), "every default field is replayed, ETag (canonically Etag) too")
		assert.Empty(t, again.header.Get("Set-Cookie"), "cookies are never stored")
	}
	assert.EqualValues(t, 1, o.n.Load())
	other := post(t, srv.URL, "k2", "widget")
	assert.Contains(t, other.body, `"order":2`)
}

func TestIdempotencyHandlerConflictWhileInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.WriteHeader(http.StatusAccepted)
	})
	srv := guardServer(t, idempotency.MustNew(), slow)
	done := make(chan reply)
	go func() { done <- post(t, srv.URL, "k", "x") }()
	<-started
	r := post(t, srv.URL, "k", "x")
	require.Equal(t, http.StatusConflict, r.status)
	assert.Contains(t, problemOf(t, r)["detail"], "still being processed")
	close(release)
	assert.Equal(t, http.StatusAccepted, (<-done).status)
	assert.Equal(t, http.StatusAccepted, post(t, srv.URL, "k", "x").status)
}

func TestIdempotencyHandlerMismatch(t *testing.T) {
	o := &orders{}
	srv := guardServer(t, idempotency.MustNew(), o)
	require.Equal(t, http.StatusCreated, post(t, srv.URL, "k", "widget").status)
	r := post(t, srv.URL, "k", "gadget")
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	problemOf(t, r)
	r = post(t, srv.URL+"/elsewhere", "k", "widget")
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "another path is another request")
	assert.EqualValues(t, 1, o.n.Load())
}

func TestIdempotencyHandlerKeys(t *testing.T) {
	o := &orders{}
	g := idempotency.MustNew()
	srv := guardServer(t, g, o)
	required := guardServer(t, g, o, pavedhttp.WithKeyRequired(true))

	r := post(t, required.URL, "", "x")
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, problemOf(t, r)["detail"], "needs an Idempotency-Key")

	long := strings.Repeat("k", 256)
	for _, tt := range []struct {
		name, key, rule string
	}{
		{"oversize", long, "longer than 255"},
		{"oversize quoted", `"` + long + `"`, "longer than 255"},
		{"non-ASCII", "caf\u00e9", "printable ASCII"},
		{"unterminated", `"abc`, "closing quote"},
		{"empty quoted", `""`, "empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, srv.URL, tt.key, "x")
			require.Equal(t, http.StatusBadRequest, r.status)
			detail := problemOf(t, r)["detail"].(string)
			assert.Contains(t, detail, tt.rule)
			if k := strings.Trim(tt.key, `"`); k != "" {
				assert.NotContains(t, detail, k, "the key is never echoed")
			}
		})
	}
	r = post(t, srv.URL, "a", "x", "Idempotency-Key", "b")
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, problemOf(t, r)["detail"], "more than one")
	assert.EqualValues(t, 0, o.n.Load(), "no malformed request ran")

	require.Equal(t, http.StatusCreated, post(t, srv.URL, strings.Repeat("k", 255), "x").status, "255 characters is the limit")
	// Without a key and not required: unguarded, so it runs each time.
	post(t, srv.URL, "", "x")
	post(t, srv.URL, "", "x")
	assert.EqualValues(t, 3, o.n.Load())
}

func TestIdempotencyHandlerPassesOtherMethods(t *testing.T) {
	o := &orders{}
	srv := guardServer(t, idempotency.MustNew(), o)
	for range 2 {
		req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("x"))
		req.Header.Set("Idempotency-Key", "k")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.EqualValues(t, 2, o.n.Load(), "PUT is idempotent already: not guarded")
}

// One caller can never read another's stored response, even with the same
// key: keys are scoped by the caller key of NewHandler's WithKeyFunc.
func TestIdempotencyHandlerScopedByCaller(t *testing.T) {
	o := &orders{}
	h := pavedhttp.NewHandler(paved.New("server"), pavedhttp.NewIdempotencyHandler(idempotency.MustNew(), o),
		pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	alice := post(t, srv.URL, "shared-key", "x", "X-Tenant", "alice")
	bob := post(t, srv.URL, "shared-key", "x", "X-Tenant", "bob")
	assert.Empty(t, bob.header.Get("Idempotent-Replayed"))
	assert.NotEqual(t, alice.body, bob.body)
	assert.EqualValues(t, 2, o.n.Load())
	again := post(t, srv.URL, "shared-key", "x", "X-Tenant", "alice")
	assert.Equal(t, alice.body, again.body)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
}

func TestIdempotencyHandlerOversizeResponse(t *testing.T) {
	var runs atomic.Int32
	big := strings.Repeat("b", 100)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.Header().Set("Location", "/reports/1")
		w.WriteHeader(http.StatusCreated)
		for range 10 {
			_, _ = io.WriteString(w, big[:10])
		}
	})
	srv := guardServer(t, idempotency.MustNew(idempotency.WithMaxStoredBytes(64)), h)
	first := post(t, srv.URL, "k", "x")
	require.Equal(t, http.StatusCreated, first.status)
	assert.Equal(t, big, first.body, "the first caller gets the whole body")
	again := post(t, srv.URL, "k", "x")
	require.Equal(t, http.StatusCreated, again.status)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, "/reports/1", again.header.Get("Location"))
	assert.Contains(t, problemOf(t, again)["detail"], "100-byte body")
	assert.EqualValues(t, 1, runs.Load(), "never run twice because of its size")
}

func TestIdempotencyHandlerFlushStreamsAndStores(t *testing.T) {
	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		_, _ = io.WriteString(w, "part1 ")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part2")
	})
	srv := guardServer(t, idempotency.MustNew(), h)
	assert.Equal(t, "part1 part2", post(t, srv.URL, "k", "x").body)
	again := post(t, srv.URL, "k", "x")
	assert.Equal(t, "part1 part2", again.body)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.EqualValues(t, 1, runs.Load())
}

func TestIdempotencyHandlerPanicReleasesKey(t *testing.T) {
	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if runs.Add(1) == 1 {
			panic("boom")
		}
		w.WriteHeader(http.StatusCreated)
	})
	srv := guardServer(t, idempotency.MustNew(), h)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("x"))
	req.Header.Set("Idempotency-Key", "k")
	_, err := http.DefaultClient.Do(req)
	require.Error(t, err, "net/http drops the connection of a panicked handler")
	assert.Equal(t, http.StatusCreated, post(t, srv.URL, "k", "x").status, "the retry runs")
	assert.Equal(t, http.StatusCreated, post(t, srv.URL, "k", "x").status)
	assert.EqualValues(t, 2, runs.Load())
}

func TestIdempotencyHandlerRequestBodyLimit(t *testing.T) {
	o := &orders{}
	srv := guardServer(t, idempotency.MustNew(), o, pavedhttp.WithMaxRequestBody(4))
	r := post(t, srv.URL, "k", "12345")
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status)
	problemOf(t, r)
	assert.Equal(t, http.StatusCreated, post(t, srv.URL, "k", "1234").status)
	require.Panics(t, func() { pavedhttp.WithMaxRequestBody(0) })
}

type downStore struct{}

func (downStore) Claim(context.Context, idempotency.Claim) (idempotency.Record, error) {
	return idempotency.Record{}, errors.New("dial tcp 10.0.0.7:6379: connection refused")
}
func (downStore) Complete(context.Context, string, string, string, []byte, time.Duration) error {
	return errors.New("down")
}
func (downStore) Release(context.Context, string, string, string) error { return errors.New("down") }

type hangingStore struct{ downStore }

func (hangingStore) Claim(ctx context.Context, _ idempotency.Claim) (idempotency.Record, error) {
	<-ctx.Done()
	return idempotency.Record{}, ctx.Err()
}

func TestIdempotencyHandlerStoreDownOrHungFailsClosed(t *testing.T) {
	for name, store := range map[string]idempotency.Store{"down": downStore{}, "hung": hangingStore{}} {
		t.Run(name, func(t *testing.T) {
			o := &orders{}
			srv := guardServer(t, idempotency.MustNew(idempotency.WithStore(store), idempotency.WithStoreTimeout(50*time.Millisecond)), o)
			start := time.Now()
			r := post(t, srv.URL, "k", "x")
			require.Equal(t, http.StatusServiceUnavailable, r.status)
			assert.Less(t, time.Since(start), 5*time.Second, "bounded by the store timeout")
			p := problemOf(t, r)
			assert.NotContains(t, p["detail"], "10.0.0.7", "the store's error stays out of the answer")
			assert.EqualValues(t, 0, o.n.Load(), "nothing ran")
		})
	}
}

// The client side: a keyless POST through a Transport WithIdempotencyKeys
// gets a key, every attempt reuses it, and the server runs it once.
func TestTransportAddsIdempotencyKey(t *testing.T) {
	var keys []string
	var mu sync.Mutex
	o := &orders{}
	guarded := pavedhttp.NewIdempotencyHandler(idempotency.MustNew(), o)
	lost := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		first := lost == 0
		lost++
		mu.Unlock()
		if first { // the first response is lost on the way back: the order was made
			guarded.ServeHTTP(httptest.NewRecorder(), r)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		guarded.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	var info paved.CallInfo
	p := paved.New("orders", observeInfo(&info), retry(3))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, nil, pavedhttp.WithIdempotencyKeys())}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("widget"))
	resp, err := client.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	assert.Contains(t, string(body), `"order":1`)
	assert.EqualValues(t, 1, o.n.Load(), "run once, though sent twice")
	require.Len(t, keys, 2)
	assert.Equal(t, keys[0], keys[1], "the retry reuses the key")
	k, err := idempotency.ParseHeader(keys[0])
	require.NoError(t, err)
	assert.Len(t, k, 36, "a UUID")
	assert.True(t, strings.HasPrefix(keys[0], `"`), "sent as a structured-field String")
	assert.Empty(t, req.Header.Get("Idempotency-Key"), "the caller's request is not modified")
	assert.False(t, info.Unrepeatable)
	assert.True(t, info.Sequential, "repeated one at a time, never hedged")

	// A second call gets a key of its own; a caller's own key is kept.
	req2, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("gadget"))
	resp, err = client.Do(req2)
	require.NoError(t, err)
	resp.Body.Close()
	req3, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("gizmo"))
	req3.Header.Set("Idempotency-Key", "mine")
	resp, err = client.Do(req3)
	require.NoError(t, err)
	resp.Body.Close()
	require.Len(t, keys, 4)
	assert.NotEqual(t, keys[0], keys[2])
	assert.Equal(t, "mine", keys[3])
}

func TestTransportWithoutIdempotencyKeysLeavesPostUnrepeatable(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Idempotency-Key"))
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	var info paved.CallInfo
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", observeInfo(&info), retry(3)), nil)}
	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{""}, seen, "one attempt, no key")
	assert.True(t, info.Unrepeatable)
	assert.Equal(t, "POST without Idempotency-Key", info.UnsafeReason)

	// GET and PUT get no key even when enabled.
	seen = nil
	keyed := &http.Client{Transport: pavedhttp.NewTransport(paved.New("y"), nil, pavedhttp.WithIdempotencyKeys())}
	resp, err = keyed.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{""}, seen)
}

// observeInfo records the CallInfo of the call it runs in.
func observeInfo(info *paved.CallInfo) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			*info = paved.CallFrom(ctx).Info()
			return next(ctx)
		}
	})
}

// Replays and conflicts are reported as events; the key's value never
// appears in what telemetry records.
func TestIdempotencyHandlerTelemetryKeepsKeySecret(t *testing.T) {
	text, tel := telemetrytest.NewText()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started); <-release })
		w.WriteHeader(http.StatusCreated)
	})
	h := pavedhttp.NewHandler(paved.New("server", paved.WithTelemetry(tel)), pavedhttp.NewIdempotencyHandler(idempotency.MustNew(), slow))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	const key = "secret-key-4f2a9c"
	done := make(chan reply)
	go func() { done <- post(t, srv.URL, key, "x") }()
	<-started
	require.Equal(t, http.StatusConflict, post(t, srv.URL, key, "x").status)
	close(release)
	<-done
	require.Equal(t, "true", post(t, srv.URL, key, "x").header.Get("Idempotent-Replayed"))
	out := text.String()
	assert.Contains(t, out, "idempotent_replay")
	assert.Contains(t, out, "idempotency_conflict")
	assert.NotContains(t, out, key)
}
