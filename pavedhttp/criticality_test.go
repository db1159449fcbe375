package pavedhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// headerRecorder is a server that records the CriticalityHeader of every
// request it serves.
type headerRecorder struct {
	mu   sync.Mutex
	seen [][]string
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen = append(h.seen, r.Header.Values(pavedhttp.CriticalityHeader))
	h.mu.Unlock()
}

func (h *headerRecorder) last() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[len(h.seen)-1]
}

// The caller's criticality crosses two tiers: the client sends it, the
// middle tier's Handler reads it, and the middle tier's own call, made with
// the request's context, sends it on.
func TestCriticalityPropagatesThroughTiers(t *testing.T) {
	var rec headerRecorder
	bottom := httptest.NewServer(&rec)
	defer bottom.Close()
	down := &http.Client{Transport: pavedhttp.NewTransport(paved.New("bottom"), nil)}

	var middleSaw paved.Priority
	middle := httptest.NewServer(pavedhttp.NewHandler(paved.New("middle"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		middleSaw = paved.CallFrom(r.Context()).Priority()
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, bottom.URL, nil)
		resp, err := down.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
	})))
	defer middle.Close()
	top := &http.Client{Transport: pavedhttp.NewTransport(paved.New("middle"), nil)}

	for _, p := range []paved.Priority{paved.PrioritySheddable, paved.PrioritySheddablePlus, paved.PriorityCriticalPlus} {
		t.Run(p.WireName(), func(t *testing.T) {
			ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: p})
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, middle.URL, nil)
			resp, err := top.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, p, middleSaw, "the middle tier's call has the caller's priority")
			assert.Equal(t, []string{p.WireName()}, rec.last(), "and passes it on")
		})
	}

	t.Run("critical sends no header", func(t *testing.T) {
		resp, err := top.Get(middle.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, paved.PriorityCritical, middleSaw)
		assert.Empty(t, rec.last())
	})
}

func TestCriticalityHeaderTheCallerSetIsKept(t *testing.T) {
	var rec headerRecorder
	srv := httptest.NewServer(&rec)
	defer srv.Close()
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("s"), nil)}
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: paved.PrioritySheddable})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	req.Header.Set(pavedhttp.CriticalityHeader, "SHEDDABLE_PLUS")
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, []string{"SHEDDABLE_PLUS"}, rec.last())
	assert.Equal(t, "SHEDDABLE_PLUS", req.Header.Get(pavedhttp.CriticalityHeader), "the caller's request is unchanged")

	req2, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err = client.Do(req2)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Empty(t, req2.Header.Get(pavedhttp.CriticalityHeader), "the header goes on the attempt's copy only")
}

func TestHandlerPriority(t *testing.T) {
	tests := []struct {
		name   string
		header string
		opts   []pavedhttp.HandlerOption
		want   paved.Priority
	}{
		{"none", "", nil, paved.PriorityCritical},
		{"sheddable", "SHEDDABLE", nil, paved.PrioritySheddable},
		{"lower case", "critical_plus", nil, paved.PriorityCriticalPlus},
		{"unknown is critical", "URGENT", nil, paved.PriorityCritical},
		{"func replaces the header", "CRITICAL_PLUS", []pavedhttp.HandlerOption{
			pavedhttp.WithPriorityFunc(func(*http.Request) paved.Priority { return paved.PrioritySheddablePlus }),
		}, paved.PrioritySheddablePlus},
		{"nil func keeps the header", "SHEDDABLE", []pavedhttp.HandlerOption{pavedhttp.WithPriorityFunc(nil)}, paved.PrioritySheddable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got paved.Priority
			h := pavedhttp.NewHandler(paved.New("s"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = paved.CallFrom(r.Context()).Priority()
			}), tt.opts...)
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tt.header != "" {
				r.Header.Set(pavedhttp.CriticalityHeader, tt.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			assert.Equal(t, tt.want, got)
		})
	}
}
