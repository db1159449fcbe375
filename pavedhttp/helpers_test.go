package pavedhttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// retry is a minimal retry policy for these tests (an adapter's tests stay
// apart from the policies): up to max attempts while the outcome is
// retryable, the call is safe to repeat and the failure's RetryAfter hint
// does not say "do not retry", following the attempt contract: Discard the
// previous attempt before the next, SetFinal on the one that stands.
func retry(max int) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			c := paved.CallFrom(ctx)
			a := paved.AttemptFrom(ctx)
			err := next(ctx)
			for n := 1; n < max && err != nil && c.Classify(err).Retryable() && c.SafeToRepeat() && !doNotRetry(err); n++ {
				a.Discard()
				var actx context.Context
				actx, a = c.NewAttempt(ctx)
				err = next(actx)
			}
			c.SetFinal(a)
			return err
		}
	})
}

// doNotRetry reports whether err's RetryAfter hint says "do not retry".
func doNotRetry(err error) bool {
	d, ok := paved.RetryAfter(err)
	return ok && d < 0
}

// countAttempts counts the attempts that reach it; put it inside a retry.
func countAttempts(n *int) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			*n++
			return next(ctx)
		}
	})
}

// observe is a middleware that reports every call's Call and error.
func observe(f func(c *paved.Call, err error)) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			f(paved.CallFrom(ctx), err)
			return err
		}
	})
}

// attemptHold is what an attempt timeout does: each attempt runs with its
// own cancelable context, kept alive with Hold until the result is released.
func attemptHold(released *atomic.Int32) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			actx, cancel := context.WithCancel(ctx)
			err := next(actx)
			release := func() { released.Add(1); cancel() }
			if !paved.AttemptFrom(ctx).Hold(release) {
				release()
			}
			return err
		}
	})
}

// script is a loopback server that answers the n-th request (from 0) with
// statuses[n] (the last repeats), writing the attempt number and the request
// body back, and counts connections.
type script struct {
	*httptest.Server
	requests atomic.Int32
	conns    atomic.Int32
	mu       sync.Mutex
	bodies   []string
	headers  []http.Header
}

func newScript(t *testing.T, statuses ...int) *script {
	t.Helper()
	s := &script{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.requests.Add(1)) - 1
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		code := statuses[min(n, len(statuses)-1)]
		if code == http.StatusServiceUnavailable && r.Header.Get("X-Want-Retry-After") != "" {
			w.Header().Set("Retry-After", r.Header.Get("X-Want-Retry-After"))
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "attempt "+string(rune('1'+n))+":"+string(b))
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *script) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// newBase returns a fresh http.Transport whose idle connections are closed
// when the test ends, so goleak sees no connection goroutines.
func newBase(t *testing.T) *http.Transport {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// newTracing returns telemetry that records every span in memory.
func newTracing(t *testing.T) (*telemetry.Telemetry, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return telemetry.New(telemetry.WithTracerProvider(tp)), exp
}

// countingBody counts reads to EOF and closes of response bodies.
type countingRT struct {
	next         http.RoundTripper
	eofs, closes atomic.Int32
}

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, rt: c}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	rt  *countingRT
	eof bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.eof {
		b.eof = true
		b.rt.eofs.Add(1)
	}
	return n, err
}

func (b *countingBody) Close() error {
	b.rt.closes.Add(1)
	return b.ReadCloser.Close()
}
