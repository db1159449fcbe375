package testserver

import (
	"net/http"

	"github.com/paved-go/paved/clock"
)

// Option configures a server made by NewHTTP or NewGRPC.
type Option func(*config)

type config struct {
	script  []Behaviour
	def     Behaviour
	choose  func(n int) Behaviour
	handler func(n int, w http.ResponseWriter, r *http.Request)
	clock   clock.Clock
}

// newConfig applies the defaults, then opts.
func newConfig(opts []Option) config {
	c := config{def: OK(), clock: clock.Real()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithScript appends behaviours to the script, used one per request in
// arrival order before the default. Default: empty.
func WithScript(bs ...Behaviour) Option {
	return func(c *config) { c.script = append(c.script, bs...) }
}

// WithDefault sets the behaviour once the script is used up. Default: OK().
func WithDefault(b Behaviour) Option {
	return func(c *config) { c.def = b }
}

// WithChooser picks each request's behaviour by calling choose with the
// request's number (0 for the first to arrive), instead of the script and
// default. choose is called under the server's lock, one call at a time, so
// it may use an unsynchronized seeded *rand.Rand.
func WithChooser(choose func(n int) Behaviour) Option {
	return func(c *config) { c.choose = choose }
}

// WithHandler makes the HTTP server call h with the request's number instead
// of following a script; the request is still counted and recorded, its body
// can still be read, and its context also ends when the server closes.
// NewGRPC rejects it.
func WithHandler(h func(n int, w http.ResponseWriter, r *http.Request)) Option {
	return func(c *config) { c.handler = h }
}

// WithClock sets the clock that Delay waits on. Default: clock.Real().
func WithClock(c clock.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}
