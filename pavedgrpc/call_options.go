package pavedgrpc

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// unrepeatableOption is the CallOption Unrepeatable returns.
type unrepeatableOption struct{ grpc.EmptyCallOption }

// Unrepeatable marks one call as not safe to send twice (a non-idempotent
// request): retry and hedge make exactly one attempt of it.
//
//	client.Charge(ctx, req, pavedgrpc.Unrepeatable())
func Unrepeatable() grpc.CallOption { return unrepeatableOption{} }

// callOptions is what an interceptor learned from the caller's options.
type callOptions struct {
	opts         []grpc.CallOption // the caller's, minus header/trailer/peer
	header       []*metadata.MD
	trailer      []*metadata.MD
	peer         []*peer.Peer
	unrepeatable bool
}

// callVars are one attempt's own header, trailer and peer: grpc writes them
// when the attempt's RPC finishes, which for attempts running at once (or a
// discarded attempt finishing late, on grpc's goroutine) would otherwise be
// concurrent writes of the caller's variables.
type callVars struct {
	header  metadata.MD
	trailer metadata.MD
	peer    peer.Peer
}

// scanCallOptions takes out the options that write into the caller's
// variables: every attempt would write them at once. deliver fills them from
// the final attempt.
func scanCallOptions(opts []grpc.CallOption) callOptions {
	uc := callOptions{opts: opts}
	filtered := false
	for i, o := range opts {
		keep := false
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			uc.header = append(uc.header, o.HeaderAddr)
		case grpc.TrailerCallOption:
			uc.trailer = append(uc.trailer, o.TrailerAddr)
		case grpc.PeerCallOption:
			uc.peer = append(uc.peer, o.PeerAddr)
		case unrepeatableOption:
			uc.unrepeatable = true
			keep = true
		default:
			keep = true
		}
		switch {
		case !keep && !filtered:
			uc.opts = append(make([]grpc.CallOption, 0, len(opts)), opts[:i]...)
			filtered = true
		case keep && filtered:
			uc.opts = append(uc.opts, o)
		}
	}
	return uc
}

// attemptOptions returns the options for one attempt, recording into v what
// the caller asked for; trailer always records the trailer (the unary path
// reads its pushback). buf, when its capacity holds them all, backs the
// result, saving an allocation per attempt; a nil buf costs one only when an
// option is added.
func (uc *callOptions) attemptOptions(v *callVars, trailer bool, buf []grpc.CallOption) []grpc.CallOption {
	n := len(uc.opts)
	out := uc.opts[:n:n]
	if extra := uc.extra(trailer); extra > 0 && cap(buf) >= n+extra {
		out = append(buf[:0], uc.opts...)
	}
	if trailer || len(uc.trailer) > 0 {
		out = append(out, grpc.Trailer(&v.trailer))
	}
	if len(uc.header) > 0 {
		out = append(out, grpc.Header(&v.header))
	}
	if len(uc.peer) > 0 {
		out = append(out, grpc.Peer(&v.peer))
	}
	return out
}

// extra counts the options attemptOptions adds to the caller's.
func (uc *callOptions) extra(trailer bool) int {
	n := 0
	if trailer || len(uc.trailer) > 0 {
		n++
	}
	if len(uc.header) > 0 {
		n++
	}
	if len(uc.peer) > 0 {
		n++
	}
	return n
}

// deliver fills the caller's grpc.Header, grpc.Trailer and grpc.Peer
// variables from the final attempt's.
func (uc *callOptions) deliver(v *callVars) {
	for _, h := range uc.header {
		*h = v.header
	}
	for _, t := range uc.trailer {
		*t = v.trailer
	}
	for _, p := range uc.peer {
		*p = v.peer
	}
}
