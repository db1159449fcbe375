package testserver_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/testserver"
)

type reply struct {
	status  int
	header  http.Header
	body    string
	trailer http.Header
}

func get(t *testing.T, ctx context.Context, c *http.Client, url string) (reply, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(body), resp.Trailer}, nil
}

func TestHTTPScript(t *testing.T) {
	tests := []struct {
		name  string
		opts  []testserver.Option
		check func(t *testing.T, got []reply)
	}{
		{
			name: "script then default OK",
			opts: []testserver.Option{testserver.WithScript(
				testserver.Status(503).WithHeader("Retry-After", "2").WithBody("busy"),
				testserver.Status(429),
			)},
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, 503, got[0].status)
				assert.Equal(t, "2", got[0].header.Get("Retry-After"))
				assert.Equal(t, "busy", got[0].body)
				assert.Equal(t, 429, got[1].status)
				assert.Equal(t, 200, got[2].status)
				assert.Equal(t, 200, got[3].status)
			},
		},
		{
			name: "custom default",
			opts: []testserver.Option{testserver.WithScript(testserver.OK()), testserver.WithDefault(testserver.Status(500))},
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, []int{200, 500, 500, 500}, statuses(got))
			},
		},
		{
			name: "trailers",
			opts: []testserver.Option{testserver.WithDefault(testserver.OK().WithTrailer("X-Checksum", "abc"))},
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, "abc", got[0].trailer.Get("X-Checksum"))
			},
		},
		{
			name: "gRPC-only behaviours succeed",
			opts: []testserver.Option{testserver.WithScript(testserver.Code(14))},
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, 200, got[0].status)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.NewHTTP(t, tt.opts...)
			var got []reply
			for range 4 {
				r, err := get(t, context.Background(), s.Client(), s.URL())
				require.NoError(t, err)
				got = append(got, r)
			}
			tt.check(t, got)
			assert.Equal(t, 4, s.Requests())
			assert.Equal(t, 4, s.Count(http.MethodGet))
			assert.Zero(t, s.Count(http.MethodPost))
			assert.Equal(t, 1, s.Connections(), "keep-alive reuses one connection")
		})
	}
}

func statuses(rs []reply) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.status
	}
	return out
}

func TestHTTPEnqueue(t *testing.T) {
	s := testserver.NewHTTP(t)
	s.Enqueue(testserver.Status(502))
	r, err := get(t, context.Background(), s.Client(), s.URL())
	require.NoError(t, err)
	assert.Equal(t, 502, r.status)
}

func TestHTTPChooserIsDeterministic(t *testing.T) {
	const calls = 200
	run := func() []int {
		rng := rand.New(rand.NewPCG(1, 2))
		s := testserver.NewHTTP(t, testserver.WithChooser(func(int) testserver.Behaviour {
			if rng.Float64() < 0.05 {
				return testserver.Status(503)
			}
			return testserver.OK()
		}))
		var got []int
		for range calls {
			r, err := get(t, context.Background(), s.Client(), s.URL())
			require.NoError(t, err)
			got = append(got, r.status)
		}
		return got
	}
	first := run()
	assert.Equal(t, first, run(), "a seeded chooser replays exactly")
	failures := 0
	for _, s := range first {
		if s == 503 {
			failures++
		}
	}
	assert.Positive(t, failures)
	assert.Less(t, failures, calls/5)
}

func TestHTTPChooserGetsArrivalNumber(t *testing.T) {
	s := testserver.NewHTTP(t, testserver.WithChooser(func(n int) testserver.Behaviour {
		return testserver.Status(200 + n)
	}))
	for i := range 3 {
		r, err := get(t, context.Background(), s.Client(), s.URL())
		require.NoError(t, err)
		assert.Equal(t, 200+i, r.status)
	}
}

