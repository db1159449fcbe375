package pavedhttp

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/paved-go/paved/idempotency"
)

// WithIdempotencyKeys makes the Transport give every POST and PATCH that
// has no Idempotency-Key header a fresh one (a random UUID, as a
// structured-field String: `Idempotency-Key: "8e03978e-..."`), so the call
// becomes safe to repeat (STANDARDS.md RS-3): every attempt of it carries
// the same key, and a server that honours keys (NewIdempotencyHandler) runs
// it once and answers repeats with its stored response. Such a call is
// repeated one attempt at a time, never hedged (paved.CallInfo.Sequential),
// since the server answers 409 to a repeat that arrives while the first
// still runs. The caller's request is not modified: the key is set on a
// copy. A request whose body cannot be replayed gets no key: it stays
// unrepeatable.
//
// Enable it only towards servers that honour Idempotency-Key: to one that
// ignores it, a repeated POST is still run twice. Default: no key is added.
func WithIdempotencyKeys() Option {
	return func(c *transportConfig) { c.addKeys = true }
}

// withIdempotencyKey returns req, or a copy with a fresh Idempotency-Key
// when the Transport adds keys and req needs one.
func (t *Transport) withIdempotencyKey(req *http.Request) *http.Request {
	if !t.cfg.addKeys || (req.Method != http.MethodPost && req.Method != http.MethodPatch) ||
		hasIdempotencyKey(req.Header) || !replayable(req) {
		return req
	}
	r := new(http.Request)
	*r = *req
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	r.Header.Set(IdempotencyKeyHeader, idempotency.FormatHeader(uuid.NewString()))
	return r
}
