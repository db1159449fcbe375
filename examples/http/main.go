// Command http is a client and a server on loopback, both configured by one
// policy file (paved.yaml beside it):
//
//	go run ./examples/http          # 200 calls
//	go run ./examples/http -quick   # 40 calls, for CI
//
// The server admits requests through policy's Handler: each request's
// deadline is the client's (sent in a header) capped by server.deadline.max,
// its caller key is the X-Tenant header, each caller has its own rate limit,
// load is shed past an adaptive concurrency limit, and a keyed POST runs
// once (server.idempotency). The path in front of it fails now and then (a
// 503 every fifth request, a hang every seventh), and the
// client, built by policy's HTTPClient for the dependency "orders", rides
// through: 503s are retried with backoff, a hang is cut by the attempt
// timeout and retried, and POSTs carry an Idempotency-Key so that they may
// be retried. It prints how many calls succeeded and how many requests the
// server saw.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/policy"
)

//go:embed paved.yaml
var config []byte

func main() {
	quick := flag.Bool("quick", false, "make 40 calls instead of 200")
	flag.Parse()
	calls := 200
	if *quick {
		calls = 40
	}
	if err := run(os.Stdout, calls); err != nil {
		fmt.Fprintln(os.Stderr, "http:", err)
		os.Exit(1)
	}
}

// server is the example's service: its routes and what they saw.
type server struct {
	requests atomic.Int64
	mu       sync.Mutex
	tenants  map[string]int
	orders   map[string]int // runs of the handler per idempotency key
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.tenants[paved.CallInfoFrom(r.Context()).Key]++ // the caller key policy's Handler read
		s.orders[r.Header.Get("Idempotency-Key")]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintln(w, `{"status":"created"}`)
	})
	return mux
}

// flaky is the unreliable path in front of the service (a proxy, a busy
// instance): a 503 every fifth request and a hang every seventh. A 503
// answered by the handler itself would be stored by idempotency and
// replayed to the retry, as the Idempotency-Key draft says.
func (s *server) flaky(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := s.requests.Add(1); {
		case n%5 == 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case n%7 == 0:
			// Hangs until the client gives up the attempt (its attempt
			// timeout, which it also sends in the deadline header).
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
			http.Error(w, "timed out", http.StatusGatewayTimeout)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func run(out io.Writer, calls int) error {
	cfg, err := policy.Parse(config)
	if err != nil {
		return err
	}
	set := policy.New(cfg)

	srv := &server{tenants: map[string]int{}, orders: map[string]int{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.flaky(set.Handler(srv.routes())), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(lis) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}()

	// The client sends each attempt's deadline in the header the server reads.
	client := set.HTTPClient("orders", pavedhttp.WithDeadlineHeader(cfg.Server.Deadline.Header))
	url := "http://" + lis.Addr().String() + "/orders"
	ok := 0
	start := time.Now()
	for i := range calls {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"sku":"A-1"}`))
		if err != nil {
			return err
		}
		req.Header.Set("Idempotency-Key", "order-"+strconv.Itoa(i)) // makes the POST safe to retry (RS-3)
		req.Header.Set("X-Tenant", []string{"acme", "globex"}[i%2])
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintf(out, "call %d: %v\n", i, err)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusCreated {
			ok++
		} else {
			fmt.Fprintf(out, "call %d: %s\n", i, resp.Status)
		}
	}
	elapsed := time.Since(start)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	runs := 0
	for _, n := range srv.orders {
		runs += n
	}
	fmt.Fprintf(out, "%d of %d calls succeeded in %v; the server saw %d requests (%.2f a call), its handler ran %d times for %d orders, tenants %v\n",
		ok, calls, elapsed.Round(10*time.Millisecond), srv.requests.Load(),
		float64(srv.requests.Load())/float64(calls), runs, len(srv.orders), srv.tenants)
	if ok != calls {
		return fmt.Errorf("%d calls failed", calls-ok)
	}
	return nil
}
