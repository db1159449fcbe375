package testserver

import (
	"net"
	"sync"
)

// trackingListener counts accepted connections and remembers the live ones
// by remote address, so that a gRPC handler can find and reset the
// connection its call came in on.
type trackingListener struct {
	net.Listener
	opened func()

	mu    sync.Mutex
	conns map[string]net.Conn
}

func newTrackingListener(l net.Listener, opened func()) *trackingListener {
	return &trackingListener{Listener: l, opened: opened, conns: make(map[string]net.Conn)}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.opened()
	addr := c.RemoteAddr().String()
	l.mu.Lock()
	l.conns[addr] = c
	l.mu.Unlock()
	return &trackedConn{Conn: c, forget: func() {
		l.mu.Lock()
		delete(l.conns, addr)
		l.mu.Unlock()
	}}, nil
}

// abort resets the connection from addr, if it is still open.
func (l *trackingListener) abort(addr string) {
	l.mu.Lock()
	c := l.conns[addr]
	delete(l.conns, addr)
	l.mu.Unlock()
	if c != nil {
		abort(c)
	}
}

type trackedConn struct {
	net.Conn
	once   sync.Once
	forget func()
}

func (c *trackedConn) Close() error {
	c.once.Do(c.forget)
	return c.Conn.Close()
}
