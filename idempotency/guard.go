package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// Guard runs each request at most once per (scope, key): the first request
// with a key claims it in the Store under a lease and runs; its response is
// stored and every later request with that key gets the stored response
// instead of running; one that arrives while the first still runs gets
// ErrConflict; one whose fingerprint differs gets ErrMismatch. It knows no
// transport: pavedhttp and pavedgrpc adapt it to HTTP and gRPC servers.
//
// A Guard is safe for concurrent use; make one per service (or per store)
// with New and share it.
type Guard struct {
	cfg    config
	prefix string        // random per Guard, so tokens of Guards sharing a store never collide
	seq    atomic.Uint64 // numbers this Guard's claims
}

// New returns a Guard with the options applied: the memory store, a 1
// minute lease, 24 hour retention, 1 second store timeout, 1 MiB storable
// body and fail-closed by default. It returns an error naming the option
// and its allowed range when one is invalid.
func New(opts ...Option) (*Guard, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return &Guard{cfg: c, prefix: hex.EncodeToString(b[:]) + "-"}, nil
}

// MustNew is New that panics on invalid options.
func MustNew(opts ...Option) *Guard {
	g, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return g
}

// Retention returns how long the Guard keeps a completed response (WithRetention).
func (g *Guard) Retention() time.Duration { return g.cfg.retention }

// MaxStoredBytes returns the largest body the Guard stores (WithMaxStoredBytes).
func (g *Guard) MaxStoredBytes() int { return g.cfg.maxStored }

// Request identifies a guarded request.
type Request struct {
	// Scope is who is asking (the caller's tenant or principal), so that one
	// caller can never get another's stored response by sending the same key.
	Scope string
	// Key is the idempotency key; it must pass ValidateKey.
	Key string
	// Fingerprint says what was asked (Fingerprint of method, path and body
	// digest): the same key with another fingerprint is ErrMismatch.
	Fingerprint string
}

// Result is how Do answered.
type Result struct {
	// Response is the answer: run's, or the stored one when Replayed.
	Response *Response
	// Replayed is true when run did not run and Response is the stored
	// answer of the key's first request.
	Replayed bool
	// Unrecorded is why run's response could not be stored (the store
	// failed, its lease was lost, or WithFailOpen ran it without a claim);
	// nil when it was stored or replayed. The response is still the one to
	// send: the request has run.
	Unrecorded error
}

