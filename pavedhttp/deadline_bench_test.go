package pavedhttp_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// benchOverheadDeadline is benchOverhead with a request whose context has a
// deadline, as a request sent with a deadline header has.
func benchOverheadDeadline(b *testing.B, t http.RoundTripper) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := t.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
	}
}

// BenchmarkOverheadDeadlineOff is the baseline for BenchmarkOverheadDeadlineHeader:
// the same request without the option.
func BenchmarkOverheadDeadlineOff(b *testing.B) {
	benchOverheadDeadline(b, pavedhttp.NewTransport(paved.New("x"), stubRT{}))
}

// BenchmarkOverheadDeadlineHeader is what WithDeadlineHeader adds per
// attempt: reading the clock, formatting the milliseconds, and cloning the
// request's header so the caller's is never modified.
func BenchmarkOverheadDeadlineHeader(b *testing.B) {
	benchOverheadDeadline(b, pavedhttp.NewTransport(paved.New("x"), stubRT{},
		pavedhttp.WithDeadlineHeader(pavedhttp.EnvoyDeadlineHeader)))
}
