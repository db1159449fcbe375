package testserver

import (
	"context"
	"sync"
)

// ledger is the state both servers share: the script, the arrival count and
// the number in flight, plus a signal for WaitRequests.
type ledger struct {
	mu       sync.Mutex
	script   []Behaviour
	def      Behaviour
	choose   func(n int) Behaviour
	n        int
	byMethod map[string]int
	inFlight int
	conns    int
	// changed is closed, and cleared, on each arrival and departure, so
	// waiters need not poll.
	changed chan struct{}
}

func newLedger(c config) *ledger {
	return &ledger{
		script:   append([]Behaviour(nil), c.script...),
		def:      c.def,
		choose:   c.choose,
		byMethod: make(map[string]int),
	}
}

// arrive counts a request and picks its behaviour; record runs under the same
// lock, so records are in arrival order.
func (l *ledger) arrive(method string, record func(n int)) (int, Behaviour) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.n
	l.n++
	l.byMethod[method]++
	l.inFlight++
	record(n)
	l.signalLocked()
	switch {
	case l.choose != nil:
		return n, l.choose(n)
	case len(l.script) > 0:
		b := l.script[0]
		l.script = l.script[1:]
		return n, b
	default:
		return n, l.def
	}
}

func (l *ledger) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	l.signalLocked()
}

func (l *ledger) signalLocked() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

func (l *ledger) enqueue(bs []Behaviour) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.script = append(l.script, bs...)
}

func (l *ledger) connOpened() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns++
}

func (l *ledger) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *ledger) count(method string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byMethod[method]
}

func (l *ledger) connections() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns
}

func (l *ledger) inflight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight
}

// wait blocks until done, called under the lock, is true, or ctx is done.
func (l *ledger) wait(ctx context.Context, done func() bool) error {
	for {
		l.mu.Lock()
		if done() {
			l.mu.Unlock()
			return nil
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *ledger) waitArrivals(ctx context.Context, n int) error {
	return l.wait(ctx, func() bool { return l.n >= n })
}

func (l *ledger) waitIdle(ctx context.Context) error {
	return l.wait(ctx, func() bool { return l.inFlight == 0 })
}
