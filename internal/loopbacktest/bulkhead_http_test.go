package loopbacktest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// A bulkhead under the HTTP transport, against a real server: a call over
// the limit is refused before any request is sent (and not retried), the
// slot is held until the response's headers arrive and not while its body
// is read, and a waiting call gets the slot when the one in flight answers.
func TestBulkheadOverHTTP(t *testing.T) {
	var requests atomic.Int64
	headers, body := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/slow": // answers only when told to
			<-headers
		case "/stream": // headers now, the body when told to
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-body
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	base := newBase(t)

	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(10*time.Second))
	p := paved.New("dep", timeout.MustNew(20*time.Second), retry.MustNew(), b)
	client := newClient(p, base)

	// /slow holds the only slot; the next call waits for it, unsent, and
	// gets it when /slow answers.
	slow := make(chan error, 1)
	go func() { slow <- bulkheadGet(client, srv.URL+"/slow") }()
	bulkheadWaitUntil(t, func() bool { return b.Inflight() == 1 && requests.Load() == 1 })
	waiter := make(chan error, 1)
	go func() { waiter <- bulkheadGet(client, srv.URL+"/") }()
	bulkheadWaitUntil(t, func() bool { return b.Waiting() == 1 })
	assert.EqualValues(t, 1, requests.Load(), "the waiting call is not sent")
	close(headers)
	require.NoError(t, <-slow)
	require.NoError(t, <-waiter)
	assert.EqualValues(t, 2, requests.Load())
	assert.Equal(t, 0, b.Inflight())

	// A response whose body is still being read holds no slot.
	resp, err := client.Get(srv.URL + "/stream")
	require.NoError(t, err)
	assert.Equal(t, 0, b.Inflight(), "headers arrived: the slot is free while the body streams")
	require.NoError(t, bulkheadGet(client, srv.URL+"/"), "admitted while the first body is unread")
	close(body)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())

	// No wait: a full bulkhead refuses before sending, and retry does not
	// repeat the refusal.
	nowait := bulkhead.MustNew(1)
	p2 := paved.New("dep2", retry.MustNew(), nowait)
	client2 := newClient(p2, base)
	hold := make(chan struct{})
	holding := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p2.Run(context.Background(), func(context.Context) error { close(holding); <-hold; return nil })
	}()
	<-holding
	before := requests.Load()
	err = bulkheadGet(client2, srv.URL+"/")
	require.ErrorIs(t, err, bulkhead.ErrFull)
	assert.True(t, errors.Is(err, paved.ErrRejected))
	assert.Equal(t, before, requests.Load(), "refused: nothing sent")
	close(hold)
	require.NoError(t, <-done)
}

func bulkheadGet(c *http.Client, url string) error {
	_, err := get(context.Background(), c, url)
	return err
}

// bulkheadWaitUntil polls cond: the states it waits for are not on any clock.
func bulkheadWaitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "condition not met in 20s")
		time.Sleep(time.Millisecond)
	}
}
