package chaosgrpc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaosgrpc"
)

// loopbackCert is a self-signed certificate for 127.0.0.1, and a pool that
// trusts it.
func loopbackCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Around a TLS listener (tls.NewListener), a server Reset is still an RST
// on the TCP connection beneath: the client reads "connection reset by
// peer", not the EOF a FIN (or a TLS close_notify) gives. A reset call
// sometimes reads EOF even so (on plain TCP too: the client's writer can
// meet the reset first), so five calls, each on a new connection, must
// meet at least one reset; closing the *tls.Conn, as before, met none.
func TestServerResetThroughATLSListener(t *testing.T) {
	cert, pool := loopbackCert(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lis := chaosgrpc.NewListener(tls.NewListener(inner, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}))
	c := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(1))
	srv := grpc.NewServer(grpc.WaitForHandlers(true),
		grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(c, chaosgrpc.WithListener(lis))))
	svc := &service{}
	testpb.RegisterTestServiceServer(srv, svc)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	defer func() { srv.Stop(); <-done }()

	cc, err := grpc.NewClient("passthrough:///"+inner.Addr().String(),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})))
	require.NoError(t, err)
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)
	var messages []string
	resets := 0
	for range 5 {
		_, err = client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		require.Error(t, err)
		assert.Equal(t, codes.Unavailable, status.Code(err))
		messages = append(messages, status.Convert(err).Message())
		if strings.Contains(messages[len(messages)-1], "connection reset by peer") {
			resets++
		}
	}
	assert.Positive(t, resets, "%q", messages)
	assert.Zero(t, svc.calls.Load())

	c.Disable()
	resp, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	require.NoError(t, err, "a new TLS connection carries the next call")
	assert.Equal(t, "ok", resp.GetUsername())
}
