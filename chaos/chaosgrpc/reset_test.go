package chaosgrpc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaosgrpc"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// startReset serves a service on a chaosgrpc.Listener over loopback, with
// reset's fault (a server Reset) in its interceptors, and returns a client
// dialled with dial.
func startReset(t *testing.T, reset *chaos.Chaos, dial ...grpc.DialOption) (testpb.TestServiceClient, *service, *chaosgrpc.Listener) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lis := chaosgrpc.NewListener(inner)
	srv := grpc.NewServer(grpc.WaitForHandlers(true),
		grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(reset, chaosgrpc.WithListener(lis))),
		grpc.StreamInterceptor(chaosgrpc.StreamServerInterceptor(reset, chaosgrpc.WithListener(lis))))
	svc := &service{}
	testpb.RegisterTestServiceServer(srv, svc)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		<-done
		assert.Zero(t, lis.Conns(), "a stopped server leaves no connection held")
	})
	cc, err := grpc.NewClient("passthrough:///"+inner.Addr().String(),
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dial...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return testpb.NewTestServiceClient(cc), svc, lis
}

// resetTries is how many calls a test makes to meet one that reads
// "connection reset by peer". A real reset sometimes reads EOF instead: the
// kernel reports a received RST to one syscall only, and when the client's
// writer meets it first, its reader then sees the end of the stream (seen in
// about 1 call in 20 under load). Five calls each on a new connection all
// reading EOF would be a FIN, not that chance.
const resetTries = 5

// callUntilReset makes up to resetTries calls with call, each of which must
// fail UNAVAILABLE, and returns how many calls it made and the first error
// reading "connection reset by peer" (nil if none did).
func callUntilReset(t *testing.T, call func() error) (int, error) {
	t.Helper()
	var messages []string
	for n := 1; n <= resetTries; n++ {
		err := call()
		require.Error(t, err)
		require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
		if strings.Contains(status.Convert(err).Message(), "connection reset by peer") {
			return n, err
		}
		messages = append(messages, status.Convert(err).Message())
	}
	t.Errorf("%d calls met no reset, only %q: a FIN, not an RST", resetTries, messages)
	return resetTries, nil
}

// A server Reset closes the call's TCP connection with an RST: the client
// reads "connection reset by peer" (a FIN reads as EOF), its call was
// carried by the connection (grpc filled the peer), the handler never ran,
// and the channel reconnects for the next call.
func TestServerResetIsARealReset(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
	client, svc, lis := startReset(t, c)
	var p peer.Peer
	calls, err := callUntilReset(t, func() error {
		_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{}, grpc.Peer(&p))
		return err
	})
	assert.NotErrorIs(t, err, chaos.ErrInjected, "a real reset carries no mark from the server")
	require.NotNil(t, p.Addr, "the RPC was on a connection")
	assert.Equal(t, "tcp", p.Addr.Network())
	assert.Zero(t, svc.calls.Load())
	assert.Equal(t, uint64(calls), c.Injected())

	c.Disable()
	resp, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	require.NoError(t, err, "a new connection carries the next call")
	assert.Equal(t, "ok", resp.GetUsername())
	// The reset connection is forgotten at once; a connection the channel
	// was still opening while the call took another can take a moment to go.
	assert.Eventually(t, func() bool { return lis.Conns() == 1 }, 5*time.Second, time.Millisecond,
		"the reset connection is forgotten, the new one held")
}

// The client's emulation fails a call exactly as grpc-go reports a real
// reset, code and message, measured here against one.
func TestClientResetMatchesRealReset(t *testing.T) {
	real, _, _ := startReset(t, chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1)))
	_, realErr := callUntilReset(t, func() error {
		_, err := real.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		return err
	})
	require.Error(t, realErr)

	emu := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
	client, svc := start(t, nil, grpc.WithUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(emu)))
	var p peer.Peer
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{}, grpc.Peer(&p))
	require.Error(t, err)
	assert.Equal(t, status.Code(realErr), status.Code(err))
	assert.Equal(t, status.Convert(realErr).Message(), status.Convert(err).Message())
	assert.ErrorIs(t, err, chaos.ErrInjected, "the emulation is marked")
	assert.Zero(t, svc.calls.Load(), "the emulation sends nothing")
	require.NotNil(t, p.Addr, "the call stands for one a connection carried")
	assert.Equal(t, "chaos", p.Addr.Network())
	assert.Contains(t, p.Addr.String(), "passthrough:///127.0.0.1:")
}

