package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// The naive client is what a hand-written client does: an http.Client with
// a timeout and a loop of three attempts, 100 ms apart, on any error or 5xx.
const (
	naiveTimeout  = 2 * time.Second
	naiveAttempts = 3
	naivePause    = 100 * time.Millisecond
)

// newTransport is a keep-alive transport with room for a load test's
// connections (http.DefaultTransport keeps two idle per host, and a load
// test would open and close one per call).
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 512
	tr.MaxIdleConns = 2048
	return tr
}

// naive is the hand-written client.
type naive struct{ client *http.Client }

func newNaive() *naive {
	return &naive{client: &http.Client{Timeout: naiveTimeout, Transport: newTransport()}}
}

// get calls url with ctx and reports the final status (0 when no response came).
func (n *naive) get(ctx context.Context, url string) int {
	status := 0
	for attempt := range naiveAttempts {
		if attempt > 0 {
			time.Sleep(naivePause)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := n.client.Do(req)
		if err != nil {
			status = 0
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		status = resp.StatusCode
		if status < 500 {
			return status
		}
	}
	return status
}

func (n *naive) close() { n.client.CloseIdleConnections() }

// pavedClient is paved's recommended client: README's pipeline (a total
// timeout, retry with its budget, a breaker, an attempt timeout) under
// pavedhttp.Transport, or the same with hedge in retry's place.
type pavedClient struct {
	client *http.Client
	tr     *http.Transport
}

// recommended is README's pipeline with paved's defaults; openFor, when
// positive, shortens the breaker's open period for a scenario run in
// compressed time.
func recommended(name string, openFor time.Duration) *paved.Pipeline {
	var bopts []breaker.Option
	if openFor > 0 {
		bopts = append(bopts, breaker.WithOpenDuration(openFor))
	}
	return paved.New(name,
		timeout.MustNew(10*time.Second),
		retry.MustNew(),
		breaker.MustNew(name, bopts...),
		timeout.MustNew(2*time.Second),
	)
}

// hedged is the recommended pipeline with hedging (its defaults: a second
// attempt once the first has taken longer than the p95 of recent ones).
func hedged(name string) *paved.Pipeline {
	return paved.New(name,
		timeout.MustNew(10*time.Second),
		hedge.MustNew(),
		breaker.MustNew(name),
		timeout.MustNew(2*time.Second),
	)
}

func newPaved(p *paved.Pipeline) *pavedClient {
	tr := newTransport()
	return &pavedClient{client: &http.Client{Transport: pavedhttp.NewTransport(p, tr)}, tr: tr}
}

func (c *pavedClient) get(ctx context.Context, url string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func (c *pavedClient) close() { c.tr.CloseIdleConnections() }

// getter is either client.
type getter interface {
	get(ctx context.Context, url string) int
	close()
}

// server is a loopback HTTP server.
type server struct {
	URL string
	srv *http.Server
}

// serve starts h on 127.0.0.1.
func serve(h http.Handler) *server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(l) }()
	return s
}

func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// ok answers 200 with a small body.
var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ok\n")
})

// counting counts every request to next at r.
func counting(r *run, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.arrive()
		next.ServeHTTP(w, req)
	})
}
