package pavedhttp

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/net/http/httpguts"
)

// EnvoyDeadlineHeader is the header Envoy uses to tell an upstream how long
// it will wait for a request, in milliseconds. HTTP has no standard deadline
// header (docs/reference.md, "Timeouts and deadlines"); this is the recommended
// name for WithDeadlineHeader and WithServerDeadlineHeader, but no header is
// sent or read unless one of those options names it.
const EnvoyDeadlineHeader = "x-envoy-expected-rq-timeout-ms"

// maxDeadlineDigits bounds the header's value: at most 10 digits, about 115
// days, so parsing can never overflow and a client cannot make the value
// arbitrarily long.
const maxDeadlineDigits = 10

// maxDeadlineMillis is the largest value the header carries.
const maxDeadlineMillis = 9_999_999_999

// deadlineMillis formats the time left until deadline for the header: whole
// milliseconds rounded down, so the server never believes it has more time
// than the client will wait, but at least 1 (a positive value is the only
// valid one), and at most maxDeadlineMillis. It reports false when no time is
// left.
func deadlineMillis(deadline, now time.Time) (string, bool) {
	left := deadline.Sub(now)
	if left <= 0 {
		return "", false
	}
	ms := max(1, min(int64(left/time.Millisecond), maxDeadlineMillis))
	return strconv.FormatInt(ms, 10), true
}

// setDeadlineHeader sets the header name on r to the time left before ctx's
// deadline; without a deadline it leaves r alone. r must be the attempt's own
// shallow copy of the caller's request: its Header map is replaced by a
// clone, so the caller's is never modified.
func setDeadlineHeader(ctx context.Context, r *http.Request, name string) {
	dl, ok := ctx.Deadline()
	if !ok {
		return
	}
	v, ok := deadlineMillis(dl, time.Now())
	if !ok {
		return // the attempt's context is done; RoundTrip fails at once
	}
	h := r.Header.Clone()
	if h == nil {
		h = make(http.Header, 1)
	}
	h[name] = []string{v} // name is canonical (WithDeadlineHeader)
	r.Header = h
}

// ParseDeadlineHeader parses the value of a deadline header
// (WithServerDeadlineHeader): a positive decimal integer of milliseconds, at
// most 10 digits, with optional whitespace around it. It reports false for
// anything else — empty, zero, signs, fractions, units, more digits — and
// never panics; a server ignores such a header, as if it were absent.
func ParseDeadlineHeader(v string) (time.Duration, bool) {
	v = trimOWS(v)
	if v == "" || len(v) > maxDeadlineDigits {
		return 0, false
	}
	var ms int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		ms = ms*10 + int64(c-'0') // 10 digits cannot overflow int64
	}
	if ms == 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// validHeaderName panics with a message naming opt unless name is a valid
// HTTP field name: an empty or malformed name is a programmer error.
func validHeaderName(opt, name string) {
	if !httpguts.ValidHeaderFieldName(name) {
		panic("pavedhttp: " + opt + " needs a valid header name, got " + strconv.Quote(name))
	}
}
