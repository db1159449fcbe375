package chaosgrpc

import (
	"net"
	"sync"
)

// Listener is a net.Listener that keeps hold of the connections it accepts,
// so that a server interceptor given it (WithListener) can reset the one
// carrying a call: gRPC gives a handler its peer's address, never its
// connection. Make one with NewListener, and serve on it:
//
//	lis := chaosgrpc.NewListener(inner)
//	reset := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(0.05))
//	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
//		chaosgrpc.UnaryServerInterceptor(reset, chaosgrpc.WithListener(lis))))
//	go srv.Serve(lis)
//
// It keeps a connection from Accept until it is closed, and costs a map
// entry per open connection; reads and writes pass straight through. Inner
// may be a TLS listener (tls.NewListener): a reset closes the TCP
// connection beneath the *tls.Conn with the RST. It is safe for concurrent
// use.
type Listener struct {
	net.Listener
	mu    sync.Mutex
	conns map[connKey]*trackedConn
}

var _ net.Listener = (*Listener)(nil)

// connKey names a connection by its two ends, as a call's peer does.
type connKey struct{ local, remote string }

// NewListener returns a Listener that accepts from l. It panics if l is nil:
// a programmer error.
func NewListener(l net.Listener) *Listener {
	if l == nil {
		panic("chaosgrpc: NewListener needs a net.Listener, got nil")
	}
	return &Listener{Listener: l, conns: map[connKey]*trackedConn{}}
}

// Accept waits for the next connection and keeps hold of it until it is closed.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l, key: keyOf(c.LocalAddr(), c.RemoteAddr())}
	l.mu.Lock()
	l.conns[tc.key] = tc
	l.mu.Unlock()
	return tc, nil
}

// Conns returns how many accepted connections are open.
func (l *Listener) Conns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// reset closes the connection between local and remote with an RST (on TCP,
// or TLS over TCP; another kind of connection is just closed), and reports
// whether the Listener had accepted it.
func (l *Listener) reset(local, remote net.Addr) bool {
	key := keyOf(local, remote)
	l.mu.Lock()
	tc, ok := l.conns[key]
	l.mu.Unlock()
	if !ok {
		return false
	}
	// Beneath a TLS listener's *tls.Conn is the TCP connection: close that
	// with the RST, before the TLS one could send a close_notify.
	raw := tc.Conn
	if nc, ok := raw.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if lc, ok := raw.(interface{ SetLinger(int) error }); ok {
		_ = lc.SetLinger(0) // an RST rather than a FIN
	}
	_ = raw.Close()
	_ = tc.Close() // forgets it
	return true
}

func keyOf(local, remote net.Addr) connKey {
	k := connKey{}
	if local != nil {
		k.local = local.String()
	}
	if remote != nil {
		k.remote = remote.String()
	}
	return k
}

// trackedConn is an accepted connection, forgotten by its Listener when closed.
type trackedConn struct {
	net.Conn
	l    *Listener
	key  connKey
	once sync.Once
}

// Close closes the connection, then lets the Listener forget it: in that
// order, so that a call a reset cannot find (two resets of one connection
// at once) is on a connection already closed, and its answer reaches no
// one.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.conns[c.key] == c {
			delete(c.l.conns, c.key)
		}
		c.l.mu.Unlock()
	})
	return err
}
