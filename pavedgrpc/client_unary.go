package pavedgrpc

import (
	"context"
	"reflect"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/paved-go/paved"
)

// UnaryClientInterceptor runs every unary call through p: retries, hedges,
// breakers and timeouts see each attempt's status, classified by Classify, and
// the server's grpc-retry-pushback-ms trailer as the paved.RetryAfter hint.
//
// Each attempt receives into a reply message of its own, because hedged
// attempts run at once and must not write the caller's reply together; when
// the call ends, the final attempt's reply is moved into the caller's (a
// shallow move of the top-level fields, no deep copy), and its header, trailer
// and peer go to the caller's grpc.Header, grpc.Trailer and grpc.Peer
// options. A reply that is neither a proto.Message nor a pointer cannot be
// duplicated: such calls make exactly one attempt.
//
// The error returned is what the final attempt's status was (a *StatusError;
// status.Code(err) is the server's code), or, when a policy refused the call
// or its deadline ran out before any attempt answered, a *StatusError with
// UNAVAILABLE / RESOURCE_EXHAUSTED (see WithRefusalCode), DEADLINE_EXCEEDED or
// CANCELLED that still matches the policy's sentinel with errors.Is.
//
// A call is sent exactly once unless its method is repeatable: declared
// idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT in its proto, or named by
// WithRepeatable; WithUnrepeatable and the Unrepeatable CallOption make any
// call single. p must not be nil.
func UnaryClientInterceptor(p *paved.Pipeline, opts ...Option) grpc.UnaryClientInterceptor {
	if p == nil {
		panic("pavedgrpc: UnaryClientInterceptor needs a *paved.Pipeline, got nil")
	}
	cfg := newConfig(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		fresh := replyFactory(reply)
		uc := scanCallOptions(callOpts)
		ctx = paved.WithCallInfo(ctx, paved.CallInfo{
			Operation:    method,
			Unrepeatable: fresh == nil || uc.unrepeatable || cfg.sendOnce(method),
			Classifier:   classifier,
		})
		c, err := p.Execute(ctx, func(ctx context.Context) error {
			r := &unaryResult{reply: reply}
			if fresh != nil {
				r.reply = fresh()
			}
			err := invoker(ctx, method, req, r.reply, cc, uc.attemptOptions(&r.callVars, true)...)
			paved.AttemptFrom(ctx).SetResult(r, nil)
			if err != nil {
				return newStatusError(err, r.trailer)
			}
			return nil
		})
		if a := c.Final(); a != nil {
			if v, ok := a.Result(); ok {
				r := v.(*unaryResult)
				if err == nil && fresh != nil {
					moveReply(reply, r.reply)
				}
				uc.deliver(&r.callVars)
			}
			a.Release()
		}
		return callerError(err, cfg)
	}
}

// unaryResult is what one attempt of a unary call produced.
type unaryResult struct {
	reply any
	callVars
}

// replyFactory returns a func making an empty reply of reply's type, or nil
// when reply's type cannot be made (not a proto.Message, not a pointer).
func replyFactory(reply any) func() any {
	if m, ok := reply.(proto.Message); ok {
		return func() any { return m.ProtoReflect().New().Interface() }
	}
	t := reflect.TypeOf(reply)
	if t == nil || t.Kind() != reflect.Pointer || reflect.ValueOf(reply).IsNil() {
		return nil
	}
	return func() any { return reflect.New(t.Elem()).Interface() }
}

// moveReply moves src's contents into dst, which has src's type. For a proto
// message it moves the populated top-level fields (sub-messages, lists and maps
// are shared, not copied: src is thrown away after), and the unknown fields.
func moveReply(dst, src any) {
	if d, ok := dst.(proto.Message); ok {
		proto.Reset(d)
		dm, sm := d.ProtoReflect(), src.(proto.Message).ProtoReflect()
		sm.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			dm.Set(fd, v)
			return true
		})
		if u := sm.GetUnknown(); len(u) > 0 {
			dm.SetUnknown(u)
		}
		return
	}
	reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(src).Elem())
}
