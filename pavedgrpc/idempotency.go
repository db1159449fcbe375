package pavedgrpc

import (
	"context"
	"errors"
	"sync"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/paved-go/paved"
	idem "github.com/paved-go/paved/idempotency"
)

// Metadata keys of idempotency: the key a client sends (the gRPC twin of
// the Idempotency-Key header, same syntax) and the marker on a replayed
// answer's header.
const (
	IdempotencyKeyMetadata     = "idempotency-key"
	IdempotentReplayedMetadata = "idempotent-replayed"
)

// UnaryServerIdempotency is the server side of idempotency keys for unary
// calls (STANDARDS.md RS-11): a call carrying idempotency-key metadata runs
// its handler at most once per caller and key through g, and every repeat
// gets the first call's answer. The key has the Idempotency-Key header's
// syntax (idempotency.ParseHeader: the quoted or bare form, 1 to 255
// printable ASCII characters). Answers:
//
//   - the first call with a key runs the handler; its reply (marshalled
//     proto bytes) or its error status (code, message and details, as a
//     google.rpc.Status) is stored for the Guard's retention;
//   - a repeat after it completed gets the stored reply or status, with
//     header metadata idempotent-replayed: true, and the handler does not
//     run;
//   - a repeat while the first still runs: UNAVAILABLE, which clients retry
//     after a backoff (the HTTP side answers 409);
//   - the key with another request (method and deterministic proto
//     encoding of the request, digested): FAILED_PRECONDITION (HTTP 422);
//   - a missing key where WithKeyRequiredFor says one is needed, a
//     malformed key or two of them: INVALID_ARGUMENT (HTTP 400);
//   - the store failed or hung: UNAVAILABLE, and the handler does not run
//     (unless the Guard fails open);
//   - a reply larger than the Guard's storable limit reaches the first
//     caller; repeats get FAILED_PRECONDITION saying it was not kept, and
//     the handler never runs twice for it.
//
// A handler that panics, or that fails because its call's context ended
// (the caller went away: CANCELLED or DEADLINE_EXCEEDED with the context
// done), releases the key so a retry runs it again. Calls without a key run
// unguarded, as do methods whose reply type is not in the proto registry
// (it is needed to rebuild a stored reply). Header and trailer metadata the
// handler sets are not stored.
//
// Keys are scoped by caller: the caller key that UnaryServerInterceptor's
// WithKeyFunc puts on the call (chain this interceptor after it), or
// WithIdempotencyScopeFunc's. g must not be nil.
func UnaryServerIdempotency(g *idem.Guard, opts ...IdempotencyOption) grpc.UnaryServerInterceptor {
	if g == nil {
		panic("pavedgrpc: UnaryServerIdempotency needs an *idem.Guard, got nil")
	}
	var cfg idemConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		vals := md.Get(IdempotencyKeyMetadata)
		switch {
		case len(vals) == 0 && cfg.required != nil && cfg.required(info.FullMethod):
			return nil, status.Error(codes.InvalidArgument, "idempotency: this method needs idempotency-key metadata")
		case len(vals) == 0:
			return handler(ctx, req)
		case len(vals) > 1:
			return nil, status.Error(codes.InvalidArgument, "idempotency: more than one idempotency-key value")
		}
		key, err := idem.ParseHeader(vals[0])
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, "idempotency-key: "+err.Error())
		}
		replyType, ok := replyTypeOfMethod(info.FullMethod)
		if !ok {
			return handler(ctx, req)
		}
		r := idem.Request{Key: key, Fingerprint: fingerprintCall(info.FullMethod, req)}
		if cfg.scope != nil {
			r.Scope = cfg.scope(ctx)
		} else {
			r.Scope = paved.CallInfoFrom(ctx).Key
		}
		var reply any
		var handlerErr error
		res, err := g.Do(ctx, r, func(ctx context.Context) (*idem.Response, error) {
			reply, handlerErr = handler(ctx, req)
			if handlerErr != nil {
				st := status.Convert(handlerErr)
				if (st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded) && ctx.Err() != nil {
					return nil, handlerErr // the caller went away: nobody got an answer, so none is kept
				}
				b, err := proto.Marshal(st.Proto())
				if err != nil {
					return nil, handlerErr
				}
				return &idem.Response{Code: int(st.Code()), Body: b}, nil
			}
			m, ok := reply.(proto.Message)
			if !ok {
				return nil, status.Error(codes.Internal, "idempotency: the handler's reply is not a proto.Message")
			}
			b, err := proto.Marshal(m)
			if err != nil {
				return nil, status.Errorf(codes.Internal, "idempotency: marshalling the reply: %v", err)
			}
			return &idem.Response{Code: int(codes.OK), Body: b}, nil
		})
		switch {
		case err != nil && handlerErr != nil && errors.Is(err, handlerErr):
			return reply, handlerErr // released: the handler's own answer
		case err != nil:
			return nil, idempotencyStatus(ctx, err)
		case !res.Replayed:
			return reply, handlerErr
		}
		_ = grpc.SetHeader(ctx, metadata.Pairs(IdempotentReplayedMetadata, "true"))
		return replayReply(res.Response, replyType)
	}
}

