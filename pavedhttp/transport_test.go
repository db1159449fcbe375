package pavedhttp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp, string(b)
}

func TestTransportRetriesToSuccess(t *testing.T) {
	srv := newScript(t, 503, 200)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", retry(3)), newBase(t))}
	resp, body := get(t, client, srv.URL)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "attempt 2:", body)
	assert.Equal(t, int32(2), srv.requests.Load())
}

func TestTransportReturnsFinalFailureAsResponse(t *testing.T) {
	srv := newScript(t, 503)
	var outcome paved.Outcome
	p := paved.New("x", observe(func(c *paved.Call, err error) { outcome = c.Classify(err) }), retry(2))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, newBase(t))}
	resp, body := get(t, client, srv.URL)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a 503 after the last attempt is a response, not an error")
	assert.Equal(t, "attempt 2:", body)
	assert.Equal(t, paved.OutcomeTransient, outcome)
}

func TestTransportStatusOutcomes(t *testing.T) {
	tests := []struct {
		code       int
		retryAfter string
		want       paved.Outcome
	}{
		{200, "", paved.OutcomeSuccess},
		{204, "", paved.OutcomeSuccess},
		{304, "", paved.OutcomeSuccess},
		{400, "", paved.OutcomePermanent},
		{404, "", paved.OutcomePermanent},
		{408, "", paved.OutcomeTransient},
		{429, "", paved.OutcomeOverload},
		{500, "", paved.OutcomeTransient},
		{501, "", paved.OutcomePermanent},
		{502, "", paved.OutcomeTransient},
		{503, "", paved.OutcomeTransient},
		{503, "3", paved.OutcomeOverload},
		{503, "Wed, 21 Oct 2015 07:28:00 GMT", paved.OutcomeOverload},
		{503, "garbage", paved.OutcomeTransient},
		{504, "", paved.OutcomeTransient},
		{505, "", paved.OutcomePermanent},
		{507, "", paved.OutcomeTransient},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code)+" "+tt.retryAfter, func(t *testing.T) {
			srv := newScript(t, tt.code)
			var got paved.Outcome
			var gotErr error
			p := paved.New("x", observe(func(c *paved.Call, err error) { got, gotErr = c.Classify(err), err }))
			client := &http.Client{Transport: pavedhttp.NewTransport(p, newBase(t))}
			req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			if tt.retryAfter != "" {
				req.Header.Set("X-Want-Retry-After", tt.retryAfter)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Equal(t, tt.want, got)
			if tt.code >= 400 {
				var se *pavedhttp.StatusError
				require.ErrorAs(t, gotErr, &se)
				assert.Equal(t, tt.code, se.StatusCode)
				assert.Equal(t, strings.TrimSpace(resp.Status), se.Status)
			}
		})
	}
}

func TestTransportRetryAfterHint(t *testing.T) {
	srv := newScript(t, 503)
	var err error
	p := paved.New("x", observe(func(_ *paved.Call, e error) { err = e }))
	client := &http.Client{Transport: pavedhttp.NewTransport(p, newBase(t))}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("X-Want-Retry-After", "7")
	resp, rerr := client.Do(req)
	require.NoError(t, rerr)
	require.NoError(t, resp.Body.Close())
	d, ok := paved.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 7_000_000_000, int(d))
	var se *pavedhttp.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "503", se.ErrorType())
	assert.True(t, se.HasRetryAfter())
}

func TestTransportBodyCloseReleasesAttempt(t *testing.T) {
	srv := newScript(t, 200)
	var released atomic.Int32
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", attemptHold(&released)), newBase(t))}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, int32(0), released.Load(), "the attempt's context must outlive RoundTrip")
	b, err := io.ReadAll(resp.Body) // would fail if the attempt's context were canceled
	require.NoError(t, err)
	assert.Equal(t, "attempt 1:", string(b))
	assert.Equal(t, int32(0), released.Load())
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int32(1), released.Load())
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int32(1), released.Load(), "Close twice releases once")
}

func TestTransportReleasesDiscardedAttempts(t *testing.T) {
	srv := newScript(t, 503, 503, 200)
	var released atomic.Int32
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", retry(3), attemptHold(&released)), newBase(t))}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, int32(2), released.Load(), "the two discarded attempts are released at once")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int32(3), released.Load())
}

func TestTransportReplaysBody(t *testing.T) {
	srv := newScript(t, 503, 200)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", retry(3)), newBase(t))}
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("payload"))
	require.NoError(t, err)
	req.Header.Set("Idempotency-Key", "k1")
	resp, err := client.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "attempt 2:payload", string(b))
	assert.Equal(t, []string{"payload", "payload"}, srv.Bodies())
}

func TestTransportDrainsDiscardedResponses(t *testing.T) {
	srv := newScript(t, 503, 200, 503, 200, 503, 200)
	counting := &countingRT{next: newBase(t)}
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", retry(3)), counting)}
	for range 3 {
		resp, body := get(t, client, srv.URL)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, body, "attempt")
	}
	assert.Equal(t, int32(6), srv.requests.Load())
	assert.Equal(t, int32(6), counting.closes.Load(), "every response body closed")
	assert.Equal(t, int32(6), counting.eofs.Load(), "discarded bodies drained to EOF")
	assert.Equal(t, int32(1), srv.conns.Load(), "one connection reused across retried calls")
}

