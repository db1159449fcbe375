package policy

import "github.com/paved-go/paved"

// Middlewares returns the policies of name's pipeline in force, outermost
// first.
func Middlewares(s *Set, name string) []paved.Middleware {
	s.Pipeline(name)
	return s.gen.Load().clients[name].ms
}

// SwapFleetOpener registers o for scheme in place of the opener there, and
// returns what puts the old one back. Tests that use it must not run in
// parallel with others that open fleet-wide stores.
func SwapFleetOpener(scheme string, o FleetOpener) (restore func()) {
	fleetOpeners.Lock()
	defer fleetOpeners.Unlock()
	old, had := fleetOpeners.m[scheme]
	fleetOpeners.m[scheme] = o
	return func() {
		fleetOpeners.Lock()
		defer fleetOpeners.Unlock()
		if had {
			fleetOpeners.m[scheme] = old
		} else {
			delete(fleetOpeners.m, scheme)
		}
	}
}
