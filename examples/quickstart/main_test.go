package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickstartStory keeps the newcomer's demo honest: each call ends as the
// comments in main.go say it does.
func TestQuickstartStory(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"call 2: GET /items/2\n  - retry: attempt 2 in",
		"=> 200 OK after 3 request(s)",
		"because of 429",
		"timeout: attempt 1 cut after 300ms",
		"retries_exhausted after 3 attempts (max_attempts)",
		"=> 502 Bad Gateway after 3 request(s)",
		"call 5: POST /orders\n  - not retried: POST without Idempotency-Key\n  => 503 Service Unavailable after 1 request(s)",
		"call 6: POST /orders (Idempotency-Key)\n  - retry: attempt 2",
		"call 8: GET /down\n  - retry: attempt 2",
		"  - breaker opened\n",
		"  - breaker refused attempt 3",
		"retries_exhausted after 3 attempts (refused), the last answer stands: 503\n  => 503 Service Unavailable after 2 request(s)",
		"call 9: GET /down\n  - breaker refused attempt 1",
		"=> error after 0 request(s)",
		"breaker: open",
		"call 11: GET /items/6 while call 10 runs\n  - bulkhead full: attempt 1 refused\n  => error after 0 request(s)",
		"bulkhead: full",
		"call 10  => 200 OK",
		"call 12: POST /payments (no Idempotency-Key; the transport adds one)\n  - retry: attempt 2",
		"=> 201 Created after 2 request(s), the same key on each: true",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
