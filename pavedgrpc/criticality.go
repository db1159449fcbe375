package pavedgrpc

import (
	"context"

	"google.golang.org/grpc/metadata"

	"github.com/paved-go/paved"
)

// CriticalityKey is the metadata key that carries a call's criticality
// between paved tiers (STANDARDS.md RS-12): one of Google's names, as
// paved.Priority.WireName writes them — CRITICAL_PLUS, CRITICAL,
// SHEDDABLE_PLUS, SHEDDABLE.
//
// The client interceptors send it on every attempt of a call whose priority
// is not CRITICAL (the default, which needs no metadata): the priority given
// with paved.WithCallInfo, or the one inherited from the server call whose
// context the call was made with. Metadata the caller already put under the
// key is left alone. The server interceptors read it by default
// (PriorityFromMetadata), so load shedding drops the callers' sheddable work
// first and the handler's own calls carry the criticality on. Where callers
// are not trusted to claim CRITICAL_PLUS, WithPriorityFunc replaces it.
const CriticalityKey = "paved-criticality"

// PriorityFromMetadata returns the priority the incoming metadata of ctx
// names under CriticalityKey (paved.ParsePriority; the first value counts),
// or paved.PriorityUnset — critical — when it has none or an unknown value.
// It is the server interceptors' default priority function.
func PriorityFromMetadata(ctx context.Context) paved.Priority {
	vs := metadata.ValueFromIncomingContext(ctx, CriticalityKey)
	if len(vs) == 0 {
		return paved.PriorityUnset
	}
	p, _ := paved.ParsePriority(vs[0])
	return p
}

// withCriticality adds the call's priority to an attempt's outgoing
// metadata when it is not the default and the caller did not set it.
func withCriticality(ctx context.Context, c *paved.Call) context.Context {
	p := c.Priority()
	if p == paved.PriorityCritical {
		return ctx
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(CriticalityKey)) > 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, CriticalityKey, p.WireName())
}