func TestClientResetStream(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
	client, svc := start(t, nil, grpc.WithStreamInterceptor(chaosgrpc.StreamClientInterceptor(c)))
	_, err := client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.ErrorIs(t, err, chaos.ErrInjected)
	assert.Zero(t, svc.calls.Load())
}

func TestServerResetStream(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
	client, svc, _ := startReset(t, c)
	callUntilReset(t, func() error {
		stream, err := client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	})
	assert.Zero(t, svc.calls.Load())
}

// attempts records, for each attempt under a retry, whether it was marked
// unsent.
type attempts struct {
	mu     sync.Mutex
	unsent []bool
}

func (a *attempts) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		err := next(ctx)
		a.mu.Lock()
		a.unsent = append(a.unsent, paved.AttemptFrom(ctx).Unsent())
		a.mu.Unlock()
		return err
	}
}

// Under paved's retry, a reset, real or emulated, is what it is in
// production: an UNAVAILABLE on a call a connection carried, so Transient
// and never unsent. A repeatable method is retried through it; an
// unrepeatable one is not (the server may have acted on it). One
// chaos_injected event per injection, with fault "reset".
func TestResetUnderPavedRetry(t *testing.T) {
	fast := func() paved.Middleware {
		return retry.MustNew(retry.WithMaxAttempts(10), retry.WithBackoff(time.Microsecond, time.Microsecond), retry.WithoutBudget())
	}
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			dial := func(c *chaos.Chaos, p *paved.Pipeline, opts ...pavedgrpc.Option) (testpb.TestServiceClient, *service) {
				paveIt := pavedgrpc.UnaryClientInterceptor(p, opts...)
				if side == "client" {
					return start(t, nil, grpc.WithChainUnaryInterceptor(paveIt, chaosgrpc.UnaryClientInterceptor(c)))
				}
				client, svc, _ := startReset(t, c, grpc.WithUnaryInterceptor(paveIt))
				return client, svc
			}
			log, tel := telemetrytest.New()
			c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(0.5), chaos.WithSeed(4), chaos.WithTelemetry(tel))
			var seen attempts
			p := paved.New("grpc-reset", paved.WithTelemetry(tel), fast(), &seen)
			client, svc := dial(c, p, pavedgrpc.WithRepeatable(func(string) bool { return true }))
			for range 40 {
				resp, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
				require.NoError(t, err, "a repeatable method is retried through resets")
				assert.Equal(t, "ok", resp.GetUsername())
			}
			assert.Equal(t, int64(40), svc.calls.Load())
			assert.Greater(t, c.Injected(), uint64(10))
			events := log.Events(telemetry.EventChaosInjected)
			assert.Len(t, events, int(c.Injected()), "one event per injection")
			for _, e := range events {
				assert.Equal(t, "reset", e.Attrs[telemetry.AttrChaosFault])
			}
			assert.Equal(t, int(c.Injected()), log.Count(telemetry.EventRetry))
			assert.NotContains(t, seen.unsent, true, "a reset call was sent")

			once := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
			seen = attempts{}
			p = paved.New("grpc-reset-once", fast(), &seen)
			client, svc = dial(once, p)
			_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			assert.Equal(t, codes.Unavailable, status.Code(err))
			var se *pavedgrpc.StatusError
			require.ErrorAs(t, err, &se)
			assert.False(t, se.Unsent())
			assert.Equal(t, paved.OutcomeTransient, pavedgrpc.Classify(err))
			assert.Equal(t, []bool{false}, seen.unsent, "an unrepeatable call is not sent again after a reset")
			assert.Equal(t, uint64(1), once.Injected())
			assert.Zero(t, svc.calls.Load())
		})
	}
}

// An injected Code on the client stands for a server's answer, so it too is
// a sent call: an unrepeatable call is not retried through it, as it is not
// through a real server's UNAVAILABLE.
func TestClientCodeIsSent(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Code(codes.Unavailable), chaos.WithRate(1))
	var seen attempts
	p := paved.New("grpc-code", retry.MustNew(retry.WithBackoff(time.Microsecond, time.Microsecond), retry.WithoutBudget()), &seen)
	client, _ := start(t, nil, grpc.WithChainUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p), chaosgrpc.UnaryClientInterceptor(c)))
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, []bool{false}, seen.unsent)
	assert.Equal(t, uint64(1), c.Injected())
}