// IdempotencyOption configures UnaryServerIdempotency.
type IdempotencyOption func(*idemConfig)

type idemConfig struct {
	required func(method string) bool
	scope    func(ctx context.Context) string
}

// WithKeyRequiredFor makes the methods f names (full names,
// "/pkg.Svc/Method") need idempotency-key metadata: a call without it gets
// INVALID_ARGUMENT and does not run. Default: none; calls without a key run
// unguarded.
func WithKeyRequiredFor(f func(method string) bool) IdempotencyOption {
	return func(c *idemConfig) { c.required = f }
}

// WithIdempotencyScopeFunc sets who is asking, the scope keys live in,
// read from the call's context (its authenticated peer or metadata).
// Default: the caller key of the UnaryServerInterceptor this runs inside
// (its WithKeyFunc), else none, which makes every caller share one scope.
// A nil f keeps the default.
func WithIdempotencyScopeFunc(f func(ctx context.Context) string) IdempotencyOption {
	return func(c *idemConfig) {
		if f != nil {
			c.scope = f
		}
	}
}

// idempotencyStatus turns a Guard's refusal into the call's status.
func idempotencyStatus(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, idem.ErrConflict):
		return status.Error(codes.Unavailable, idem.ErrConflict.Error())
	case errors.Is(err, idem.ErrMismatch):
		return status.Error(codes.FailedPrecondition, idem.ErrMismatch.Error())
	case errors.Is(err, idem.ErrInvalidKey), errors.Is(err, idem.ErrMissingKey):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, idem.ErrUnavailable):
		return status.Error(codes.Unavailable, idem.ErrUnavailable.Error()) // the store's error may name hosts
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Error(codes.Internal, "idempotency: "+err.Error())
}

// replayReply rebuilds a stored answer.
func replayReply(resp *idem.Response, mt protoreflect.MessageType) (any, error) {
	if resp.BodyOmitted {
		return nil, status.Error(codes.FailedPrecondition, "idempotency: the first call with this key ran, and its reply was larger than the store keeps; it is not run again")
	}
	if codes.Code(resp.Code) != codes.OK {
		st := &spb.Status{}
		if err := proto.Unmarshal(resp.Body, st); err != nil {
			return nil, status.Error(codes.Internal, "idempotency: stored status is corrupt")
		}
		return nil, status.ErrorProto(st)
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(resp.Body, m); err != nil {
		return nil, status.Error(codes.Internal, "idempotency: stored reply is corrupt")
	}
	return m, nil
}

// fingerprintCall digests what a call asks: its method and the
// deterministic encoding of its request.
func fingerprintCall(method string, req any) string {
	var b []byte
	if m, ok := req.(proto.Message); ok {
		b, _ = proto.MarshalOptions{Deterministic: true}.Marshal(m)
	}
	return idem.Fingerprint([]byte(method), b)
}

// replyTypes caches replyTypeOfMethod by full method name. Only methods
// found in the registry are cached, so it is bounded by the registered
// descriptors whatever names callers send.
var replyTypes sync.Map // string -> protoreflect.MessageType

// replyTypeOfMethod finds the reply type of method in the proto registry.
func replyTypeOfMethod(method string) (protoreflect.MessageType, bool) {
	if v, ok := replyTypes.Load(method); ok {
		return v.(protoreflect.MessageType), true
	}
	md, ok := findMethod(method)
	if !ok {
		return nil, false
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return nil, false
	}
	replyTypes.Store(method, mt)
	return mt, true
}
