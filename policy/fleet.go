package policy

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/clock"
)

// FleetPolicy is a policy whose state every replica of a service shares
// through a server (a fleet-wide rate limit, a fleet-wide breaker). The Set
// closes it once no configuration in force or call in flight uses it.
type FleetPolicy interface {
	paved.Middleware
	Close() error
}

// FleetRateLimit is the settings of a fleet-wide rate limit
// (ratelimit/redisrate), from rate_limit or server.rate_limit.
type FleetRateLimit struct {
	Rate            float64 // calls a second
	Burst           int
	Name            string                           // the limit's name, in its keys and RateLimit fields
	KeyPrefix       string                           // every key's prefix
	Key             func(ctx context.Context) string // each call's key; nil: the caller's key (paved.CallFrom(ctx).Key())
	FailClosed      bool                             // refuse while the server cannot decide
	Replicas        int                              // fail open: the local limit is Rate/Replicas
	DecisionTimeout time.Duration
	StoreRetry      time.Duration
	MaxKeys         int // callers the local fallback keeps
	Clock           clock.Clock
}

// FleetBreaker is the settings of a fleet-wide circuit breaker
// (breaker/redisbreaker), from breaker.
type FleetBreaker struct {
	Name       string           // the dependency's: the fleet shares one breaker per name
	KeyPrefix  string           // every key's prefix
	SyncPeriod time.Duration    // how often counts are shared
	Options    []breaker.Option // the local breaker's
}

// FleetOpener opens the fleet-wide policies a policy file names by URL
// (rate_limit.store, breaker.store). Package policy/stores registers one
// for redis:// and rediss:// URLs; import it for its side effect, so that a
// service that never names such a store never compiles go-redis.
//
// Client opens the connection of a URL, as written; a Set calls it once
// per URL for all the fleet-wide policies naming it (FleetClient), and
// RateLimit and Breaker open a policy on that client. A policy's Close must
// not close its client: the Set closes the client after its last policy.
// None may block on the network: a Redis that cannot be reached is the
// policy's own failure mode (a rate limit fails open or closed, a breaker
// decides locally), not an error.
//
// Check, when set, reports a URL the opener would refuse (a database that
// is not a number, an option it does not know), without the network: Parse
// calls it, so such a URL is a Problem with its path and line, not a
// failure when the Set builds the policy.
type FleetOpener struct {
	Client    func(rawURL string) (FleetClient, error)
	RateLimit func(c FleetClient, l FleetRateLimit) (FleetPolicy, error)
	Breaker   func(c FleetClient, b FleetBreaker) (FleetPolicy, error)
	Check     func(rawURL string) error
}

var fleetOpeners = struct {
	sync.RWMutex
	m map[string]FleetOpener
}{m: map[string]FleetOpener{}}

// RegisterFleet makes rate_limit.store and breaker.store URLs of scheme
// open with o. It panics if scheme is registered twice or o lacks a func:
// that is a programmer error, found at start-up.
func RegisterFleet(scheme string, o FleetOpener) {
	fleetOpeners.Lock()
	defer fleetOpeners.Unlock()
	if o.Client == nil || o.RateLimit == nil || o.Breaker == nil {
		panic("policy: RegisterFleet of " + scheme + " needs Client, RateLimit and Breaker")
	}
	if _, dup := fleetOpeners.m[scheme]; dup {
		panic("policy: RegisterFleet called twice for " + scheme)
	}
	fleetOpeners.m[scheme] = o
}

func fleetOpener(rawURL string) (FleetOpener, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return FleetOpener{}, false
	}
	fleetOpeners.RLock()
	defer fleetOpeners.RUnlock()
	o, ok := fleetOpeners.m[u.Scheme]
	return o, ok
}

// fleetSchemes are the schemes a fleet store URL may have.
var fleetSchemes = map[string]bool{"redis": true, "rediss": true}

// checkFleetStore checks a rate_limit.store or breaker.store that is not
// "memory".
func checkFleetStore(c *checker, path, s string) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || !fleetSchemes[u.Scheme] {
		c.add(path, `must be "memory" or a redis:// or rediss:// URL (opened by package policy/stores)`, strconv.Quote(redactStore(s)))
		return
	}
	o, ok := fleetOpener(s)
	if !ok {
		c.add(path, notLinked(s), strconv.Quote(redactStore(s)))
		return
	}
	checkURL(c, path, s, o.Check)
}

// checkURL adds a problem at path when check (an opener's; nil: none)
// refuses rawURL.
func checkURL(c *checker, path, rawURL string, check func(string) error) {
	if check == nil {
		return
	}
	if err := check(rawURL); err != nil {
		c.add(path, "must be a URL its opener accepts: "+redactErr(err, rawURL), strconv.Quote(redactStore(rawURL)))
	}
}

// redactErr is err's message without rawURL's password, should the opener
// have quoted it.
func redactErr(err error, rawURL string) string {
	msg := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "[redacted]")
		}
	}
	return msg
}

// storeLinked reports whether an idempotency store URL has an opener, and
// returns the opener's check (nil: none).
func storeLinked(rawURL string) (check func(string) error, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, false
	}
	storeOpeners.RLock()
	defer storeOpeners.RUnlock()
	return storeOpeners.checks[u.Scheme], storeOpeners.m[u.Scheme] != nil
}

func notLinked(rawURL string) string {
	scheme := "?"
	if u, err := url.Parse(rawURL); err == nil {
		scheme = u.Scheme
	}
	return fmt.Sprintf(`needs an opener for %s:// URLs, and none is linked in: import _ "github.com/paved-go/paved/policy/stores"`, scheme)
}
