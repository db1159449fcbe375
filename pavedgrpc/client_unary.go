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
// A call whose attempts may run at once (paved.Call.Concurrent: a repeatable
// method, which hedge may send twice together) has each attempt receive into a
// reply message of its own, since hedged attempts must not write the caller's
// reply together; when the call ends, the final attempt's reply is moved into
// the caller's (a shallow move of the top-level fields, no deep copy). A call
// sent once receives straight into the caller's reply, as a bare call does.
// The final attempt's header, trailer and peer go to the caller's
// grpc.Header, grpc.Trailer and grpc.Peer options. A reply that is neither a
// proto.Message nor a pointer cannot be duplicated: such calls make exactly
// one attempt.
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
		u := &unaryCall{
			method:  method,
			req:     req,
			reply:   reply,
			cc:      cc,
			invoker: invoker,
			opts:    scanCallOptions(callOpts),
		}
		u.replyType, u.dup = replyTypeOf(reply)
		u.info = paved.CallInfo{
			Operation:  method,
			Classifier: classifier,
			Data:       u,
		}
		u.info.UnsafeReason = unsafeReason(u.dup, u.opts.unrepeatable, cfg, method)
		u.info.Unrepeatable = u.info.UnsafeReason != ""
		if u.info.Unrepeatable {
			var keyed bool
			if ctx, keyed = cfg.keyed(ctx, method, u.info.UnsafeReason); keyed { // an idempotency key makes it repeatable
				u.info.Unrepeatable, u.info.Sequential, u.info.UnsafeReason = false, true, reasonKeyed
			}
		}
		c, err := p.ExecuteWith(ctx, &u.info, sendUnary)
		if a := c.Final(); a != nil {
			if v, ok := a.Result(); ok {
				if r, ok := v.(*unaryResult); ok {
					if err == nil && !r.callers {
						moveReply(reply, r.reply)
					}
					u.opts.deliver(&r.callVars)
				} else if err == nil {
					err = substituteReply(reply, v) // a fallback's (paved.Call.Substitute)
					u.opts.deliver(&callVars{})
				}
			}
			a.Release()
		}
		return callerError(err, cfg)
	}
}

// unaryCall is one unary call's state, shared by its attempts, and reached by
// them through paved.Call.Data: one allocation carries the call's info, what
// the attempts send, and the first attempt's result.
type unaryCall struct {
	info      paved.CallInfo
	method    string
	req       any
	reply     any // the caller's
	cc        *grpc.ClientConn
	invoker   grpc.UnaryInvoker
	opts      callOptions
	dup       bool        // reply's type can be made afresh
	replyType replyType   // read before any attempt runs
	first     unaryResult // attempt 1's; later attempts allocate their own
}

// unaryResult is what one attempt of a unary call produced.
type unaryResult struct {
	reply   any
	callers bool // reply is the caller's own: nothing to move
	callVars
	optBuf [3]grpc.CallOption // backs the attempt's options when they fit (the trailer's, the peer's and one of the caller's)
}

// sendUnary is the Op of every attempt: it sends the request, receiving into
// the attempt's reply, records the result on the attempt, and turns a failure
// into a *StatusError so every policy sees its outcome.
//
// Attempt 1 of a call that is not Concurrent receives into the caller's reply:
// policies repeat such a call only after its previous attempt returned (retry
// never repeats an unrepeatable one; hedge never runs one twice at once), so
// no other attempt can write the caller's reply while attempt 1 does. Every
// other attempt gets a fresh message, moved into the caller's if it is final.
func sendUnary(ctx context.Context) error {
	a := paved.AttemptFrom(ctx)
	c := a.Call()
	u := c.Data().(*unaryCall)
	var r *unaryResult
	if a.Number() == 1 {
		r = &u.first
	} else {
		r = &unaryResult{}
	}
	if u.dup && (a.Number() > 1 || c.Concurrent()) {
		r.reply = u.replyType.new()
	} else {
		r.reply, r.callers = u.reply, true
	}
	unrepeatable := !c.SafeToRepeat()
	ctx = withCriticality(withAttempt(ctx, a.Number()), c)
	err := u.invoker(ctx, u.method, u.req, r.reply, u.cc, u.opts.attemptOptions(&r.callVars, true, unrepeatable, r.optBuf[:0])...)
	a.SetResult(r, nil)
	if err != nil {
		e := newStatusError(err, r.trailer)
		if e.unsent = unrepeatable && r.callVars.unsent(err); e.unsent {
			a.MarkUnsent()
		}
		return e
	}
	return nil
}

// replyType makes empty replies of the caller's reply type.
type replyType struct {
	proto protoreflect.MessageType // for a proto.Message
	ptr   reflect.Type             // else, for a non-nil pointer
}

// replyTypeOf returns reply's type, and whether empty replies can be made of
// it: reply is a proto.Message or a non-nil pointer. It runs in the caller's
// goroutine before any attempt does: an attempt that read the caller's reply
// later (ProtoReflect loads its state) would race with another attempt
// receiving into it.
func replyTypeOf(reply any) (replyType, bool) {
	if m, ok := reply.(proto.Message); ok {
		return replyType{proto: m.ProtoReflect().Type()}, true
	}
	t := reflect.TypeOf(reply)
	if t == nil || t.Kind() != reflect.Pointer || reflect.ValueOf(reply).IsNil() {
		return replyType{}, false
	}
	return replyType{ptr: t.Elem()}, true
}

// new returns an empty reply.
func (t replyType) new() any {
	if t.proto != nil {
		return t.proto.New().Interface()
	}
	return reflect.New(t.ptr).Interface()
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