// With a seed, the n-th call the server receives is reset exactly when a
// twin Chaos with that seed picks its n-th call: the rate and seed hold
// over a real network.
func TestServerResetSeedAndRate(t *testing.T) {
	const n, rate, seed = 200, 0.3, 9
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(rate), chaos.WithSeed(seed))
	twin := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(rate), chaos.WithSeed(seed))
	client, svc, _ := startReset(t, c)
	want, got := make([]bool, n), make([]bool, n)
	for i := range n {
		_, want[i] = twin.Pick(context.Background())
		_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		if err != nil {
			require.Equal(t, codes.Unavailable, status.Code(err), "call %d: %v", i, err)
			got[i] = true
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, twin.Injected(), c.Injected())
	assert.Equal(t, int64(n)-int64(c.Injected()), svc.calls.Load())
	assert.InDelta(t, rate, float64(c.Injected())/n, 0.1)
}

// Many callers at once over one channel: a reset fails every call on its
// connection (not only the picked one), every call ends, two resets of one
// connection at once are both resets, and nothing is left held once the
// server stops (goleak checks the goroutines).
func TestServerResetConcurrent(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(0.2), chaos.WithSeed(3))
	client, svc, _ := startReset(t, c)
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
				switch {
				case err == nil:
					ok.Add(1)
				case status.Code(err) == codes.Unavailable:
					failed.Add(1)
				case errors.Is(err, io.EOF):
					// Another call's reset cut this one while its request
					// was still being sent: grpc-go's unary path then returns
					// SendMsg's bare io.EOF, not a status (grpc-go issue 7230).
					failed.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(16*50), ok.Load()+failed.Load())
	assert.Equal(t, c.Calls(), uint64(svc.calls.Load())+c.Injected(), "the server ran every call it received and did not reset")
	assert.LessOrEqual(t, ok.Load(), svc.calls.Load(), "a reset loses the answers of the calls its connection carried")
	assert.GreaterOrEqual(t, failed.Load(), int64(c.Injected()), "each reset fails at least its own call")
	assert.Positive(t, c.Injected())
}

// A Reset fault on a server without its Listener is a programmer error; a
// call on a connection the Listener did not accept is answered INTERNAL,
// saying why, rather than passing for a reset.
func TestResetValidation(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
	const msg = "chaosgrpc: a Reset fault on a server needs WithListener, the Listener the server serves on"
	assert.PanicsWithValue(t, msg, func() { chaosgrpc.UnaryServerInterceptor(c) })
	assert.PanicsWithValue(t, msg, func() { chaosgrpc.StreamServerInterceptor(c, nil) })
	assert.PanicsWithValue(t, "chaosgrpc: NewListener needs a net.Listener, got nil", func() { chaosgrpc.NewListener(nil) })

	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	other := chaosgrpc.NewListener(inner)
	defer other.Close()
	client, svc := start(t, []grpc.ServerOption{grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(c, chaosgrpc.WithListener(other)))})
	_, err = client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Equal(t, "chaosgrpc: Reset: the call's connection was not accepted by the Listener given to WithListener", status.Convert(err).Message())
	assert.Zero(t, svc.calls.Load())

	// Other faults ignore WithListener.
	code := chaos.MustNew(chaosgrpc.Code(codes.Aborted), chaos.WithRate(1))
	client, _ = start(t, []grpc.ServerOption{grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(code, chaosgrpc.WithListener(other)))})
	_, err = client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	assert.Equal(t, codes.Aborted, status.Code(err))
}

// The Listener forgets a connection when it is closed, by either end, and
// passes Accept's errors through.
func TestListenerTracksConns(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lis := chaosgrpc.NewListener(inner)
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp", inner.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	server := <-accepted
	assert.Equal(t, 1, lis.Conns())
	require.NoError(t, server.Close())
	assert.Zero(t, lis.Conns())
	assert.Error(t, server.Close(), "a second Close reports the closed connection")
	assert.Zero(t, lis.Conns())
	require.NoError(t, lis.Close())
	_, open := <-accepted
	assert.False(t, open)
	_, err = lis.Accept()
	assert.True(t, errors.Is(err, net.ErrClosed))
}
