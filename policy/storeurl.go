package policy

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/telemetry"
)

// StoreOpener opens the idempotency store a server.idempotency.store URL
// names. Package policy/stores registers openers for redis://, rediss://,
// postgres:// and postgresql:// URLs; import it for its side effect:
//
//	import _ "github.com/paved-go/paved/policy/stores"
//
// so that a service that never names such a store never compiles go-redis
// or pgx.
type StoreOpener func(ctx context.Context, rawURL string) (idempotency.Store, error)

var storeOpeners = struct {
	sync.RWMutex
	m      map[string]StoreOpener
	checks map[string]func(rawURL string) error
}{m: map[string]StoreOpener{}, checks: map[string]func(string) error{}}

// RegisterStore makes URLs of scheme open with open. It panics if scheme is
// registered twice or open is nil: that is a programmer error, found at
// start-up. RegisterStoreCheck lets Parse refuse a URL open would.
func RegisterStore(scheme string, open StoreOpener) {
	storeOpeners.Lock()
	defer storeOpeners.Unlock()
	if open == nil {
		panic("policy: RegisterStore of " + scheme + " with a nil opener")
	}
	if _, dup := storeOpeners.m[scheme]; dup {
		panic("policy: RegisterStore called twice for " + scheme)
	}
	storeOpeners.m[scheme] = open
}

// RegisterStoreCheck makes Parse check server.idempotency.store URLs of
// scheme with check, which reports a URL the scheme's opener would refuse
// (a database that is not a number, an option it does not know) without
// the network. Such a URL is then a Problem with its path and line, rather
// than a store that fails every request once the Set tries to open it. It
// panics if scheme has a check already or check is nil: a programmer
// error, found at start-up.
func RegisterStoreCheck(scheme string, check func(rawURL string) error) {
	storeOpeners.Lock()
	defer storeOpeners.Unlock()
	if check == nil {
		panic("policy: RegisterStoreCheck of " + scheme + " with a nil check")
	}
	if _, dup := storeOpeners.checks[scheme]; dup {
		panic("policy: RegisterStoreCheck called twice for " + scheme)
	}
	storeOpeners.checks[scheme] = check
}

// storeSchemes are the URL schemes server.idempotency.store accepts.
var storeSchemes = []string{"postgres", "postgresql", "redis", "rediss"}

// validStoreURL reports whether s is "memory" or a URL of a known scheme.
func validStoreURL(s string) bool {
	if s == "memory" {
		return true
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	i := sort.SearchStrings(storeSchemes, u.Scheme)
	return i < len(storeSchemes) && storeSchemes[i] == u.Scheme
}

// openStore opens the store rawURL names, within 10 s.
func openStore(rawURL string) (idempotency.Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("server.idempotency.store: %w", err)
	}
	storeOpeners.RLock()
	open := storeOpeners.m[u.Scheme]
	storeOpeners.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("server.idempotency.store: no opener for %s:// URLs is linked in: import _ \"github.com/paved-go/paved/policy/stores\"", u.Scheme)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := open(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("server.idempotency.store %s: %w", redactURL(u), err)
	}
	return st, nil
}

// redactURL is u without its password, for errors.
func redactURL(u *url.URL) string {
	return strings.Replace(u.Redacted(), "xxxxx", "[redacted]", 1)
}

// redactStore is a store setting fit for an error message: a URL without
// its password.
func redactStore(s string) string {
	if u, err := url.Parse(s); err == nil {
		return redactURL(u)
	}
	return "[unparsable URL]"
}

// unopenedStore stands for a store that could not be opened: every call
// fails with why, so the guard fails closed (503, the handler not run)
// unless the configuration says fail_open, as for a store that went down.
// A reload that changes server.idempotency tries to open it again.
type unopenedStore struct{ why error }

func (u unopenedStore) Claim(context.Context, idempotency.Claim) (idempotency.Record, error) {
	return idempotency.Record{}, u.why
}

func (u unopenedStore) Complete(context.Context, string, string, string, []byte, time.Duration) error {
	return u.why
}

func (u unopenedStore) Release(context.Context, string, string, string) error { return u.why }

// logStoreError reports a store that could not be opened: an
// idempotency_store_error event for the server pipeline.
func (o *options) logStoreError(err error) {
	o.tel.Emit(context.Background(), "server", telemetry.Event{Name: telemetry.EventIdempotencyStoreError, Policy: "policy", Err: err})
}
