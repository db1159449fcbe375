package pavedhttp

import (
	"net/http"
	"time"
)

// MaxRetryAfter is the largest delay ParseRetryAfter returns. A server that
// asks for more is clamped to it: the value is only a hint, and the retry
// policy clamps it again to its own maximum delay (docs/reference.md,
// "Pushback").
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter parses the value of a Retry-After header (RFC 9110
// §10.2.3): either delay-seconds, a non-negative decimal integer, or an
// HTTP-date in any of the three forms RFC 9110 §5.6.7 says a recipient must
// accept (IMF-fixdate, the obsolete RFC 850 form and ANSI C's asctime form).
// A date is turned into a delay relative to now; a date in the past gives 0.
//
// It reports false for anything else: empty values, signs, fractions, spaces
// inside the number, garbage. The delay is never negative and never more than
// MaxRetryAfter, however many digits the server sent.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = trimOWS(v)
	if v == "" {
		return 0, false
	}
	if c := v[0]; c >= '0' && c <= '9' {
		return parseDelaySeconds(v)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now) // saturates instead of overflowing
	switch {
	case d < 0:
		return 0, true
	case d > MaxRetryAfter:
		return MaxRetryAfter, true
	}
	return d, true
}

// parseDelaySeconds parses 1*DIGIT, clamping at MaxRetryAfter so that no
// number of digits can overflow.
func parseDelaySeconds(v string) (time.Duration, bool) {
	const maxSeconds = int64(MaxRetryAfter / time.Second)
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= maxSeconds { // past the clamp, keep validating digits only
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxSeconds {
		return MaxRetryAfter, true
	}
	return time.Duration(n) * time.Second, true
}

// trimOWS removes optional whitespace (SP, HTAB) around a field value, which
// RFC 9110 §5.5 allows and net/http's header parsing usually already strips.
func trimOWS(v string) string {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}
