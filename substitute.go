package paved

// Substitute makes v the call's result in place of whatever its attempts
// produced: a fallback policy answering a failed call calls it, then
// returns nil, and the adapter (or Do) returns v as it would any final
// result — an *http.Response from pavedhttp, a reply from pavedgrpc
// (copied into the caller's), the T of Do. The attempts' own results are
// discarded when the call ends (their bodies closed), and discard, if not
// nil, frees v if nobody takes it.
//
// A substitute stands whatever attempt a retry or hedge marks final later
// (SetFinal), so a fallback works wherever it sits in the pipeline; a
// second Substitute replaces the first, which is discarded. The substitute
// is not an attempt: Attempts does not count it. Called after the call
// ended, it discards v at once.
func (c *Call) Substitute(v any, discard func(v any)) {
	a := &Attempt{call: c, n: int32(c.Attempts()), hasResult: true, result: v, discard: discard}
	old := c.flags.Or(flagMore)
	if discard != nil {
		c.flags.Or(flagFreeable)
	}
	c.mu.Lock()
	if old&flagSealed != 0 || c.flags.Load()&flagSealedLocked != 0 {
		c.mu.Unlock()
		a.Discard()
		return
	}
	if c.more == nil {
		c.more = &callMore{}
	}
	prev := c.more.sub
	c.more.sub = a
	c.mu.Unlock()
	if prev != nil {
		prev.Discard()
	}
}
