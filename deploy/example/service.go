package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/timeout"
)

// config is what run needs; main fills it from flags, tests directly.
type config struct {
	Listen     string        // address for /checkout and /metrics
	Dependency string        // inventory's base URL; empty: a built-in flaky one
	RPS        float64       // checkouts per second from the load generator
	Outage     time.Duration // built-in dependency: down for this long ...
	Cycle      time.Duration // ... at the start of every cycle this long
	// BreakerOpen is how long the inventory breaker stays open (default the
	// breaker's own, 5s).
	BreakerOpen time.Duration
	Ready       func(addr string) // called once the listener is up
}

// run serves until ctx ends, then shuts down and returns.
func run(ctx context.Context, cfg config) error {
	if cfg.RPS <= 0 {
		return fmt.Errorf("rps: must be > 0, got %v", cfg.RPS)
	}
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	tel := telemetry.New(telemetry.WithMeterProvider(mp))

	dependency := cfg.Dependency
	if dependency == "" {
		stopDep, url, err := startFlakyInventory(cfg.Outage, cfg.Cycle)
		if err != nil {
			return err
		}
		defer stopDep()
		dependency = url
	}

	var breakerOpts []breaker.Option
	if cfg.BreakerOpen > 0 {
		breakerOpts = append(breakerOpts, breaker.WithOpenDuration(cfg.BreakerOpen))
	}
	inventory := paved.New("inventory",
		paved.WithTelemetry(tel),
		timeout.MustNew(2*time.Second),
		retry.MustNew(),
		breaker.MustNew("inventory", breakerOpts...),
		bulkhead.MustNewAdaptive(),
		timeout.MustNew(500*time.Millisecond),
	)
	client := &http.Client{Transport: pavedhttp.NewTransport(inventory, nil)}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	// The server side: each caller (the X-Caller header) may send 10
	// checkouts a second, and load beyond the service's concurrency is shed.
	checkout := paved.New("checkout", paved.WithTelemetry(tel),
		timeout.MustNew(3*time.Second),
		ratelimit.MustPerKey(10, 10),
		loadshed.MustNew(),
	)
	callerKey := pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Caller") })
	mux.Handle("GET /checkout", pavedhttp.NewHandler(checkout, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, dependency+"/items/42", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "inventory: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			http.Error(w, "inventory answered "+resp.Status, http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	}), callerKey))

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		generateLoad(ctx, "http://"+ln.Addr().String()+"/checkout", cfg.RPS)
	}()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	}
	wg.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// generateLoad calls url at rps, open loop (a call starts on schedule whatever
// the earlier ones do), until ctx ends; at most 64 calls are in flight. Four
// calls in five come from caller "batch", which sends more than its rate
// limit allows, the fifth from "web", which stays within it.
func generateLoad(ctx context.Context, url string, rps float64) {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rps))
	defer tick.Stop()
	slots := make(chan struct{}, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			continue // the service is too slow to keep up: skip this call
		}
		caller := "batch"
		if n%5 == 0 {
			caller = "web"
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			req.Header.Set("X-Caller", caller)
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
}
