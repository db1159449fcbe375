package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/timeout"
)

// keysDemo shows a POST without an Idempotency-Key made safe to retry: the
// transport, given WithIdempotencyKeys, adds a fresh key, and the retry
// sends the same one, so a server that stores keys (pavedhttp's
// NewIdempotencyHandler) runs the charge once.
func keysDemo(out io.Writer, logger *slog.Logger) error {
	var (
		mu   sync.Mutex
		keys []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		first := len(keys) == 1
		mu.Unlock()
		if first {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	payments := paved.New("payments",
		timeout.MustNew(10*time.Second),
		retry.MustNew(retry.WithBackoff(50*time.Millisecond, time.Second)),
		timeout.MustNew(300*time.Millisecond),
		paved.WithTelemetry(telemetry.New(telemetry.WithLogger(logger))),
	)
	client := &http.Client{Transport: pavedhttp.NewTransport(payments, nil, pavedhttp.WithIdempotencyKeys())}
	fmt.Fprintln(out, "call 12: POST /payments (no Idempotency-Key; the transport adds one)")
	resp, err := client.Post(srv.URL+"/payments", "application/json", strings.NewReader(`{"amount":100}`))
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	same := len(keys) == 2 && keys[0] != "" && keys[0] == keys[1]
	fmt.Fprintf(out, "  => %s after %d request(s), the same key on each: %v\n", resp.Status, len(keys), same)
	return nil
}
