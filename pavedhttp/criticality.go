package pavedhttp

import (
	"net/http"

	"github.com/paved-go/paved"
)

// CriticalityHeader carries a request's criticality between paved tiers
// (STANDARDS.md RS-12): one of Google's names, as paved.Priority.WireName
// writes them — CRITICAL_PLUS, CRITICAL, SHEDDABLE_PLUS, SHEDDABLE.
//
// A Transport sends it on every attempt of a call whose priority is not
// CRITICAL (the default, which needs no header): the priority the caller gave
// in paved.WithCallInfo, or the one the call inherited from the server
// request whose context it was made with. A header the caller set on the
// request is left alone. A Handler reads it by default (PriorityFromHeader),
// so a server's load shedding drops its callers' sheddable work first, and
// the calls the handler makes with the request's context carry the same
// criticality on to the next tier.
//
// At a public edge, where any client may claim CRITICAL_PLUS, decide the
// priority from authenticated facts instead: WithPriorityFunc replaces the
// header.
const CriticalityHeader = "Paved-Criticality"

// PriorityFromHeader returns the priority r's CriticalityHeader names
// (paved.ParsePriority), or paved.PriorityUnset — critical, for load
// shedding — when it has none or an unknown value. It is the Handler's
// default priority function.
func PriorityFromHeader(r *http.Request) paved.Priority {
	p, _ := paved.ParsePriority(r.Header.Get(CriticalityHeader))
	return p
}

// setCriticalityHeader marks r, the attempt's own copy of the request, with
// the call's priority when it is not the default. Its header is cloned: the
// caller's is never modified.
func setCriticalityHeader(r *http.Request, c *paved.Call) {
	p := c.Priority()
	if p == paved.PriorityCritical {
		return
	}
	if _, set := r.Header[CriticalityHeader]; set {
		return
	}
	h := r.Header.Clone()
	if h == nil {
		h = make(http.Header, 1)
	}
	h[CriticalityHeader] = []string{p.WireName()}
	r.Header = h
}
