package policy

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// A generation's resources (fleet-wide policies, idempotency stores the
// Set opened by URL) are closed once no generation holds them: a
// generation holds its resources from when it is published until it is
// retired (replaced by a reload, or the Set closed) and the calls that
// started on it have finished. A resource a reload kept (its settings did
// not change) is held by the new generation too, so it stays open and keeps
// its state.
//
// Calls are counted only on generations that hold resources, so a Set with
// none costs a call no more than one atomic load. A call counts itself
// in, then checks that its generation is not retired; the retirer marks
// the generation retired, then reads the count: with Go's sequentially
// consistent atomics one of the two sees the other, so a resource is never
// closed under a call that started to use it.

// resources holds the count of generations holding each resource.
type resources struct {
	mu      sync.Mutex
	refs    map[FleetPolicy]int
	closing sync.WaitGroup
	errMu   sync.Mutex
	errs    []error
}

// collect lists g's resources, once each.
func (g *generation) collect() {
	seen := map[FleetPolicy]bool{}
	add := func(rs []FleetPolicy) {
		for _, r := range rs {
			if t := reflect.TypeOf(r); !t.Comparable() {
				panic(fmt.Sprintf("policy: a FleetPolicy must be comparable (a pointer), got %v", t))
			}
			if !seen[r] {
				seen[r] = true
				g.res = append(g.res, r)
			}
		}
	}
	for _, p := range g.clients {
		add(p.resources())
	}
	add(g.server.resources())
	g.track = len(g.res) > 0
}

// publish puts g in force and retires the generation it replaces. s.mu is
// held.
func (s *Set) publish(g *generation) {
	g.collect()
	s.res.mu.Lock()
	if s.res.refs == nil {
		s.res.refs = map[FleetPolicy]int{}
	}
	for _, r := range g.res {
		s.res.refs[r]++
	}
	s.res.mu.Unlock()
	if old := s.gen.Swap(g); old != nil {
		s.retire(old)
	}
	if s.closed.Load() {
		s.retire(g) // opened after Close: closed when its calls end
	}
}

// retire marks g replaced; its resources are released once its calls end.
func (s *Set) retire(g *generation) {
	g.retired.Store(true)
	if !g.track || g.inflight.Load() == 0 {
		s.drain(g)
	}
}

// acquire returns the generation in force, counted in when it holds
// resources: release it when the call ends.
func (s *Set) acquire() *generation {
	for {
		g := s.gen.Load()
		if !g.track {
			return g
		}
		g.inflight.Add(1)
		if !g.retired.Load() || s.closed.Load() {
			return g
		}
		s.release(g) // replaced meanwhile: take the new one
	}
}

func (s *Set) release(g *generation) {
	if g.track && g.inflight.Add(-1) == 0 && g.retired.Load() {
		s.drain(g)
	}
}

// drain releases g's hold on its resources, closing those no generation
// holds any more, in the background: a call's goroutine never waits for a
// Close.
func (s *Set) drain(g *generation) {
	g.drained.Do(func() {
		var done []FleetPolicy
		s.res.mu.Lock()
		for _, r := range g.res {
			if s.res.refs[r]--; s.res.refs[r] <= 0 {
				delete(s.res.refs, r)
				done = append(done, r)
			}
		}
		s.res.mu.Unlock()
		for _, r := range done {
			s.res.closing.Go(func() {
				if err := s.o.fleet.close(r); err != nil {
					s.res.errMu.Lock()
					s.res.errs = append(s.res.errs, err)
					s.res.errMu.Unlock()
				}
			})
		}
	})
}

// discard closes the resources of g, a generation that failed to build and
// was never published, that no published generation holds.
func (s *Set) discard(g *generation) {
	if g.server == nil {
		return
	}
	g.collect()
	s.res.mu.Lock()
	var done []FleetPolicy
	for _, r := range g.res {
		if s.res.refs[r] == 0 {
			done = append(done, r)
		}
	}
	s.res.mu.Unlock()
	for _, r := range done {
		_ = s.o.fleet.close(r)
	}
}

// Close releases what the Set opened: the connections and goroutines of
// fleet-wide policies (rate_limit.store, breaker.store) and the
// idempotency stores it opened by URL (server.idempotency.store; never a
// store given with WithIdempotencyStore). Each is closed once the calls in
// flight on it have finished; Close waits for those closed by then, and
// returns their errors. Call it when the service stops, after its server
// and clients are done: the Set's clients and handlers still work after
// Close, with fleet-wide policies deciding locally and a closed
// idempotency store failing as a store that is down. Reload and Apply
// return an error after Close. Safe to call twice.
func (s *Set) Close() error {
	s.mu.Lock()
	if !s.closed.Swap(true) {
		s.retire(s.gen.Load())
	}
	s.mu.Unlock()
	s.res.closing.Wait()
	s.res.errMu.Lock()
	defer s.res.errMu.Unlock()
	err := errors.Join(s.res.errs...)
	s.res.errs = nil
	return err
}
