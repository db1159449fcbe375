package pavedhttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

var errFull = errors.New("bulkhead: full")

// hijackServer is a loopback server that takes each connection over and ends
// it with f, before any response is written.
func hijackServer(t *testing.T, f func(c net.Conn)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		f(c)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/"
}

func TestClassifyNetworkErrors(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plainSrv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plainSrv.Close)
	reset := hijackServer(t, func(c net.Conn) {
		_ = c.(*net.TCPConn).SetLinger(0) // close with RST
		_ = c.Close()
	})
	eof := hijackServer(t, func(c net.Conn) { _ = c.Close() })
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		url  string
		ctx  context.Context
		want paved.Outcome
	}{
		{"connection refused", refusedURL(t), context.Background(), paved.OutcomeTransient},
		{"connection reset", reset.URL, context.Background(), paved.OutcomeTransient},
		{"EOF before response", eof.URL, context.Background(), paved.OutcomeTransient},
		{"unknown certificate authority", tlsSrv.URL, context.Background(), paved.OutcomePermanent},
		{"https to a plain server", "https" + plainSrv.URL[len("http"):], context.Background(), paved.OutcomePermanent},
		{"unsupported scheme", "ftp://127.0.0.1/", context.Background(), paved.OutcomePermanent},
		{"caller canceled", plainSrv.URL, canceled, paved.OutcomeCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got paved.Outcome
			var seen bool
			p := paved.New("x", observe(func(c *paved.Call, err error) { got, seen = c.Classify(err), true }))
			base := newBase(t)
			base.DisableKeepAlives = true
			req, err := http.NewRequestWithContext(tt.ctx, http.MethodGet, tt.url, nil)
			require.NoError(t, err)
			resp, err := pavedhttp.NewTransport(p, base).RoundTrip(req)
			require.Error(t, err)
			assert.Nil(t, resp)
			require.True(t, seen)
			assert.Equal(t, tt.want, got, "error: %v", err)
			assert.Equal(t, tt.want, pavedhttp.Classify(err), "Classify of the returned error")
			assert.Equal(t, tt.want, pavedhttp.Classify(fmt.Errorf("wrapped: %w", err)))
		})
	}
}

func TestClassifyTooManyRedirects(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/loop", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("x"), newBase(t))}
	_, err := client.Get(srv.URL) //nolint:bodyclose // err != nil
	require.Error(t, err)
	assert.Equal(t, paved.OutcomePermanent, pavedhttp.Classify(err))
}

func TestClassifyPlainErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want paved.Outcome
	}{
		{"nil", nil, paved.OutcomeSuccess},
		{"marked permanent", paved.Permanent(errors.New("x")), paved.OutcomePermanent},
		{"rejection", paved.NewRejection(errFull, 0), paved.OutcomeRejected},
		{"deadline", context.DeadlineExceeded, paved.OutcomeTransient},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, paved.OutcomeTransient},
		{"unknown", errors.New("boom"), paved.OutcomeTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pavedhttp.Classify(tt.err))
			assert.Equal(t, tt.want, pavedhttp.Classifier.Classify(tt.err))
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
