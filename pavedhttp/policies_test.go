package pavedhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedhttp"
	realretry "github.com/paved-go/paved/retry"
)

// These tests run the adapter with the real policies, not stand-ins.

// A paved server handler's downstream calls keep their own retries: the
// handler's call is unrepeatable, theirs is not.
func TestHandlerDownstreamCallsRetry(t *testing.T) {
	down := testserver.NewHTTP(t, testserver.WithScript(testserver.Status(503), testserver.Status(503)))
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("down",
		realretry.MustNew(realretry.WithBackoff(time.Millisecond, time.Millisecond))), nil)}
	var status atomic.Int32
	h := pavedhttp.NewHandler(paved.New("server"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.URL()+"/item", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		status.Store(int32(resp.StatusCode))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.EqualValues(t, http.StatusOK, status.Load())
	assert.Equal(t, 3, down.Requests(), "two 503s, then the success: retried inside the handler")
}

// A POST made safe by its Idempotency-Key is retried one attempt at a time,
// never hedged: a concurrent repeat would meet 409 Conflict on the server.
func TestKeyedPostIsRetriedButNeverHedged(t *testing.T) {
	srv := testserver.NewHTTP(t, testserver.WithScript(testserver.Delay(50*time.Millisecond)))
	p := paved.New("orders", hedge.MustNew(hedge.WithDelay(time.Millisecond)))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, nil)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/orders", strings.NewReader("{}"))
	req.Header.Set("Idempotency-Key", "k-1")
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 1, srv.Requests(), "no hedge for a keyed write")

	get, err := client.Get(srv.URL() + "/orders/1") // a GET is hedged as usual
	require.NoError(t, err)
	_ = get.Body.Close()
}

// 409 to a keyed request means the first request with the key still runs:
// retry it after backoff rather than report a conflict.
func TestKeyedConflictIsRetried(t *testing.T) {
	srv := testserver.NewHTTP(t, testserver.WithScript(testserver.Status(http.StatusConflict)))
	p := paved.New("orders", realretry.MustNew(realretry.WithBackoff(time.Millisecond, time.Millisecond)))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, nil)}

	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL()+"/orders", strings.NewReader("{}"))
	req.Header.Set("Idempotency-Key", "k-2")
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2, srv.Requests())

	srv.Enqueue(testserver.Status(http.StatusConflict))
	put, _ := http.NewRequest(http.MethodPut, srv.URL()+"/orders/1", strings.NewReader("{}"))
	resp, err = client.Do(put)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "an unkeyed 409 is the caller's problem: not retried")
	assert.Equal(t, 3, srv.Requests())

	srv.Enqueue(testserver.Status(http.StatusConflict).WithHeader("Idempotent-Replayed", "true"))
	replay, _ := http.NewRequest(http.MethodPost, srv.URL()+"/orders", strings.NewReader("{}"))
	replay.Header.Set("Idempotency-Key", "k-3")
	resp, err = client.Do(replay)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "a replayed 409 is the stored answer: a real conflict, not retried")
	assert.Equal(t, 4, srv.Requests())
}
