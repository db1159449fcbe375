package pavedhttp_test

import (
	"context"
	"encoding/json"
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
	"github.com/paved-go/paved/pavedhttp"
)

// errLimited is marked Overload the way a rate limiter's sentinel is, so
// that its refusals become 429.
var errLimited = paved.Mark(errors.New("ratelimit: limited"), paved.OutcomeOverload)

type teapotErr struct{}

func (teapotErr) Error() string   { return "teapot" }
func (teapotErr) HTTPStatus() int { return http.StatusTeapot }

func refuse(err error) paved.Middleware {
	return paved.MiddlewareFunc(func(paved.Op) paved.Op {
		return func(context.Context) error { return err }
	})
}

func TestHandlerRefusals(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		detail     string
	}{
		{"rejection", paved.NewRejection(errFull, 2*time.Second), 503, "2", "bulkhead: full"},
		{"rejection rounds Retry-After up", paved.NewRejection(errFull, 1500*time.Millisecond), 503, "2", "bulkhead: full"},
		{"rejection without delay", paved.NewRejection(errFull, 0), 503, "", "bulkhead: full"},
		{"rate limited", paved.NewRejection(errLimited, 2*time.Second), 429, "2", "ratelimit: limited"},
		{"error chooses its status", paved.NewRejection(teapotErr{}, 0), 418, "", "teapot"},
		{"deadline ran out before next", context.DeadlineExceeded, 504, "", ""},
		{"other error before next", errors.New("x"), 503, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Bool
			next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Store(true) })
			srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("x", refuse(tt.err)), next))
			t.Cleanup(srv.Close)
			client := &http.Client{Transport: newBase(t)}
			resp, err := client.Get(srv.URL + "/v1/items")
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			assert.False(t, served.Load(), "next never runs for a refused request")
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.retryAfter, resp.Header.Get("Retry-After"))
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			var p struct {
				Type   string `json:"type"`
				Title  string `json:"title"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
			assert.Equal(t, "about:blank", p.Type)
			assert.Equal(t, http.StatusText(tt.status), p.Title)
			assert.Equal(t, tt.status, p.Status)
			assert.Equal(t, tt.detail, p.Detail)
			assert.Equal(t, tt.status, pavedhttp.StatusFor(tt.err))
		})
	}
}

func TestHandlerAdmits(t *testing.T) {
	var info paved.CallInfo
	var safe bool
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := paved.CallFrom(r.Context())
		info, safe = c.Info(), c.SafeToRepeat()
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "made")
	})
	mux := http.NewServeMux()
	mux.Handle("POST /v1/items/{id}", pavedhttp.NewHandler(paved.New("x"), next,
		pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Tenant") }),
		pavedhttp.WithPriorityFunc(func(*http.Request) paved.Priority { return paved.PrioritySheddable })))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/items/42", nil)
	req.Header.Set("X-Tenant", "acme")
	resp, err := (&http.Client{Transport: newBase(t)}).Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "made", string(b))
	assert.Equal(t, "POST /v1/items/{id}", info.Operation)
	assert.Equal(t, "acme", info.Key)
	assert.Equal(t, paved.PrioritySheddable, info.Priority)
	assert.False(t, safe, "a handler is never run twice")
}

func TestHandlerLeavesWrittenResponse(t *testing.T) {
	// A middleware that fails after next ran must not add a refusal to the
	// response next wrote.
	failAfter := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			_ = next(ctx)
			return paved.NewRejection(errFull, time.Second)
		}
	})
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	rec := httptest.NewRecorder()
	pavedhttp.NewHandler(paved.New("x", failAfter), next).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "ok", rec.Body.String())
	assert.Empty(t, rec.Header().Get("Retry-After"))
}

func TestHandlerPanicPropagates(t *testing.T) {
	var released atomic.Bool
	hold := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			defer released.Store(true)
			return next(ctx)
		}
	})
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	h := pavedhttp.NewHandler(paved.New("x", hold), next)
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
	assert.True(t, released.Load())
}

// The server operation is a metric label: a caller must not be able to add
// series by inventing paths or methods.
func TestServerOperationIsBounded(t *testing.T) {
	var got []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, paved.CallFrom(r.Context()).Operation())
	})
	mux := http.NewServeMux()
	mux.Handle("/v1/items/{id}", pavedhttp.NewHandler(paved.New("route"), next))
	outer := pavedhttp.NewHandler(paved.New("whole"), next)
	for _, tt := range []struct {
		h      http.Handler
		method string
		path   string
	}{
		{outer, http.MethodGet, "/v1/items/123"},
		{outer, http.MethodGet, "/v1/items/456?x=1"},
		{outer, "BREW", "/pot"},
		{mux, http.MethodDelete, "/v1/items/789"},
		{mux, "BREW", "/v1/items/1"},
	} {
		tt.h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.path, nil))
	}
	assert.Equal(t, []string{"GET", "GET", "_OTHER", "DELETE /v1/items/{id}", "_OTHER /v1/items/{id}"}, got)
}