func TestTransportSafeToRepeat(t *testing.T) {
	srv := newScript(t, 200)
	tests := []struct {
		name   string
		method string
		body   func() io.Reader
		key    string
		noGet  bool
		want   bool
	}{
		{name: "GET", method: http.MethodGet, want: true},
		{name: "HEAD", method: http.MethodHead, want: true},
		{name: "PUT", method: http.MethodPut, body: func() io.Reader { return strings.NewReader("x") }, want: true},
		{name: "DELETE", method: http.MethodDelete, want: true},
		{name: "POST", method: http.MethodPost, body: func() io.Reader { return strings.NewReader("x") }, want: false},
		{name: "PATCH", method: http.MethodPatch, want: false},
		{name: "POST with Idempotency-Key", method: http.MethodPost, body: func() io.Reader { return bytes.NewReader([]byte("x")) }, key: "k", want: true},
		{name: "PATCH with Idempotency-Key", method: http.MethodPatch, key: "k", want: true},
		{name: "PUT with unreplayable body", method: http.MethodPut, body: func() io.Reader { return io.MultiReader(strings.NewReader("x")) }, want: false},
		{name: "POST with key and GetBody removed", method: http.MethodPost, body: func() io.Reader { return strings.NewReader("x") }, key: "k", noGet: true, want: false},
		{name: "CONNECT-like unknown method", method: "PURGE", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *bool
			p := paved.New("x", observe(func(c *paved.Call, _ error) { v := c.SafeToRepeat(); got = &v }))
			client := &http.Client{Transport: pavedhttp.NewTransport(p, newBase(t))}
			var body io.Reader
			if tt.body != nil {
				body = tt.body()
			}
			req, err := http.NewRequest(tt.method, srv.URL, body)
			require.NoError(t, err)
			if tt.key != "" {
				req.Header.Set("Idempotency-Key", tt.key)
			}
			if tt.noGet {
				req.GetBody = nil
			}
			assert.Equal(t, tt.want, pavedhttp.SafeToRepeat(req))
			resp, err := client.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.NotNil(t, got)
			assert.Equal(t, tt.want, *got)
		})
	}
}

func TestTransportUnrepeatableIsSentOnce(t *testing.T) {
	srv := newScript(t, 503, 200)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", retry(3)), newBase(t))}
	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("charge"))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, int32(1), srv.requests.Load())
}

func TestTransportDoesNotModifyRequest(t *testing.T) {
	srv := newScript(t, 503, 200)
	tel, _ := newTracing(t)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x", retry(3), paved.WithTelemetry(tel)), newBase(t))}
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("X-A", "1")
	before := req.Header.Clone()
	ctx := req.Context()
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, before, req.Header, "headers untouched (no traceparent added to the caller's request)")
	assert.Equal(t, ctx, req.Context())
	assert.Same(t, req, resp.Request)
}

func TestTransportRejectedClosesRequestBody(t *testing.T) {
	reject := paved.MiddlewareFunc(func(paved.Op) paved.Op {
		return func(context.Context) error { return paved.NewRejection(errFull, 0) }
	})
	body := &closeCounter{Reader: strings.NewReader("x")}
	req, err := http.NewRequest(http.MethodPut, "http://127.0.0.1:1/", body)
	require.NoError(t, err)
	resp, err := pavedhttp.NewTransport(paved.New("x", reject), nil).RoundTrip(req)
	assert.Nil(t, resp)
	require.ErrorIs(t, err, paved.ErrRejected)
	assert.Equal(t, paved.OutcomeRejected, pavedhttp.Classify(err))
	assert.Equal(t, int32(1), body.closes.Load(), "RoundTrip closes the body it never sent")
}

type closeCounter struct {
	io.Reader
	closes atomic.Int32
}

func (c *closeCounter) Close() error { c.closes.Add(1); return nil }

func TestTransportSpans(t *testing.T) {
	srv := newScript(t, 503, 200)
	tel, exp := newTracing(t)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("payments", retry(3), paved.WithTelemetry(tel)), newBase(t))}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/charges?token=s3cr3t-q", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer s3cr3t-auth")
	req.Header.Set("Cookie", "session=s3cr3t-cookie")
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	spans := exp.GetSpans()
	var parents, clients []int
	for i, s := range spans {
		switch s.SpanKind {
		case trace.SpanKindInternal:
			parents = append(parents, i)
		case trace.SpanKindClient:
			clients = append(clients, i)
		}
		for _, kv := range s.Attributes {
			assert.NotContains(t, kv.Value.String(), "s3cr3t-auth", "span %q attribute %s", s.Name, kv.Key)
			assert.NotContains(t, kv.Value.String(), "s3cr3t-cookie", "span %q attribute %s", s.Name, kv.Key)
		}
	}
	require.Len(t, parents, 1, "one span per logical call")
	require.Len(t, clients, 2, "one otelhttp client span per attempt")
	parent := spans[parents[0]]
	assert.Equal(t, "payments", parent.Name)
	for n, i := range clients {
		s := spans[i]
		assert.Equal(t, parent.SpanContext.SpanID(), s.Parent.SpanID(), "attempt spans are children of the call span")
		resend, ok := attr(s.Attributes, "http.request.resend_count")
		if n == 0 {
			assert.False(t, ok, "the first attempt is not a resend")
		} else {
			assert.True(t, ok)
			assert.Equal(t, int64(1), resend.AsInt64())
		}
	}
}

func attr(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}
