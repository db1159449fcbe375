package pavedhttp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/felixge/httpsnoop"

	"github.com/paved-go/paved"
)

// DoNotRetryHeader is the response header a paved server (NewHandler) adds to
// a failure when the tier below it already retried and gave up, or was
// refused by paved's own policies: "retry at one layer". Its value is the
// structured-field boolean "?1" (RFC 8941). The status is unchanged, so a
// client that does not know the header sees what it would have seen; a paved
// client (NewTransport) reads it as gRPC's "do not retry" pushback: its
// retry and hedge make no further attempt. Clients of other stacks can read
// it the same way.
const DoNotRetryHeader = "Paved-Do-Not-Retry"

// AttemptHeader carries, on every resend a paved client makes, which attempt
// of the call it is ("2", "3", ...): a server sees that it is serving a
// retry (paved.Call.CallerAttempt, and the resilience.caller_attempt
// attribute of its call span). The first attempt sends none.
const AttemptHeader = "Paved-Attempt"

// doNotRetry reports whether a response's DoNotRetryHeader says so: "?1"
// (the structured-field boolean), or "1" or "true" as other stacks may
// write it. Anything else is ignored.
func doNotRetry(h http.Header) bool {
	v := strings.TrimSpace(h.Get(DoNotRetryHeader))
	return v == "?1" || v == "1" || strings.EqualFold(v, "true")
}

// callerAttempt reads AttemptHeader: a positive integer of at most 2 digits
// (paved makes at most 10 attempts); 0 for anything else.
func callerAttempt(h http.Header) int {
	v := h.Get(AttemptHeader)
	if len(v) == 0 || len(v) > 2 {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// setAttemptHeader marks r, the attempt's own copy of the request, with its
// attempt number when it is a resend. Its header is cloned: the caller's is
// never modified.
func setAttemptHeader(r *http.Request, n int) {
	if n < 2 {
		return
	}
	h := r.Header.Clone()
	if h == nil {
		h = make(http.Header, 1)
	}
	h[AttemptHeader] = []string{strconv.Itoa(n)}
	r.Header = h
}

// retryableStatus reports the statuses a client would retry: the ones a
// DoNotRetryHeader means something on.
func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// tellNoRetry wraps w so that a failure status written while call's
// downstream calls have given up (paved.Call.DownstreamGaveUp) carries
// DoNotRetryHeader. httpsnoop keeps every optional interface of w (Flusher,
// Hijacker, ...), which a hand-written wrapper would hide.
func tellNoRetry(w http.ResponseWriter, call *paved.Call) http.ResponseWriter {
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				if retryableStatus(code) && call.DownstreamGaveUp() {
					if h := w.Header(); h.Get(DoNotRetryHeader) == "" {
						h.Set(DoNotRetryHeader, "?1")
					}
				}
				next(code)
			}
		},
	})
}
