package loopbacktest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/idempotency/pgstore"
	"github.com/paved-go/paved/idempotency/redisstore"
	"github.com/paved-go/paved/internal/servicetest"
	"github.com/paved-go/paved/pavedhttp"
)

// The proofs of idempotency keys end to end: for each store, three server
// instances (each its own Guard and store client) share one store behind
// the real HTTP stack on loopback.

// idemStore makes the store one server instance uses; instances of one
// test share what it stores.
type idemStore struct {
	name string
	// open returns a maker of the instances' stores (one per call), on a
	// namespace of the test's own; it skips when the server is absent.
	open func(t *testing.T) func() idempotency.Store
	// broken returns a store whose server is down, or hung.
	broken func(t *testing.T, hung bool) idempotency.Store
}

func idemStores() []idemStore {
	return []idemStore{
		{
			name: "memory",
			open: func(t *testing.T) func() idempotency.Store {
				s := idempotency.NewMemoryStore() // one process: the instances share the object
				return func() idempotency.Store { return s }
			},
		},
		{
			name: "redis",
			open: func(t *testing.T) func() idempotency.Store {
				servicetest.Redis(t)
				pfx := servicetest.Prefix(t)
				return func() idempotency.Store {
					c := redis.NewClient(&redis.Options{Addr: servicetest.RedisAddr(), PoolSize: 32})
					t.Cleanup(func() { _ = c.Close() })
					s, err := redisstore.New(c, redisstore.WithKeyPrefix(pfx), redisstore.WithTimeout(20*time.Second))
					require.NoError(t, err)
					return s
				}
			},
			broken: func(t *testing.T, hung bool) idempotency.Store {
				addr := servicetest.DownAddr(t)
				if hung {
					addr = servicetest.HungServer(t)
				}
				c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
				t.Cleanup(func() { _ = c.Close() })
				s, err := redisstore.New(c, redisstore.WithTimeout(200*time.Millisecond))
				require.NoError(t, err)
				return s
			},
		},
		{
			name: "postgres",
			open: func(t *testing.T) func() idempotency.Store {
				table := servicetest.Name(t, "idem_")
				return func() idempotency.Store {
					db := pgPool(t, servicetest.PostgresURL())
					s, err := pgstore.New(db, pgstore.WithTable(table))
					require.NoError(t, err)
					require.NoError(t, s.Migrate(context.Background()))
					t.Cleanup(func() {
						_, _ = db.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize())
					})
					return s
				}
			},
			broken: func(t *testing.T, hung bool) idempotency.Store {
				addr := servicetest.DownAddr(t)
				if hung {
					addr = servicetest.HungServer(t)
				}
				cfg, err := pgxpool.ParseConfig("postgres://postgres@" + addr + "/test?connect_timeout=60")
				require.NoError(t, err)
				db, err := pgxpool.NewWithConfig(context.Background(), cfg)
				require.NoError(t, err)
				t.Cleanup(db.Close)
				s, err := pgstore.New(db)
				require.NoError(t, err)
				return s
			},
		},
	}
}

func pgPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 16
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = db.Ping(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		servicetest.SkipOrFail(t, fmt.Sprintf("postgres not reachable at %s (set PAVED_POSTGRES_URL): %v", url, err))
	}
	t.Cleanup(db.Close)
	return db
}

// sideEffects is the handler every instance serves: it "charges" once per
// call, counted per (tenant, key), takes a few milliseconds so duplicates
// arrive while it runs, and answers with which execution it was.
type sideEffects struct {
	runs sync.Map // "tenant key" -> *atomic.Int32
	seq  atomic.Int64
}

