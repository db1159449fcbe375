package pavedhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/fallback"
)

// Fallback returns a fallback policy (package fallback, STANDARDS.md
// RS-16) for a pipeline under a Transport: when a call fails with one of
// the policy's outcomes (by default the dependency's failures and paved's
// refusals, a final 503 included), fn's response answers it in place of the
// failure, and RoundTrip returns that response with a nil error. The
// failed attempts' responses are drained and closed.
//
// fn gets the caller's request (never modify it) and the failure. Its
// response's Request is set to the caller's request when nil, and a nil
// Body reads as empty. A response nobody takes (a plain Pipeline.Run) has
// its body drained and closed. Returning (nil, nil) leaves the failure as
// it was; so does returning an error, except that when no response came
// (the connection failed) RoundTrip returns that error. Stale.Fallback
// serves the last good copy of a GET.
//
// Put the policy outermost in the pipeline, so it answers whatever the rest
// gave up with.
func Fallback(fn func(req *http.Request, err error) (*http.Response, error), opts ...fallback.Option) (*fallback.Fallback, error) {
	if fn == nil {
		return nil, errors.New("pavedhttp: Fallback needs a func, got nil")
	}
	return fallback.New(func(ctx context.Context, err error) (any, error) {
		req, ok := requestOf(ctx)
		if !ok {
			return nil, fmt.Errorf("pavedhttp: Fallback runs only in a pipeline under a pavedhttp Transport: %w", err)
		}
		resp, ferr := fn(req, err) //pavedvet:ignore RS-14 the substitute is the call's result: the caller of RoundTrip closes it
		switch {
		case ferr != nil:
			return nil, ferr
		case resp == nil:
			return nil, err
		}
		if resp.Request == nil {
			resp.Request = req
		}
		if resp.Body == nil {
			resp.Body = http.NoBody
		}
		return resp, nil
	}, append([]fallback.Option{fallback.WithRelease(discardResponse)}, opts...)...)
}

// requestOf returns the caller's request of the Transport call ctx belongs to.
func requestOf(ctx context.Context) (*http.Request, bool) {
	c := paved.CallFrom(ctx)
	if c == nil {
		return nil, false
	}
	rt, ok := c.Data().(*roundTrip)
	if !ok {
		return nil, false
	}
	return rt.req, true
}
