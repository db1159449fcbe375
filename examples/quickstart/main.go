// Command quickstart is the first thing to run: a client calls a flaky local
// server through a paved pipeline and prints what happened to each call.
//
//	go run ./examples/quickstart
//
// The server fails on purpose, by a fixed script, so every run prints the same
// story: transient 503s retried with jittered backoff, a 429 whose Retry-After
// is honoured, a hung reply cut by the per-attempt timeout, a POST without an
// Idempotency-Key sent exactly once (and the reason printed), the same POST
// with a key retried, and a dependency that goes down: the breaker opens, the
// retry it refuses leaves the last 503 as the answer, and the next call is
// refused at once without reaching the server. Last, a bulkhead: while a slow
// call holds the only slot of a second pipeline's bulkhead, the next call
// through it is refused at once. Then a POST without a key goes through a
// transport that adds one (pavedhttp.WithIdempotencyKeys), and its 503 is
// retried with the same key.
//
// Rate limits are the next step (docs/ratelimit.md): ratelimit.New in this
// pipeline, inside the retry, keeps the client within the server's quota and
// slows down on the server's RateLimit field before a 429; ratelimit.PerKey
// behind pavedhttp.NewHandler limits each caller of a server.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/timeout"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// script is what the flaky server does with its n-th request (from 0); past
// its end every request succeeds.
var script = []func(w http.ResponseWriter, r *http.Request){
	1: status(http.StatusServiceUnavailable, ""),
	2: status(http.StatusServiceUnavailable, ""),
	4: status(http.StatusTooManyRequests, "1"),
	6: func(w http.ResponseWriter, r *http.Request) { // hangs past the attempt timeout
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	},
	8:  status(http.StatusServiceUnavailable, ""),
	9:  status(http.StatusServiceUnavailable, ""),
	11: status(http.StatusBadGateway, ""),
	12: status(http.StatusBadGateway, ""),
	13: status(http.StatusBadGateway, ""),
}

func status(code int, retryAfter string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, http.StatusText(code), code)
	}
}

func run(out io.Writer) error {
	var requests atomic.Int64
	slowArrived, slowRelease := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(requests.Add(1) - 1)
		if r.URL.Path == "/slow" {
			close(slowArrived)
			<-slowRelease
		}
		if r.URL.Path == "/down" {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if n < len(script) && script[n] != nil {
			script[n](w, r)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()

	// Every policy decision is logged through the pipeline's telemetry.
	logger := slog.New(&eventPrinter{out: out})
	p := paved.New("flaky",
		timeout.MustNew(10*time.Second), // total: bounds every attempt and wait
		retry.MustNew(retry.WithMaxAttempts(3), retry.WithBackoff(50*time.Millisecond, 2*time.Second)),
		// Opens after 5 failed attempts in a row, so the demo shows it soon;
		// by default it opens when half of at least 20 calls in 10s failed.
		breaker.MustNew("flaky", breaker.WithConsecutiveFailures(5)),
		// Google SRE's client throttling: once the server refuses more than
		// half of what it is sent, the client sends less. This demo's few
		// calls stay under its 1-request-a-second floor, so it never refuses.
		loadshed.MustNewThrottle(),
		bulkhead.MustNew(100),                 // at most 100 attempts in flight
		timeout.MustNew(300*time.Millisecond), // per attempt
		paved.WithTelemetry(telemetry.New(telemetry.WithLogger(logger))),
	)
	client := &http.Client{Transport: pavedhttp.NewTransport(p, nil)}

	calls := []struct {
		method, path, idempotencyKey string
	}{
		{"GET", "/items/1", ""},
		{"GET", "/items/2", ""},           // 503, 503, then 200
		{"GET", "/items/3", ""},           // 429 Retry-After: 1, then 200
		{"GET", "/items/4", ""},           // hangs: cut at 300ms, then 200
		{"POST", "/orders", ""},           // 503: a POST without a key is never sent twice
		{"POST", "/orders", "order-7f3a"}, // 503, then retried because the key makes it safe
		{"GET", "/items/5", ""},           // 502 three times: gives up, the last 502 is the response
		{"GET", "/down", ""},              // two more failures: the breaker opens and refuses the third attempt
		{"GET", "/down", ""},              // refused at once: the server is spared
	}
	for i, c := range calls {
		var body io.Reader
		if c.method == http.MethodPost {
			body = strings.NewReader(`{"sku":"A-1"}`)
		}
		req, err := http.NewRequestWithContext(context.Background(), c.method, srv.URL+c.path, body)
		if err != nil {
			return err
		}
		if c.idempotencyKey != "" {
			req.Header.Set("Idempotency-Key", c.idempotencyKey)
		}
		fmt.Fprintf(out, "call %d: %s %s", i+1, c.method, c.path)
		if c.idempotencyKey != "" {
			fmt.Fprint(out, " (Idempotency-Key)")
		}
		fmt.Fprintln(out)
		start, before := time.Now(), requests.Load()
		resp, err := client.Do(req)
		sent := requests.Load() - before
		if err != nil {
			fmt.Fprintf(out, "  => error after %d request(s): %v\n", sent, err)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		fmt.Fprintf(out, "  => %s after %d request(s) in %s\n", resp.Status, sent, time.Since(start).Round(10*time.Millisecond))
	}
	if err := bulkheadDemo(out, srv.URL, logger, slowArrived, slowRelease, &requests); err != nil {
		return err
	}
	return keysDemo(out, logger)
}

// bulkheadDemo shows a bulkhead of one slot: a slow call holds it, and the
// next call through the same pipeline is refused at once, never sent.
func bulkheadDemo(out io.Writer, url string, logger *slog.Logger, arrived <-chan struct{}, release chan<- struct{}, requests *atomic.Int64) error {
	reports := paved.New("reports",
		timeout.MustNew(10*time.Second),
		bulkhead.MustNew(1), // one report at a time; no waiting (WithMaxWait)
		paved.WithTelemetry(telemetry.New(telemetry.WithLogger(logger))),
	)
	client := &http.Client{Transport: pavedhttp.NewTransport(reports, nil)}
	fmt.Fprintln(out, "call 10: GET /slow (holds the reports bulkhead's only slot)")
	slow := make(chan string, 1)
	go func() {
		resp, err := client.Get(url + "/slow")
		if err != nil {
			slow <- "error: " + err.Error()
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		slow <- resp.Status
	}()
	<-arrived
	fmt.Fprintln(out, "call 11: GET /items/6 while call 10 runs")
	before := requests.Load()
	resp, err := client.Get(url + "/items/6")
	if err == nil {
		_ = resp.Body.Close()
		close(release)
		return fmt.Errorf("call 11 was not refused: %s", resp.Status)
	}
	fmt.Fprintf(out, "  => error after %d request(s): %v\n", requests.Load()-before, err)
	close(release)
	fmt.Fprintf(out, "call 10  => %s\n", <-slow)
	return nil
}