func (s *sideEffects) handler(instance int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("X-Tenant") + " " + r.Header.Get("Idempotency-Key")
		c, _ := s.runs.LoadOrStore(id, new(atomic.Int32))
		c.(*atomic.Int32).Add(1)
		time.Sleep(5 * time.Millisecond) // work in progress: duplicates meet it in flight
		w.Header().Set("Location", fmt.Sprint("/charges/", s.seq.Add(1)))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"instance":%d,"charge":%q,"body":%q}`, instance, w.Header().Get("Location"), body)
	})
}

func (s *sideEffects) count(id string) int32 {
	if c, ok := s.runs.Load(id); ok {
		return c.(*atomic.Int32).Load()
	}
	return 0
}

// cluster starts n instances sharing a store, each NewHandler (caller key
// from X-Tenant) around NewIdempotencyHandler around the side effect.
func cluster(t *testing.T, n int, newStore func() idempotency.Store, fx *sideEffects, opts ...idempotency.Option) []string {
	t.Helper()
	var urls []string
	for i := range n {
		g := idempotency.MustNew(append([]idempotency.Option{idempotency.WithStore(newStore())}, opts...)...)
		h := pavedhttp.NewHandler(paved.New(fmt.Sprint("instance-", i)),
			pavedhttp.NewIdempotencyHandler(g, fx.handler(i), pavedhttp.WithKeyRequired(true)),
			pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))
		srv := httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.Start()
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	return urls
}

type answer struct {
	status   int
	replayed bool
	location string
	body     string
}

func send(t *testing.T, client *http.Client, url, tenant, key, body string) answer {
	req, err := http.NewRequest(http.MethodPost, url+"/charges", strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.Header.Set("X-Tenant", tenant)
	resp, err := client.Do(req)
	if !assert.NoError(t, err) {
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", resp.Header.Get("Location"), string(b)}
}

func idemClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxConnsPerHost: 32, MaxIdleConnsPerHost: 32}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

// 50 keys, 200 concurrent duplicates of each spread over 3 instances: each
// key's side effect happens exactly once, and every duplicate gets the
// identical stored response or a 409 while the first is in flight.
func TestIdempotencyExactlyOnceAcrossInstances(t *testing.T) {
	const keys, dups, instances = 50, 200, 3
	for _, st := range idemStores() {
		t.Run(st.name, func(t *testing.T) {
			newStore := st.open(t)
			fx := &sideEffects{}
			urls := cluster(t, instances, newStore, fx, idempotency.WithStoreTimeout(20*time.Second))
			client := idemClient(t)
			answers := make([][]answer, keys)
			var wg sync.WaitGroup
			start := time.Now()
			for k := range keys {
				answers[k] = make([]answer, dups)
				for d := range dups {
					wg.Go(func() {
						answers[k][d] = send(t, client, urls[(k+d)%instances], "tenant", fmt.Sprint("key-", k), fmt.Sprint("charge ", k))
					})
				}
			}
			wg.Wait()
			var created, replayed, conflicts int
			for k := range keys {
				require.EqualValues(t, 1, fx.count(fmt.Sprint("tenant key-", k)), "key %d ran once", k)
				var first *answer
				for d := range answers[k] {
					a := &answers[k][d]
					switch {
					case a.status == http.StatusCreated && !a.replayed:
						require.Nil(t, first, "key %d: two executions answered", k)
						first = a
						created++
					case a.status == http.StatusCreated:
						replayed++
					case a.status == http.StatusConflict:
						conflicts++
					default:
						t.Fatalf("key %d: unexpected answer %d %s", k, a.status, a.body)
					}
				}
				require.NotNil(t, first, "key %d: the execution's own answer", k)
				for _, a := range answers[k] {
					if a.status == http.StatusCreated {
						require.Equal(t, first.body, a.body, "key %d: replays are identical", k)
						require.Equal(t, first.location, a.location)
					}
				}
			}
			t.Logf("%s: %d requests in %v: %d executed, %d replayed, %d conflicts (409)", st.name, keys*dups, time.Since(start).Round(time.Millisecond), created, replayed, conflicts)
		})
	}
}

// The refusals, across instances: mismatch 422, missing 400, oversize key
// 400, and one caller never gets another's response.
func TestIdempotencyRefusalsAcrossInstances(t *testing.T) {
	for _, st := range idemStores() {
		t.Run(st.name, func(t *testing.T) {
			fx := &sideEffects{}
			urls := cluster(t, 3, st.open(t), fx)
			client := idemClient(t)
			first := send(t, client, urls[0], "alice", "k", "charge 10")
			require.Equal(t, http.StatusCreated, first.status)

			assert.Equal(t, http.StatusUnprocessableEntity, send(t, client, urls[1], "alice", "k", "charge 99").status, "mismatch")
			assert.Equal(t, http.StatusBadRequest, send(t, client, urls[2], "alice", "", "charge 10").status, "missing")
			assert.Equal(t, http.StatusBadRequest, send(t, client, urls[0], "alice", strings.Repeat("k", 256), "charge 10").status, "oversize")
			assert.Equal(t, http.StatusCreated, send(t, client, urls[0], "alice", strings.Repeat("k", 255), "charge 10").status)

			bob := send(t, client, urls[1], "bob", "k", "charge 10")
			require.Equal(t, http.StatusCreated, bob.status)
			assert.False(t, bob.replayed, "bob's key is bob's")
			assert.NotEqual(t, first.body, bob.body)
			again := send(t, client, urls[2], "alice", "k", "charge 10")
			assert.True(t, again.replayed)
			assert.Equal(t, first.body, again.body)
			assert.EqualValues(t, 1, fx.count("alice k"))
			assert.EqualValues(t, 1, fx.count("bob k"))
		})
	}
}

// An instance that crashed holding a key leaves it in flight (409) until
// the lease expires; then another instance runs it, and the dead holder's
// late completion is refused.
func TestIdempotencyLeaseExpiryAfterCrash(t *testing.T) {
	const lease = 500 * time.Millisecond
	for _, st := range idemStores() {
		t.Run(st.name, func(t *testing.T) {
			newStore := st.open(t)
			fx := &sideEffects{}
			urls := cluster(t, 2, newStore, fx, idempotency.WithLease(lease))
			client := idemClient(t)
			// The crashed instance: it claimed the key under its lease, then died.
			dead := newStore()
			fp := idempotency.Fingerprint([]byte("POST"), []byte("/charges"), nil, []byte("charge 1"))
			rec, err := dead.Claim(context.Background(), idempotency.Claim{Scope: "tenant", Key: "k", Fingerprint: fp, Token: "dead-instance", Lease: lease})
			require.NoError(t, err)
			require.Equal(t, idempotency.StateClaimed, rec.State)
			assert.Equal(t, http.StatusConflict, send(t, client, urls[0], "tenant", "k", "charge 1").status, "held by the dead instance")
			var got answer
			require.Eventually(t, func() bool { // the store's clock decides when the lease is over
				got = send(t, client, urls[1], "tenant", "k", "charge 1")
				return got.status != http.StatusConflict
			}, 10*time.Second, 50*time.Millisecond)
			assert.Equal(t, http.StatusCreated, got.status)
			assert.False(t, got.replayed)
			err = dead.Complete(context.Background(), "tenant", "k", "dead-instance", []byte("late"), time.Hour)
			require.ErrorIs(t, err, idempotency.ErrLeaseLost, "the dead holder's late completion is refused")
			again := send(t, client, urls[0], "tenant", "k", "charge 1")
			assert.True(t, again.replayed)
			assert.Equal(t, got.body, again.body)
			assert.EqualValues(t, 1, fx.count("tenant k"))
		})
	}
}

// A store that is down, or accepts connections and never answers: 503,
// within the store timeout, and nothing runs.
func TestIdempotencyStoreDownOrHung(t *testing.T) {
	for _, st := range idemStores() {
		if st.broken == nil {
			continue // the memory store cannot be down
		}
		for _, hung := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/hung=%v", st.name, hung), func(t *testing.T) {
				fx := &sideEffects{}
				s := st.broken(t, hung)
				urls := cluster(t, 1, func() idempotency.Store { return s }, fx, idempotency.WithStoreTimeout(300*time.Millisecond))
				start := time.Now()
				a := send(t, idemClient(t), urls[0], "tenant", "k", "charge 1")
				assert.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
				assert.Less(t, time.Since(start), 10*time.Second)
				assert.EqualValues(t, 0, fx.count("tenant k"), "nothing ran")
			})
		}
	}
}
