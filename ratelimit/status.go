package ratelimit

import (
	"context"
	"time"
)

// Status is a caller's quota as a limiter sees it after a decision: what the
// server adapters send in the RateLimit-Policy and RateLimit fields (IETF
// httpapi draft "RateLimit header fields for HTTP", revision -10):
//
//	RateLimit-Policy: "default";q=100;w=10
//	RateLimit: "default";r=42;t=3
//
// A token bucket has no fixed windows, so the fields are read this way:
// Quota is what the rate refills over Window, the shortest whole number of
// seconds in which it refills at least the burst (WithWindow overrides it);
// Remaining is the requests the caller may send at once now (the tokens in
// its bucket); Reset is, when Remaining is 0, the time until the next request
// is admitted, else the time until the bucket is full again.
type Status struct {
	// Policy names the limit (WithName; default "default").
	Policy string
	// Quota is the number of requests the rate admits per Window.
	Quota int64
	// Window is the period Quota is given for, whole seconds.
	Window time.Duration
	// Remaining is how many requests would be admitted now, at once.
	Remaining int64
	// Reset is when the quota returns: see the type's doc.
	Reset time.Duration
}

// statusCtx carries the Status of the call's admission by a Keyed limiter to
// the handler it runs, one allocation per admitted call; parent is the
// Status of a limiter further out, so a handler can report every limit.
type statusCtx struct {
	context.Context
	status Status
	parent *statusCtx
}

type statusKey struct{}

func (c *statusCtx) Value(key any) any {
	if _, ok := key.(statusKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func withStatus(ctx context.Context, s Status) context.Context {
	parent, _ := ctx.Value(statusKey{}).(*statusCtx)
	return &statusCtx{Context: ctx, status: s, parent: parent}
}

// AppendStatuses appends to dst the Status of every PerKey limiter that
// admitted the call ctx belongs to, the innermost first, and returns the
// extended slice. The server adapters call it to send RateLimit fields on
// successful responses too; a handler may call it to report its limits
// itself.
func AppendStatuses(dst []Status, ctx context.Context) []Status {
	c, _ := ctx.Value(statusKey{}).(*statusCtx)
	for ; c != nil; c = c.parent {
		dst = append(dst, c.status)
	}
	return dst
}

// ceilSeconds rounds d up to whole seconds: a client told to wait 1.2s
// that waits 1s is refused again.
func ceilSeconds(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Second - 1) / time.Second * time.Second
}
