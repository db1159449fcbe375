package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/paved-go/paved/idempotency"
)

// Defaults.
const (
	DefaultKeyPrefix = "paved:idem:"
	DefaultTimeout   = time.Second
)

// Store is an idempotency.Store in Redis. Make one with New. It is safe
// for concurrent use.
type Store struct {
	c      redis.UniversalClient
	own    io.Closer // a client of the Store's own (see boundedClient), or nil
	prefix string
}

var _ idempotency.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*config)

type config struct {
	prefix  string
	timeout time.Duration
}

// WithKeyPrefix is put before every key the Store writes, so that several
// services (or tests) share a Redis without meeting. It must not contain
// '{' or '}', which would change the keys' hash tag. Default "paved:idem:".
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithTimeout bounds every command's reads and writes on the connection,
// so a Redis that accepts connections and never answers cannot hang a
// request even when the client ignores context deadlines (go-redis does
// unless ContextTimeoutEnabled). Must be 1ms..1m. Default 1s, the Guard's
// default store timeout.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// New returns a Store that keeps records in Redis through client: a
// *redis.Client, *redis.ClusterClient or another UniversalClient. It
// returns an error naming the option when one is invalid.
//
// Bounding calls: a client with ContextTimeoutEnabled is used as given,
// since the Guard's context deadline bounds it. Without it, a *redis.Client
// is used through a WithTimeout view (the same pool, but go-redis runs none
// of the client's hooks on the view: enable ContextTimeoutEnabled to keep
// tracing hooks), and a *redis.ClusterClient through a ClusterClient of the
// Store's own with the same options, ContextTimeoutEnabled and the timeout,
// closed by Close. Any other client is used as given, and must honour
// context deadlines itself.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: New needs a client, got nil")
	}
	c := config{prefix: DefaultKeyPrefix, timeout: DefaultTimeout}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case strings.ContainsAny(c.prefix, "{}"):
		return nil, fmt.Errorf("redisstore: KeyPrefix must not contain '{' or '}', got %q", c.prefix)
	case c.timeout < time.Millisecond || c.timeout > time.Minute:
		return nil, fmt.Errorf("redisstore: Timeout must be 1ms..1m, got %v", c.timeout)
	}
	use, own := boundedClient(client, c.timeout)
	s := &Store{c: use, prefix: c.prefix}
	if own != nil {
		s.own = own
	}
	return s, nil
}

// Close closes the client the Store made for itself, if any (never the
// caller's).
func (s *Store) Close() error {
	if s.own != nil {
		return s.own.Close()
	}
	return nil
}

// boundedClient returns a client whose every command is bounded by timeout
// even against a Redis that never answers, and the one the Store owns.
func boundedClient(c redis.UniversalClient, timeout time.Duration) (redis.UniversalClient, *redis.ClusterClient) {
	switch c := c.(type) {
	case *redis.Client:
		if c.Options().ContextTimeoutEnabled {
			return c, nil
		}
		return c.WithTimeout(timeout), nil
	case *redis.ClusterClient:
		if c.Options().ContextTimeoutEnabled {
			return c, nil
		}
		opt := *c.Options()
		opt.ContextTimeoutEnabled = true
		opt.ReadTimeout, opt.WriteTimeout = timeout, timeout
		own := redis.NewClusterClient(&opt)
		return own, own
	default:
		return c, nil
	}
}

// key is the record's Redis key: the prefix and a hash tag holding a
// digest of scope and key. The digest keeps keys short whatever the
// idempotency key, keeps its value out of key names (KEYS, MONITOR,
// slowlog), separates scope from key unambiguously, and as the hash tag it
// pins the record to one slot of a Redis Cluster.
func (s *Store) key(scope, key string) string {
	h := sha256.New()
	var n [20]byte
	h.Write(strconv.AppendInt(n[:0], int64(len(scope)), 10))
	h.Write([]byte{':'})
	h.Write([]byte(scope))
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	d := h.Sum(sum[:0])
	b := make([]byte, 0, len(s.prefix)+2+32)
	b = append(b, s.prefix...)
	b = append(b, '{')
	b = hex.AppendEncode(b, d[:16])
	b = append(b, '}')
	return string(b)
}

func ms(d time.Duration) int64 { return max(1, d.Milliseconds()) }

// Claim implements idempotency.Store: one script, one round trip.
func (s *Store) Claim(ctx context.Context, c idempotency.Claim) (idempotency.Record, error) {
	v, err := claimScript.Run(ctx, s.c, []string{s.key(c.Scope, c.Key)}, c.Fingerprint, c.Token, ms(c.Lease)).Slice()
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("redisstore: claim: %w", err)
	}
	state, _ := v[0].(string)
	switch state {
	case "c":
		return idempotency.Record{State: idempotency.StateClaimed}, nil
	case "i":
		fp, _ := v[1].(string)
		return idempotency.Record{State: idempotency.StateInFlight, Fingerprint: fp}, nil
	case "d":
		fp, _ := v[1].(string)
		res, _ := v[2].(string)
		return idempotency.Record{State: idempotency.StateDone, Fingerprint: fp, Result: []byte(res)}, nil
	}
	return idempotency.Record{}, fmt.Errorf("redisstore: claim: unexpected reply %v", v)
}

// Complete implements idempotency.Store: one script, one round trip.
func (s *Store) Complete(ctx context.Context, scope, key, token string, result []byte, retention time.Duration) error {
	n, err := completeScript.Run(ctx, s.c, []string{s.key(scope, key)}, token, result, ms(retention)).Int()
	if err != nil {
		return fmt.Errorf("redisstore: complete: %w", err)
	}
	if n == 0 {
		return idempotency.ErrLeaseLost
	}
	return nil
}

// Release implements idempotency.Store: one script, one round trip.
func (s *Store) Release(ctx context.Context, scope, key, token string) error {
	n, err := releaseScript.Run(ctx, s.c, []string{s.key(scope, key)}, token).Int()
	if err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	if n == 0 {
		return idempotency.ErrLeaseLost
	}
	return nil
}
