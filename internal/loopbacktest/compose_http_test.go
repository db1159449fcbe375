package loopbacktest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// bigBody is larger than socket buffers hold, so most of it is read only
// after the call returned: a canceled attempt context would cut it short.
var bigBody = strings.Repeat("z", 4<<20)

// TestHTTPFinalBodyReadableAfterReturn: in each paved pipeline order, the
// final response's body can be read in full after RoundTrip returned,
// whichever policy made the winning attempt, and nothing is left open.
func TestHTTPFinalBodyReadableAfterReturn(t *testing.T) {
	tests := []struct {
		name   string
		script []testserver.Behaviour
		ms     []paved.Middleware
		reqs   int
	}{
		{
			"total timeout outside retry, retried",
			[]testserver.Behaviour{testserver.Status(http.StatusServiceUnavailable), testserver.OK().WithBody(bigBody)},
			[]paved.Middleware{timeout.MustNew(10 * time.Second), retry.MustNew(retry.WithBackoff(fastBackoff[0], fastBackoff[1]))},
			2,
		},
		{
			"total and attempt timeouts around retry, first attempt reset",
			[]testserver.Behaviour{testserver.Reset(), testserver.OK().WithBody(bigBody)},
			[]paved.Middleware{
				timeout.MustNew(10 * time.Second),
				retry.MustNew(retry.WithBackoff(fastBackoff[0], fastBackoff[1])),
				timeout.MustNew(5 * time.Second),
			},
			2,
		},
		{
			"attempt timeout inside hedge, hedge wins",
			[]testserver.Behaviour{testserver.Hang(), testserver.OK().WithBody(bigBody)},
			[]paved.Middleware{hedge.MustNew(hedge.WithDelay(5 * time.Millisecond)), timeout.MustNew(5 * time.Second)},
			2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.NewHTTP(t, testserver.WithScript(tt.script...))
			base := newBase(t)
			resp, err := newClient(paved.New("compose", tt.ms...), base).Get(srv.URL())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err, "the final body is readable after the call returned")
			assert.Len(t, got, len(bigBody))
			require.NoError(t, resp.Body.Close())
			base.settle(t)
			assert.Zero(t, base.open())
			assert.Equal(t, tt.reqs, srv.Requests())
			require.NoError(t, srv.WaitIdle(waitCtx(t)), "the hung or reset attempt was let go")
		})
	}
}

// TestHTTPRetryDeadlineAware: when the caller's deadline cannot fit the
// server's Retry-After, retry does not wait at all: the 503 comes back at
// once, and the server sees one request.
func TestHTTPRetryDeadlineAware(t *testing.T) {
	srv := testserver.NewHTTP(t, testserver.WithDefault(
		testserver.Status(http.StatusServiceUnavailable).WithHeader("Retry-After", "5")))
	base := newBase(t)
	client := newClient(paved.New("deadline", retry.MustNew()), base)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	s, err := get(ctx, client, srv.URL())
	took := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, s, "the last response is returned as a response")
	assert.Less(t, took, time.Second, "no wait for a retry that cannot fit")
	assert.Equal(t, 1, srv.Requests())
	assert.Zero(t, base.open())
}
