package idempotency

import (
	"context"
	"time"
)

// Store keeps one record per (scope, key): who holds its claim, the first
// request's fingerprint, and once the request completed, its stored
// response. Guards on several server instances share one Store, so every
// transition must be atomic in the store itself: of any number of
// concurrent Claims of a free key, exactly one is granted.
//
// The contract, which package storetest checks for every implementation
// (the memory store, redisstore, pgstore):
//
//   - Claim of a key with no live record creates one in flight, held by
//     c.Token until c.Lease has passed, and returns StateClaimed. A record
//     whose lease or retention has passed counts as absent.
//   - Claim of a key with a live record changes nothing and returns its
//     state (StateInFlight or StateDone), its fingerprint and, when done,
//     its result.
//   - Complete stores result for a record in flight held by token whose
//     lease has not passed, and keeps it for retention; otherwise it
//     returns ErrLeaseLost and changes nothing. A late completion by a
//     holder whose lease expired is therefore refused, whether or not
//     another request claimed the key since.
//   - Release deletes a record in flight held by token, so the key can be
//     claimed again at once; otherwise it returns ErrLeaseLost and changes
//     nothing.
//   - Scopes are separate namespaces: (scope "a", key "b:c") and (scope
//     "a:b", key "c") are different records. Scope, key, fingerprint and
//     token are arbitrary strings (keys up to MaxKeyLength bytes); result is
//     arbitrary bytes, up to the Guard's storable limit plus a few bytes.
//   - Every method returns promptly, with an error, once ctx is done: a
//     hung store must not hang the request.
//
// A Store is safe for concurrent use.
type Store interface {
	Claim(ctx context.Context, c Claim) (Record, error)
	Complete(ctx context.Context, scope, key, token string, result []byte, retention time.Duration) error
	Release(ctx context.Context, scope, key, token string) error
}

// Claim is a request to claim a key.
type Claim struct {
	Scope       string        // the caller (tenant, principal); "" is a scope too
	Key         string        // the idempotency key
	Fingerprint string        // what the request was (method, path, body digest)
	Token       string        // unique to this claim: it must be shown to Complete and Release
	Lease       time.Duration // how long the claim holds without completion
}

// State is a record's state, as Claim reports it.
type State uint8

const (
	// StateClaimed: the key was free and is now held by the Claim's token.
	StateClaimed State = iota + 1
	// StateInFlight: another claim holds the key and has not completed.
	StateInFlight
	// StateDone: the key's request completed; Record.Result is its response.
	StateDone
)

// String returns "claimed", "in_flight" or "done".
func (s State) String() string {
	switch s {
	case StateClaimed:
		return "claimed"
	case StateInFlight:
		return "in_flight"
	case StateDone:
		return "done"
	}
	return "unknown"
}

// Record is what Claim found.
type Record struct {
	State       State
	Fingerprint string // the record's: the first request's (StateInFlight, StateDone)
	Result      []byte // StateDone: the stored response; callers must not modify it
}
