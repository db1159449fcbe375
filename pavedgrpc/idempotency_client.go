package pavedgrpc

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"
)

// reasonKeyed is the UnsafeReason of a call made repeatable by its
// idempotency key: retry repeats it, hedge does not.
const reasonKeyed = "keyed call: repeated one attempt at a time, never hedged"

// WithIdempotencyKeys makes the client interceptor give each unary call of
// a method that is not declared repeatable, and that f selects (nil: every
// such method), a fresh idempotency-key metadata value (a random UUID)
// unless it has one: every attempt of the call sends the same key, so a
// server running UnaryServerIdempotency runs it once, and the call becomes
// safe to repeat (STANDARDS.md RS-3), one attempt at a time, never hedged
// (paved.CallInfo.Sequential). A call that already carries idempotency-key
// metadata is treated so without this option. Calls marked unrepeatable
// (WithUnrepeatable, the Unrepeatable CallOption) and streams get no key.
//
// Enable it only towards servers that honour the key: to one that ignores
// it, a repeated call still runs twice. Default: no key is added.
func WithIdempotencyKeys(f func(method string) bool) Option {
	return optionFunc(func(c *config) { c.addKeys, c.keyMethods = true, f })
}

// keyed returns ctx, with a fresh idempotency key when the call needs one,
// and whether the call is made repeatable by a key. reason is the call's
// UnsafeReason so far: only a call unrepeatable because its method is not
// declared repeatable is made so.
func (c *config) keyed(ctx context.Context, method, reason string) (context.Context, bool) {
	if reason != reasonNotDeclared {
		return ctx, false
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(IdempotencyKeyMetadata)) > 0 {
		return ctx, true
	}
	if !c.addKeys || (c.keyMethods != nil && !c.keyMethods(method)) {
		return ctx, false
	}
	return metadata.AppendToOutgoingContext(ctx, IdempotencyKeyMetadata, uuid.NewString()), true
}
