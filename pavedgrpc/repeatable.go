package pavedgrpc

import (
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The reasons retry and hedge report when they decline to repeat a call
// (paved.CallInfo.UnsafeReason): fixed phrases, so telemetry stays small.
const (
	reasonNotDeclared  = "method not declared repeatable (idempotency_level or WithRepeatable)"
	reasonUnrepeatable = "method marked unrepeatable (WithUnrepeatable or the Unrepeatable call option)"
	reasonReply        = "reply is neither a proto.Message nor a pointer, so it cannot be duplicated"
)

// unsafeReason says why a call of method may not be repeated, or "" when it
// may: dup is whether its reply can be duplicated, unrepeatable whether the
// caller's call options say it must be sent once.
func unsafeReason(dup, unrepeatable bool, c *config, method string) string {
	switch {
	case !dup:
		return reasonReply
	case unrepeatable || (c.unrepeatable != nil && c.unrepeatable(method)):
		return reasonUnrepeatable
	case c.sendOnce(method):
		return reasonNotDeclared
	}
	return ""
}

// sendOnce reports whether calls of method (full name, "/pkg.Svc/Method")
// must be sent exactly once. A method is repeatable (retried and hedged) only
// when its proto declares it free of side effects or idempotent, or
// WithRepeatable says so, and WithUnrepeatable does not: the server may have
// acted on an attempt that failed, so repeating what nobody declared safe
// could run it twice (gRPC's own retry likewise applies only to the methods a
// service config names).
func (c *config) sendOnce(method string) bool {
	if c.unrepeatable != nil && c.unrepeatable(method) {
		return true
	}
	if c.declared(method) {
		return false
	}
	return c.repeatable == nil || !c.repeatable(method)
}

// methodRepeat is declaredRepeatable's answer for one method.
type methodRepeat struct {
	method     string
	repeatable bool
}

// declared is declaredRepeatable, answering for the first method the
// interceptor saw from its own copy: most clients call one method, or one
// above all, and comparing a string costs less than hashing it for the
// shared map. Only the first is kept, so clients alternating methods never
// allocate for it.
func (c *config) declared(method string) bool {
	if m := c.firstMethod.Load(); m != nil && m.method == method {
		return m.repeatable
	}
	r := declaredRepeatable(method)
	if c.firstMethod.Load() == nil {
		c.firstMethod.CompareAndSwap(nil, &methodRepeat{method: method, repeatable: r})
	}
	return r
}

// idempotency caches declaredRepeatable by full method name. Only methods
// found in the registry are cached, so the map is bounded by the registered
// descriptors whatever method names callers make up.
var idempotency sync.Map // string -> bool

// declaredRepeatable reports whether method's descriptor, looked up in
// protoregistry.GlobalFiles (where generated code registers it), has the
// method option idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT.
func declaredRepeatable(method string) bool {
	if v, ok := idempotency.Load(method); ok {
		return v.(bool)
	}
	md, ok := findMethod(method)
	if !ok {
		return false
	}
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	switch opts.GetIdempotencyLevel() {
	case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
		ok = true
	default:
		ok = false
	}
	idempotency.Store(method, ok)
	return ok
}

// findMethod finds the descriptor of "/pkg.Svc/Method" ("pkg.Svc.Method").
func findMethod(method string) (protoreflect.MethodDescriptor, bool) {
	name, ok := strings.CutPrefix(method, "/")
	i := strings.LastIndexByte(name, '/')
	if !ok || i <= 0 || i == len(name)-1 {
		return nil, false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name[:i] + "." + name[i+1:]))
	if err != nil {
		return nil, false
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	return md, ok
}