func TestHTTPRecordsRequests(t *testing.T) {
	s := testserver.NewHTTP(t)
	for i, key := range []string{"k-1", "k-1"} {
		req, err := http.NewRequest(http.MethodPost, s.URL()+"/v1/charges?try="+string(rune('0'+i)), strings.NewReader(`{"amount":5}`))
		require.NoError(t, err)
		req.Header.Set("Idempotency-Key", key)
		resp, err := s.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	got := s.Received()
	require.Len(t, got, 2)
	for i, r := range got {
		assert.Equal(t, i, r.N)
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "k-1", r.Header.Get("Idempotency-Key"))
		assert.Equal(t, `{"amount":5}`, string(r.Body), "the body is replayed in full")
		assert.NotEmpty(t, r.RemoteAddr)
	}
	assert.Equal(t, "/v1/charges?try=1", got[1].URI)
	assert.Equal(t, 2, s.Count(http.MethodPost))

	got[0].Header.Set("Idempotency-Key", "changed")
	assert.Equal(t, "k-1", s.Received()[0].Header.Get("Idempotency-Key"), "Received returns copies")
}

func TestHTTPConnectionChurn(t *testing.T) {
	s := testserver.NewHTTP(t)
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for range 5 {
		_, err := get(t, context.Background(), c, s.URL())
		require.NoError(t, err)
	}
	assert.Equal(t, 5, s.Connections())
}

func TestHTTPWithHandler(t *testing.T) {
	s := testserver.NewHTTP(t, testserver.WithHandler(func(n int, w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-N", string(rune('0'+n)))
		_, _ = w.Write(body)
	}))
	for i := range 2 {
		resp, err := s.Client().Post(s.URL(), "text/plain", strings.NewReader("echo"))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, "echo", string(body), "the handler can read the recorded body")
		assert.Equal(t, string(rune('0'+i)), resp.Header.Get("X-N"))
	}
	assert.Equal(t, "echo", string(s.Received()[1].Body))
}

func TestHTTPDelay(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	s := testserver.NewHTTP(t, testserver.WithClock(f), testserver.WithScript(
		testserver.Status(201).WithDelay(time.Second),
	))
	done := make(chan reply, 1)
	go func() {
		r, err := get(t, context.Background(), s.Client(), s.URL())
		assert.NoError(t, err)
		done <- r
	}()
	f.BlockUntil(1)
	select {
	case <-done:
		t.Fatal("replied before the delay")
	default:
	}
	f.Advance(time.Second)
	assert.Equal(t, 201, (<-done).status)
}

func TestHTTPClientGivesUp(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	tests := []struct {
		name string
		b    testserver.Behaviour
	}{
		{"hang", testserver.Hang()},
		{"delay", testserver.Delay(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.NewHTTP(t, testserver.WithClock(f), testserver.WithScript(tt.b))
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := get(t, ctx, s.Client(), s.URL())
				errc <- err
			}()
			require.NoError(t, s.WaitRequests(context.Background(), 1))
			assert.Equal(t, 1, s.InFlight())
			cancel()
			assert.ErrorIs(t, <-errc, context.Canceled)
			require.NoError(t, s.WaitIdle(context.Background()), "the handler lets go when the client does")
		})
	}
}

func TestHTTPCloseReleasesHangingRequests(t *testing.T) {
	s := testserver.NewHTTP(t, testserver.WithDefault(testserver.Hang()))
	const n = 5
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := get(t, context.Background(), s.Client(), s.URL())
			errs <- err
		}()
	}
	require.NoError(t, s.WaitRequests(context.Background(), n))
	s.Close()
	for range n {
		assert.Error(t, <-errs)
	}
	assert.Zero(t, s.InFlight())
}

func TestHTTPReset(t *testing.T) {
	s := testserver.NewHTTP(t, testserver.WithScript(testserver.Reset()))
	_, err := get(t, context.Background(), s.Client(), s.URL())
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF),
		"want a reset or EOF, got %v", err)

	r, err := get(t, context.Background(), s.Client(), s.URL())
	require.NoError(t, err, "the next request gets a fresh connection")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, 2, s.Connections())
	assert.Equal(t, 2, s.Requests())
}

func TestHTTPConcurrent(t *testing.T) {
	s := testserver.NewHTTP(t, testserver.WithChooser(func(n int) testserver.Behaviour {
		if n%2 == 0 {
			return testserver.Status(503)
		}
		return testserver.OK()
	}))
	const n = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range n {
		wg.Go(func() {
			r, err := get(t, context.Background(), s.Client(), s.URL())
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, map[int]int{200: n / 2, 503: n / 2}, codes)
	seen := map[int]bool{}
	for _, r := range s.Received() {
		seen[r.N] = true
	}
	assert.Len(t, seen, n)
	assert.Zero(t, s.InFlight())
}
