package loopbacktest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/retry"
)

// Three tiers (top client -> A -> B -> C), each calling the next through
// paved's retry with the incoming request's context, C the dependency that
// fails: retries happen at one layer (B, the tier next to the failure),
// because each tier that gave up tells its caller not to retry
// (pavedhttp.DoNotRetryHeader, grpc-retry-pushback-ms: -1). A plain loop at
// every tier would send C 27 requests per call.

// callHeader carries a top-level call's number through the tiers, so C can
// count the requests each call cost it.
const callHeader = "X-Call"

// tierPolicies builds each tier's client pipeline: retry with its defaults,
// and with breakers a breaker with its defaults too.
func tierPolicies(name string, breakers bool) *paved.Pipeline {
	ms := []paved.Middleware{retry.MustNew()}
	if breakers {
		ms = append(ms, breaker.MustNew(name))
	}
	return paved.New(name, ms...)
}

// tierResult is what a three-tier run measured.
type tierResult struct {
	calls, ok int
	atBottom  int // requests C received
	maxOne    int // the most any one call cost C
}

func (r tierResult) perCall() float64 { return float64(r.atBottom) / float64(r.calls) }

func (r tierResult) String() string {
	return fmt.Sprintf("%d calls: %.2f%% succeeded; the bottom tier received %d requests, %.3f per call, at most %d for one call",
		r.calls, 100*float64(r.ok)/float64(r.calls), r.atBottom, r.perCall(), r.maxOne)
}

// perCallCounts counts C's requests by call number.
func perCallCounts(ids []string) (total, most int) {
	counts := map[string]int{}
	for _, id := range ids {
		counts[id]++
		most = max(most, counts[id])
	}
	return len(ids), most
}

// httpTier serves a tier that calls next (its URL) through p with the
// request's context and answers with next's status.
func httpTier(t *testing.T, p *paved.Pipeline, next string) string {
	t.Helper()
	client := newClient(p, newBase(t))
	h := pavedhttp.NewHandler(paved.New("server"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, next, nil)
		req.Header.Set(callHeader, r.Header.Get(callHeader))
		resp, err := client.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runHTTPTiers runs calls top-level calls at concurrency 32 through three
// paved HTTP tiers to a bottom server behaving as bottom.
func runHTTPTiers(t *testing.T, calls int, breakers bool, bottom testserver.Option) tierResult {
	c := testserver.NewHTTP(t, bottom)
	b := httpTier(t, tierPolicies("b", breakers), c.URL())
	a := httpTier(t, tierPolicies("a", breakers), b)
	top := newClient(tierPolicies("top", breakers), newBase(t))
	var ok atomic.Int64
	runCallsOn(32, calls, func(i int) {
		req, _ := http.NewRequest(http.MethodGet, a, nil)
		req.Header.Set(callHeader, strconv.Itoa(i))
		resp, err := top.Do(req)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok.Add(1)
		}
	})
	var ids []string
	for _, r := range c.Received() {
		ids = append(ids, r.Header.Get(callHeader))
	}
	total, most := perCallCounts(ids)
	return tierResult{calls: calls, ok: int(ok.Load()), atBottom: total, maxOne: most}
}

// relay is a gRPC tier: EmptyCall calls the next tier with the call's
// context, passing the call number on, and answers with its status.
type relay struct {
	testpb.UnimplementedTestServiceServer
	next testpb.TestServiceClient
}

func (r relay) EmptyCall(ctx context.Context, req *testpb.Empty) (*testpb.Empty, error) {
	id := metadata.ValueFromIncomingContext(ctx, callHeader)
	if len(id) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, callHeader, id[0])
	}
	if _, err := r.next.EmptyCall(ctx, req); err != nil {
		return nil, err
	}
	return &testpb.Empty{}, nil
}

// grpcTierClient dials addr through p, with the interop methods repeatable.
func grpcTierClient(t *testing.T, p *paved.Pipeline, addr string) testpb.TestServiceClient {
	t.Helper()
	repeatable := pavedgrpc.WithRepeatable(func(string) bool { return true })
	return testpb.NewTestServiceClient(dialLoopback(t, addr, pavedgrpc.DialOptions(p, repeatable)...))
}

// grpcTier serves a relay to next through p, behind paved's server options.
func grpcTier(t *testing.T, p *paved.Pipeline, next string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(pavedgrpc.ServerOptions(paved.New("server"))...)
	testpb.RegisterTestServiceServer(srv, relay{next: grpcTierClient(t, p, next)})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return lis.Addr().String()
}

