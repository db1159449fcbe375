// Command example is a small service instrumented by paved whose metrics a
// Prometheus scrapes: the service that deploy/prometheus's alerts and
// deploy/grafana's dashboard are tested against.
//
// It serves GET /checkout through pavedhttp.NewHandler (pipeline
// "checkout": a rate limit per caller and load shedding); each checkout calls a dependency, "inventory", through the
// README's client pipeline (total timeout, retry, breaker, adaptive bulkhead,
// attempt timeout).
// A built-in load generator calls /checkout at a fixed rate, and paved's
// OpenTelemetry metrics are exported at /metrics by the OpenTelemetry
// Prometheus exporter. Without -dependency it calls a built-in inventory
// that is down for the first -outage of every -cycle, so that the breaker
// alert fires and clears while you watch:
//
//	go run ./example -listen 127.0.0.1:9464
//	prometheus --config.file=prometheus.yml   # scraping 127.0.0.1:9464
//
// docs/metrics.md lists the metrics as Prometheus names them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"
)

func main() {
	cfg := config{}
	var duration time.Duration
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:9464", "address serving /checkout and /metrics")
	flag.StringVar(&cfg.Dependency, "dependency", "", "base URL of the inventory dependency (empty: a built-in one with periodic outages)")
	flag.Float64Var(&cfg.RPS, "rps", 20, "checkouts per second the load generator sends")
	flag.DurationVar(&cfg.Outage, "outage", 30*time.Second, "built-in dependency: how long it is down in each cycle")
	flag.DurationVar(&cfg.Cycle, "cycle", 2*time.Minute, "built-in dependency: length of one up-and-down cycle")
	flag.DurationVar(&duration, "duration", 0, "stop after this long (0: run until interrupted)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	cfg.Ready = func(addr string) { fmt.Printf("serving /checkout and /metrics on http://%s\n", addr) }
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}