// Fingerprint returns a digest of parts (SHA-256, hex), each
// length-prefixed so that ("ab", "c") and ("a", "bc") differ: the
// fingerprint adapters compute from a request's method, path and body.
func Fingerprint(parts ...[]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		l := strconv.AppendUint(n[:0], uint64(len(p)), 10)
		h.Write(l)
		h.Write([]byte{':'})
		h.Write(p)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// Do runs run for req unless req's key was seen before, within its scope:
//
//   - the key is free: Do claims it (bounded by the store timeout), runs run,
//     stores its response for the retention and returns it;
//   - the key's request completed: Do returns its stored response, Replayed;
//   - the key's request still runs (its lease has not expired): ErrConflict;
//   - the key was used with another fingerprint: ErrMismatch;
//   - the key is empty: ErrMissingKey; malformed: an error wrapping
//     ErrInvalidKey;
//   - the store fails or hangs while claiming: an error matching
//     ErrUnavailable, paved.ErrRejected and the store's error, and run does
//     not run — unless WithFailOpen(true), which runs it unguarded.
//
// If run returns an error, its claim is released (a later request with the
// key runs again) and Do returns that error: adapters return errors only
// for answers that must not be stored. If run panics, the claim is
// released and the panic goes on. A completed run whose response cannot be
// stored still returns it, with Result.Unrecorded saying why.
//
// Events: idempotent_replay for a replay, idempotency_conflict (with
// error.type idempotency_conflict or idempotency_mismatch) for a refusal,
// reported through paved.Emit on the call ctx belongs to. The key itself
// is never recorded.
func (g *Guard) Do(ctx context.Context, req Request, run func(context.Context) (*Response, error)) (Result, error) {
	if req.Key == "" {
		return Result{}, ErrMissingKey
	}
	if err := ValidateKey(req.Key); err != nil {
		return Result{}, err
	}
	claim := Claim{Scope: req.Scope, Key: req.Key, Fingerprint: req.Fingerprint, Token: g.token(), Lease: g.cfg.lease}
	sctx, cancel := g.bound(ctx)
	rec, err := g.cfg.store.Claim(sctx, claim)
	cancel()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return Result{}, cerr // the caller gave up: no store failure
		}
		serr := &storeError{cause: err}
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventIdempotencyStoreError, Policy: policyName, Err: serr})
		if !g.cfg.failOpen {
			return Result{}, serr
		}
		resp, err := run(ctx)
		if err != nil {
			return Result{}, err
		}
		return Result{Response: resp, Unrecorded: serr}, nil
	}
	switch rec.State {
	case StateClaimed:
		return g.run(ctx, claim, run)
	case StateInFlight, StateDone:
		if rec.Fingerprint != req.Fingerprint {
			paved.Emit(ctx, telemetry.Event{Name: telemetry.EventIdempotencyConflict, Policy: policyName, Err: ErrMismatch})
			return Result{}, paved.Permanent(ErrMismatch)
		}
		if rec.State == StateInFlight {
			err := paved.NewRejection(ErrConflict, 0)
			paved.Emit(ctx, telemetry.Event{Name: telemetry.EventIdempotencyConflict, Policy: policyName, Err: err})
			return Result{}, err
		}
		resp, err := decodeResponse(rec.Result)
		if err != nil {
			return Result{}, &storeError{cause: err}
		}
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventIdempotentReplay, Policy: policyName})
		return Result{Response: resp, Replayed: true}, nil
	}
	return Result{}, &storeError{cause: errors.New("idempotency: store returned an unknown state " + strconv.Itoa(int(rec.State)))}
}

const policyName = "idempotency"

// run runs a claimed request and stores its response.
func (g *Guard) run(ctx context.Context, claim Claim, run func(context.Context) (*Response, error)) (Result, error) {
	done := false
	defer func() {
		if !done { // run panicked: free the key at once rather than after the lease
			g.release(ctx, claim)
		}
	}()
	resp, err := run(ctx)
	done = true
	if err != nil {
		g.release(ctx, claim)
		return Result{}, err
	}
	if resp == nil {
		resp = &Response{}
	}
	stored := resp
	if !resp.BodyOmitted && len(resp.Body) > g.cfg.maxStored {
		stored = &Response{Code: resp.Code, Header: resp.Header, BodyOmitted: true, BodySize: int64(len(resp.Body))}
	}
	// The request has run: record it even if its caller has gone, within
	// the store timeout.
	sctx, cancel := g.bound(context.WithoutCancel(ctx))
	err = g.cfg.store.Complete(sctx, claim.Scope, claim.Key, claim.Token, stored.encode(make([]byte, 0, stored.encodedSizeHint())), g.cfg.retention)
	cancel()
	if err != nil {
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventIdempotencyStoreError, Policy: policyName, Err: err})
		return Result{Response: resp, Unrecorded: err}, nil
	}
	return Result{Response: resp}, nil
}

func (g *Guard) release(ctx context.Context, claim Claim) {
	sctx, cancel := g.bound(context.WithoutCancel(ctx))
	defer cancel()
	// A failed release leaves the key in flight until its lease expires:
	// the same as a crash, and safe.
	_ = g.cfg.store.Release(sctx, claim.Scope, claim.Key, claim.Token)
}

// bound returns ctx bounded by the store timeout. The memory store never
// blocks, so it is spared the timer (half the cost of a guarded request).
func (g *Guard) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := g.cfg.store.(*MemoryStore); ok {
		return ctx, noCancel
	}
	return g.cfg.clk.WithTimeout(ctx, g.cfg.storeTimeout)
}

func noCancel() {}

// token returns a claim token unique among all Guards sharing a store: a
// random per-Guard prefix and a sequence number.
func (g *Guard) token() string {
	var b [40]byte
	t := append(b[:0], g.prefix...)
	return string(strconv.AppendUint(t, g.seq.Add(1), 36))
}