// runGRPCTiers is runHTTPTiers over gRPC.
func runGRPCTiers(t *testing.T, calls int, breakers bool, bottom testserver.Option) tierResult {
	c := testserver.NewGRPC(t, bottom)
	b := grpcTier(t, tierPolicies("b", breakers), c.Addr())
	a := grpcTier(t, tierPolicies("a", breakers), b)
	top := grpcTierClient(t, tierPolicies("top", breakers), a)
	var ok atomic.Int64
	runCallsOn(32, calls, func(i int) {
		ctx := metadata.AppendToOutgoingContext(context.Background(), callHeader, strconv.Itoa(i))
		if _, err := top.EmptyCall(ctx, &testpb.Empty{}); err == nil {
			ok.Add(1)
		} else if status.Code(err) != codes.Unavailable {
			t.Errorf("call %d: %v", i, err)
		}
	})
	var ids []string
	for _, r := range c.Received() {
		ids = append(ids, r.Metadata.Get(callHeader)...)
	}
	total, most := perCallCounts(ids)
	return tierResult{calls: calls, ok: int(ok.Load()), atBottom: total, maxOne: most}
}

var tierRuns = []struct {
	name string
	run  func(t *testing.T, calls int, breakers bool, bottom testserver.Option) tierResult
}{
	{"HTTP", runHTTPTiers},
	{"gRPC", runGRPCTiers},
}

// TestRetriesAtOneLayer: with the bottom tier down, the tier above it
// retries within its budget and tells its callers not to, so the bottom sees
// at most 1.5 requests per top-level call and at most 3 for any one (a plain
// loop at every tier sends 27); with breakers at every tier, fewer still.
// With the bottom failing 30% of attempts at random, the tier above it does
// the retrying, and end to end at least 96% of calls succeed (1-0.3^3 =
// 97.3% at best).
func TestRetriesAtOneLayer(t *testing.T) {
	down := testserver.WithDefault(testserver.Status(http.StatusServiceUnavailable).WithCode(codes.Unavailable))
	for i, tr := range tierRuns {
		t.Run(tr.name+" bottom down", func(t *testing.T) {
			t.Parallel()
			got := tr.run(t, 200, false, down)
			t.Logf("retry at every tier: %v", got)
			assert.Zero(t, got.ok)
			assert.LessOrEqual(t, got.perCall(), 1.5)
			assert.LessOrEqual(t, got.maxOne, 3)
		})
		t.Run(tr.name+" bottom down, breakers", func(t *testing.T) {
			t.Parallel()
			got := tr.run(t, 200, true, down)
			t.Logf("retry and breaker at every tier: %v", got)
			assert.Zero(t, got.ok)
			assert.LessOrEqual(t, got.perCall(), 0.25)
			assert.LessOrEqual(t, got.maxOne, 3)
		})
		t.Run(tr.name+" bottom 30% failing", func(t *testing.T) {
			t.Parallel()
			bad := testserver.Status(http.StatusServiceUnavailable).WithCode(codes.Unavailable)
			got := tr.run(t, 2000, false, failing(uint64(500+i), 0.3, bad))
			t.Logf("retry at every tier: %v", got)
			assert.GreaterOrEqual(t, float64(got.ok)/float64(got.calls), 0.96)
			assert.LessOrEqual(t, got.maxOne, 3, "only the tier next to the failure retries")
		})
	}
}

// TestBudgetFloorInAShortOutage: a one-second outage of 200 calls at one
// tier adds at most 0.15 retries per call: the budget's 20 saved tokens,
// the retries in flight when they ran out, and the floor of one a second —
// never a burst of the floor saved up.
func TestBudgetFloorInAShortOutage(t *testing.T) {
	srv := testserver.NewHTTP(t, testserver.WithDefault(testserver.Status(http.StatusServiceUnavailable)))
	client := newClient(paved.New("blip", retry.MustNew()), newBase(t))
	got := measure(workers, 200, 5*time.Millisecond, func() (bool, error) {
		s, err := get(context.Background(), client, srv.URL())
		return s == http.StatusOK, err
	}, srv.Requests)
	t.Logf("a 1 s outage: %v", got)
	assert.LessOrEqual(t, got.perCall()-1, 0.15)
}
