package chaoshttp

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/paved-go/paved/chaos"
)

// Transport is an http.RoundTripper that disturbs a share of the round trips
// to its base with a Chaos's fault. Make one with NewTransport. Under a
// pavedhttp.Transport, it disturbs each attempt, and every paved policy sees
// the fault as it would a real server's answer; under a plain http.Client,
// it disturbs each request. It is safe for concurrent use.
//
// The faults, on a picked round trip:
//
//   - chaos.Latency and the like: wait, then send to base;
//   - chaos.Hang: wait until the request's context ends, return its error;
//   - chaos.Error, chaos.ErrorOutcome: return the fault's error;
//   - Status: return a made-up response with that status;
//   - Reset: return the error a connection reset gives.
//
// Only latency faults reach base. The request's body is closed, as the
// RoundTripper contract asks, whenever base is not called.
type Transport struct {
	c    *chaos.Chaos
	base http.RoundTripper
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport that disturbs the round trips to base
// (nil means http.DefaultTransport) with c. It panics if c is nil or its
// fault is one only another transport applies (chaosgrpc.Code): a
// programmer error.
func NewTransport(c *chaos.Chaos, base http.RoundTripper) *Transport {
	mustHTTPFault(c)
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{c: c, base: base}
}

// RoundTrip sends req to base, or disturbs it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	in, ok := t.c.Pick(ctx)
	if !ok {
		return t.base.RoundTrip(req)
	}
	resp, err, send := apply(ctx, in, req)
	if send {
		return t.base.RoundTrip(req)
	}
	closeBody(req)
	return resp, err
}

// apply works out a picked round trip: the response or error to return, or
// send when the request goes on to the server (after a latency fault's wait).
func apply(ctx context.Context, in chaos.Injection, req *http.Request) (_ *http.Response, _ error, send bool) {
	if err := in.Wait(ctx); err != nil {
		return nil, err, false
	}
	if err := in.Err(); err != nil {
		return nil, err, false
	}
	switch f := in.Fault.(type) {
	case StatusFault:
		return response(f, req), nil, false
	case resetFault:
		return nil, errReset(), false
	}
	return nil, nil, true
}

// response makes up the answer of a StatusFault.
func response(f StatusFault, req *http.Request) *http.Response {
	body := "chaos: injected " + strconv.Itoa(f.Code) + "\n"
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	if after := retryAfterSeconds(f); after != "" {
		h.Set("Retry-After", after)
	}
	return &http.Response{
		Status:        strconv.Itoa(f.Code) + " " + http.StatusText(f.Code),
		StatusCode:    f.Code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// retryAfterSeconds is f's Retry-After in whole seconds, rounded up; "" for none.
func retryAfterSeconds(f StatusFault) string {
	if f.RetryAfter <= 0 {
		return ""
	}
	secs := (f.RetryAfter + 999_999_999) / 1_000_000_000
	return strconv.FormatInt(int64(secs), 10)
}

func closeBody(req *http.Request) {
	if req.Body != nil && req.Body != http.NoBody {
		_ = req.Body.Close()
	}
}

// mustHTTPFault panics unless c can be applied to HTTP.
func mustHTTPFault(c *chaos.Chaos) {
	if c == nil {
		panic("chaoshttp: needs a *chaos.Chaos, got nil")
	}
	switch c.Fault().(type) {
	case StatusFault, resetFault:
		return
	}
	if chaos.IsGeneric(c.Fault()) {
		return
	}
	panic("chaoshttp: fault " + strconv.Quote(c.Fault().Name()) + " belongs to another transport")
}
