package pavedgrpc

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
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
	vars         *callerVars       // nil when the caller passed none
	unrepeatable bool
}

// callerVars are the caller's grpc.Header, grpc.Trailer and grpc.Peer
// variables, kept apart so a call without them carries three nil slices less.
type callerVars struct {
	header  []*metadata.MD
	trailer []*metadata.MD
	peer    []*peer.Peer
}

// callVars are one attempt's own header, trailer and peer: grpc writes them
// when the attempt's RPC finishes, which for attempts running at once (or a
// discarded attempt finishing late, on grpc's goroutine) would otherwise be
// concurrent writes of the caller's variables. peer is allocated only when the
// caller asked for it.
type callVars struct {
	header  metadata.MD
	trailer metadata.MD
	peer    *peer.Peer // &peerBuf when recorded, else nil
	peerBuf peer.Peer
}

// unsent reports whether the attempt that recorded v was never carried by a
// connection: it recorded its peer, grpc left it empty, and the status is
// UNAVAILABLE. grpc fills the peer as soon as a stream exists on a transport
// (grpc.Peer's after hook reads the stream's context); a fail-fast RPC whose
// pick failed (connection refused, DNS, the channel in TRANSIENT_FAILURE)
// never gets one. The message of such an error is the same as a server's
// UNAVAILABLE, so the peer is the only reliable tell.
func (v *callVars) unsent(err error) bool {
	return v.peer != nil && v.peer.Addr == nil && status.Code(err) == codes.Unavailable
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
			cv := uc.callerVars()
			cv.header = append(cv.header, o.HeaderAddr)
		case grpc.TrailerCallOption:
			cv := uc.callerVars()
			cv.trailer = append(cv.trailer, o.TrailerAddr)
		case grpc.PeerCallOption:
			cv := uc.callerVars()
			cv.peer = append(cv.peer, o.PeerAddr)
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

// callerVars returns uc.vars, allocating it first if needed.
func (uc *callOptions) callerVars() *callerVars {
	if uc.vars == nil {
		uc.vars = &callerVars{}
	}
	return uc.vars
}

// wants reports which of its own variables an attempt records: the trailer
// when asked (the unary path reads its pushback) or when the caller wants it,
// the header when the caller wants it, and the peer when the caller wants it
// or when asked (an unrepeatable call, whose failure is retried only if no
// connection carried it: see callVars.unsent).
func (uc *callOptions) wants(trailer, peer bool) (t, h, p bool) {
	if v := uc.vars; v != nil {
		return trailer || len(v.trailer) > 0, len(v.header) > 0, peer || len(v.peer) > 0
	}
	return trailer, false, peer
}

// attemptOptions returns the options for one attempt, recording into v what
// the caller asked for; trailer always records the trailer (the unary path
// reads its pushback), peer the peer. buf, when its capacity holds them all,
// backs the result, saving an allocation per attempt; a nil buf costs one
// only when an option is added.
func (uc *callOptions) attemptOptions(v *callVars, trailer, peer bool, buf []grpc.CallOption) []grpc.CallOption {
	t, h, p := uc.wants(trailer, peer)
	n := len(uc.opts)
	out := uc.opts[:n:n]
	if extra := b2i(t) + b2i(h) + b2i(p); extra > 0 && cap(buf) >= n+extra {
		out = append(buf[:0], uc.opts...)
	}
	if t {
		out = append(out, grpc.Trailer(&v.trailer))
	}
	if h {
		out = append(out, grpc.Header(&v.header))
	}
	if p {
		v.peer = &v.peerBuf
		out = append(out, grpc.Peer(v.peer))
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deliver fills the caller's grpc.Header, grpc.Trailer and grpc.Peer
// variables from the final attempt's.
func (uc *callOptions) deliver(v *callVars) {
	cv := uc.vars
	if cv == nil {
		return
	}
	for _, h := range cv.header {
		*h = v.header
	}
	for _, t := range cv.trailer {
		*t = v.trailer
	}
	for _, p := range cv.peer {
		if v.peer != nil {
			*p = *v.peer
		} else {
			*p = peer.Peer{}
		}
	}
}
