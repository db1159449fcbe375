package idempotency

import (
	"errors"

	"github.com/paved-go/paved"
)

// ErrConflict is returned, wrapped by paved.NewRejection, when a request
// arrives with a key whose first request is still running (its lease has not
// expired). errors.Is(err, paved.ErrRejected) holds. HTTP answers it with 409
// Conflict, gRPC with UNAVAILABLE: the caller should try again later, with
// the same key, and will then get the stored response. Its error.type is
// "idempotency_conflict".
var ErrConflict = paved.NamedError("idempotency_conflict", "idempotency: a request with this key is still in flight")

// ErrMismatch is returned when a key is reused with a different request (its
// fingerprint differs from the first request's). It is the caller's fault
// (paved.OutcomePermanent): HTTP answers 422 Unprocessable Content, gRPC
// FAILED_PRECONDITION. Its error.type is "idempotency_mismatch".
var ErrMismatch = paved.NamedError("idempotency_mismatch", "idempotency: key reused with a different request")

// ErrMissingKey is returned by adapters for a request without a key on a
// route that requires one (HTTP 400, gRPC INVALID_ARGUMENT), and by
// Guard.Do for an empty key.
var ErrMissingKey = paved.NamedError("idempotency_key_missing", "idempotency: key missing")

// ErrInvalidKey is the root of every malformed key: empty, longer than
// MaxKeyLength, a character outside printable ASCII (0x20..0x7E), or a
// header that is not a valid structured-field String nor a bare key. The
// error returned wraps it and says which rule was broken, never the key.
var ErrInvalidKey = paved.NamedError("idempotency_key_invalid", "idempotency: invalid key")

// ErrUnavailable is returned, wrapped by paved.NewRejection, when the store
// failed or did not answer within the store timeout while claiming a key,
// and the Guard fails closed (the default): the request did not run.
// errors.Is(err, paved.ErrRejected) holds and the store's error is in the
// chain too. HTTP answers 503, gRPC UNAVAILABLE. Its error.type is
// "idempotency_store_unavailable".
var ErrUnavailable = paved.NamedError("idempotency_store_unavailable", "idempotency: store unavailable")

// ErrLeaseLost is returned by a Store's Complete and Release when the token
// given no longer holds the key's claim: its lease expired (and another
// request may have claimed the key since), or the claim was completed or
// released already. The store is left unchanged.
var ErrLeaseLost = errors.New("idempotency: lease lost")

// ErrStoreFull is returned by the memory store when it holds its maximum of
// records or bytes and none has expired. The Guard treats it as any store
// failure: fail closed.
var ErrStoreFull = errors.New("idempotency: memory store full")

// keyError says which rule a key broke, without the key itself: keys may be
// secrets, and errors reach logs.
type keyError struct{ rule string }

func (e *keyError) Error() string { return "idempotency: invalid key: " + e.rule }

func (e *keyError) Unwrap() error { return ErrInvalidKey }

// storeError is a claim that failed because of the store.
type storeError struct{ cause error }

func (e *storeError) Error() string   { return ErrUnavailable.Error() + ": " + e.cause.Error() }
func (e *storeError) Unwrap() []error { return []error{paved.NewRejection(ErrUnavailable, 0), e.cause} }
