// Command idempotency shows a keyless POST becoming safe to retry:
//
//	go run ./examples/idempotency
//
// A server guards its charges endpoint with pavedhttp.NewIdempotencyHandler.
// The first response to every new charge is lost on the way back (a 502
// from a flaky proxy), after the charge was made. A plain paved client sends
// the keyless POST once and gives up, since repeating it might charge twice.
// With pavedhttp.WithIdempotencyKeys the client gives the POST a fresh
// Idempotency-Key, the retry reuses it, and the server answers it with the
// stored response, marked Idempotent-Replayed: the card is charged once.
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/retry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "idempotency:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	var charges atomic.Int32
	charge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := charges.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"charge":"ch_%d"}`, n)
	})
	guarded := pavedhttp.NewIdempotencyHandler(idempotency.MustNew(), charge)
	// The proxy in front loses the first response to each request it has
	// not seen before (by key, or every keyless one).
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		lose := key == "" || !seen[key]
		seen[key] = true
		mu.Unlock()
		if lose {
			guarded.ServeHTTP(httptest.NewRecorder(), r) // the charge is made...
			w.WriteHeader(http.StatusBadGateway)         // ...and its answer lost
			return
		}
		guarded.ServeHTTP(w, r)
	}))
	defer srv.Close()

	rt := retry.MustNew(retry.WithMaxAttempts(3), retry.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	for _, keys := range []bool{false, true} {
		var opts []pavedhttp.Option
		name := "plain client"
		if keys {
			opts, name = append(opts, pavedhttp.WithIdempotencyKeys()), "WithIdempotencyKeys"
		}
		client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("payments", rt), nil, opts...)}
		before := charges.Load()
		resp, err := client.Post(srv.URL+"/charges", "application/json", strings.NewReader(`{"amount":10}`))
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "%-20s -> %d %s replayed=%q, card charged %d time(s)\n", name, resp.StatusCode,
			strings.TrimSpace(string(body)), resp.Header.Get("Idempotent-Replayed"), charges.Load()-before)
	}
	return nil
}
