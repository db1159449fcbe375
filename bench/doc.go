// Package bench compares paved with its peers, side by side in one run: the
// same compositions (retry alone, a breaker closed and open, a rate limiter, a
// bulkhead, the README pipeline of timeouts, retry and breaker, the full
// pipeline, HTTP over loopback, OpenTelemetry) written with paved, with
// failsafe-go, and with the underlying libraries called directly (gobreaker,
// golang.org/x/time/rate, context.WithTimeout): the floor a hand-written
// composition costs.
//
// It is its own module, so paved's go.mod never depends on the peers. Every
// benchmark is named Benchmark<Composition>/mode=<serial|parallel>/lib=<name>,
// so benchstat -col /lib puts the libraries side by side. run.sh runs them
// with -count, counts instructions per call with callgrind (load-independent)
// and writes RESULTS.md.
package bench
