package pavedgrpc

import (
	"fmt"
	"reflect"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// substituteReply copies a fallback's substitute (package fallback; see
// paved.Call.Substitute) into the caller's reply. The substitute must be of
// the reply's type: a message of the same type, copied deeply (proto.Merge
// into the reset reply), so a fallback may hand out one cached message to
// every call; for a reply that is not a proto.Message, a pointer of the same
// type, whose value is copied. Anything else fails the call with INTERNAL,
// naming both types: a programmer error.
func substituteReply(reply, v any) error {
	if d, ok := reply.(proto.Message); ok {
		if s, ok := v.(proto.Message); ok && s.ProtoReflect().Descriptor() == d.ProtoReflect().Descriptor() {
			proto.Reset(d)
			proto.Merge(d, s)
			return nil
		}
	} else if dv, sv := reflect.ValueOf(reply), reflect.ValueOf(v); dv.Kind() == reflect.Pointer && !dv.IsNil() &&
		sv.IsValid() && sv.Type() == dv.Type() && !sv.IsNil() {
		dv.Elem().Set(sv.Elem())
		return nil
	}
	return status.Error(codes.Internal, fmt.Sprintf("pavedgrpc: the fallback's reply is %T, the call's is %T", v, reply))
}
