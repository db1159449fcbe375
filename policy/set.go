package policy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos/chaosgrpc"
	"github.com/paved-go/paved/chaos/chaoshttp"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/telemetry"
)

// policyName is the pipeline attribute of the Set's own events.
const policyName = "policy"

// Set hands out the paved-road clients and server admission of one
// configuration, and swaps them all when the configuration changes. Make it
// with New, Open or FromEnv. It is safe for concurrent use.
//
// Pipeline, HTTPClient, Transport and DialOptions give a dependency's
// client pipeline; Handler and ServerOptions the server's. What they return
// stays valid across reloads: each call runs on the configuration in force
// when it started, and a reload (Reload, Apply, Watch) swaps every pipeline
// at once, so a call never sees half of a configuration; calls in flight
// finish on the old one. A policy whose settings did not change keeps its
// state across a reload (a breaker stays open, a budget keeps its tokens).
type Set struct {
	o   *options
	mu  sync.Mutex // serializes reloads and the registration of slots
	gen atomic.Pointer[generation]

	// Guarded by mu.
	source     string   // the file Open read, for Watch("")
	applied    [32]byte // SHA-256 of the last file content Watch or Reload saw
	hasApplied bool
	clients    map[string]*clientSlot
	transports map[string]*clientSlot // the HTTP pipelines, with the fallback
	server     *serverSlot
	handlers   []*handlerSlot

	closed atomic.Bool
	res    resources
	lis    atomic.Pointer[chaosgrpc.Listener] // Listener's, for server.chaos resets
}

// generation is everything one configuration built. Immutable once
// published.
type generation struct {
	cfg      *Config
	clients  map[string]*clientParts // by dependency name, for the names in use
	server   *serverParts
	ops      []paved.Op     // by slot index: each pipeline's chain, wrapped
	handlers []http.Handler // by handler index

	// Its resources, and the calls in flight on it (lifecycle.go).
	res      []FleetPolicy
	track    bool // len(res) > 0: calls are counted
	inflight atomic.Int64
	retired  atomic.Bool
	drained  sync.Once
}

// New returns a Set for cfg; a nil cfg means the built-in defaults
// (BuiltinDefaults) for every name.
//
// A server section that passed validation yet does not build (an opener
// refused its store) is built with its stores local instead, and reported
// as a config_degraded event: New has no error to return, and must not
// panic a service. Open returns the error.
func New(cfg *Config, opts ...Option) *Set {
	o := newOptions(opts)
	if cfg == nil {
		cfg, _ = Parse(nil)
	}
	srv, err := buildServer(cfg.Server, nil, o)
	if err != nil {
		srv = degradedServer(cfg.Server, err, o)
	}
	return newSet(cfg, srv, o)
}

func newSet(cfg *Config, srv *serverParts, o *options) *Set {
	s := &Set{o: o, clients: map[string]*clientSlot{}, transports: map[string]*clientSlot{}}
	s.publish(&generation{cfg: cfg, clients: map[string]*clientParts{}, server: srv})
	s.chaosChanged(nil, cfg)
	return s
}

// Open loads the file at path (Load) and returns a Set for it.
func Open(path string, opts ...Option) (*Set, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	cfg, problems := parse(data)
	if len(problems) > 0 {
		return nil, &Error{Source: path, Problems: problems}
	}
	o := newOptions(opts)
	srv, err := buildServer(cfg.Server, nil, o)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", path, err)
	}
	s := newSet(cfg, srv, o)
	s.source, s.applied, s.hasApplied = path, sha256.Sum256(data), true
	return s, nil
}

// Config returns the configuration in force.
func (s *Set) Config() *Config { return s.gen.Load().cfg }

// slot is one pipeline the Set built: its index in generation.ops and the
// Op its live middleware was wrapped around.
type slot struct {
	idx  int
	next paved.Op
	p    *paved.Pipeline
}

type clientSlot struct {
	slot
	name string
}

type serverSlot struct{ slot }

// live is the only middleware of a Set's pipelines: each call runs the
// chain of the generation in force when it starts.
type live struct {
	s    *Set
	slot *slot
}

func (l *live) Wrap(next paved.Op) paved.Op {
	l.slot.next = next
	s, i := l.s, &l.slot.idx
	return func(ctx context.Context) error {
		g := s.acquire()
		defer s.release(g)
		return g.ops[*i](ctx)
	}
}

// Pipeline returns the client pipeline of the dependency called name: total
// timeout, retry (or hedge), breaker and attempt timeout, configured by the
// dependency's section with defaults filled in. A name the configuration
// does not know gets the defaults, never a pipeline without a timeout, and
// an unknown_dependency event (a warning when the telemetry has a logger).
// A section that passed validation yet does not build (an opener refused
// its store) is built with its stores local, else from the built-in
// defaults, and reported as a config_degraded event: never a panic, never
// a client without a timeout. The same name always returns the same
// Pipeline.
func (s *Set) Pipeline(name string) *paved.Pipeline { return s.pipeline(name, false) }

// pipeline returns name's Pipeline, or with http its HTTP pipeline: the same
// policies with the fallback (fallback section) outermost.
func (s *Set) pipeline(name string, http bool) *paved.Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	slots := s.clients
	if http {
		slots = s.transports
	}
	if c, ok := slots[name]; ok {
		return c.p
	}
	first := s.clients[name] == nil && s.transports[name] == nil
	c := &clientSlot{name: name}
	c.p = paved.New(name, &live{s: s, slot: &c.slot}, paved.WithTelemetry(s.o.tel))
	old := s.gen.Load()
	g := old.clone()
	parts, err := s.clientParts(g, name, nil)
	if err != nil {
		d, _ := g.cfg.Dependency(name)
		parts = s.degradedClient(g, name, d, err)
	}
	c.idx = len(g.ops)
	g.ops = append(g.ops, parts.chainFor(http).Wrap(c.next))
	slots[name] = c
	s.publish(g)
	if _, known := g.cfg.Dependencies[name]; !known && first {
		s.unknown(name)
	}
	return c.p
}

// clientParts returns g's parts for name, building them (from prev's when
// given) if g has none yet.
func (s *Set) clientParts(g *generation, name string, prev *generation) (*clientParts, error) {
	if p, ok := g.clients[name]; ok {
		return p, nil
	}
	var before *clientParts
	if prev != nil {
		before = prev.clients[name]
	}
	d, _ := g.cfg.Dependency(name)
	p, err := buildClient(name, d, before, s.o)
	if err != nil {
		return nil, err
	}
	g.clients[name] = p
	return p, nil
}

func (s *Set) unknown(name string) {
	s.o.tel.Emit(context.Background(), name, telemetry.Event{
		Name:   telemetry.EventUnknownDependency,
		Policy: policyName,
		Attrs:  []attribute.KeyValue{attribute.String(telemetry.AttrDependency, name)},
	})
}

// Transport returns an http.RoundTripper that sends requests to base (nil:
// http.DefaultTransport) through the pipeline of dependency name
// (pavedhttp.NewTransport).
//
// When the dependency has a fallback section, its failures (fallback.outcomes)
// are answered by the last good copy of the GET (pavedhttp.Stale), which the
// Transport records beneath it; a reload that turns the fallback on or off
// applies to the Transports already handed out.
func (s *Set) Transport(name string, base http.RoundTripper, opts ...pavedhttp.Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return pavedhttp.NewTransport(s.pipeline(name, true), &wireBase{s: s, name: name, base: base}, opts...)
}

// HTTPClient returns an http.Client whose requests go through the pipeline
// of dependency name. Its total timeout comes from the pipeline
// (timeout.total, which also bounds reading the body), so it needs no
// Client.Timeout, and a reload can change it.
func (s *Set) HTTPClient(name string, opts ...pavedhttp.Option) *http.Client {
	return &http.Client{Transport: s.Transport(name, nil, opts...)}
}

// DialOptions returns the grpc.DialOptions that send a client connection's
// calls through the pipeline of dependency name (pavedgrpc.DialOptions),
// and, when the dependency's chaos section lists grpc_code or reset
// faults, disturb each attempt with them beneath the pipeline
// (chaosgrpc.UnaryClientInterceptor), so every policy sees them as the
// server's status. A reload that changes the faults applies to the
// connections already dialled.
func (s *Set) DialOptions(name string, opts ...pavedgrpc.Option) []grpc.DialOption {
	p := s.Pipeline(name)
	unary := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if c := s.gen.Load().clients[name]; c != nil && c.grpcUnary != nil {
			return c.grpcUnary(ctx, method, req, reply, cc, invoker, opts...)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	stream := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if c := s.gen.Load().clients[name]; c != nil && c.grpcStream != nil {
			return c.grpcStream(ctx, desc, cc, method, streamer, opts...)
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
	return append(pavedgrpc.DialOptions(p, opts...), grpc.WithChainUnaryInterceptor(unary), grpc.WithChainStreamInterceptor(stream))
}

// ServerPipeline returns the server's admission pipeline, named by
// server.name: the request deadline (server.deadline) outermost.
func (s *Set) ServerPipeline() *paved.Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serverLocked().p
}

func (s *Set) serverLocked() *serverSlot {
	if s.server != nil {
		return s.server
	}
	old := s.gen.Load()
	sl := &serverSlot{}
	sl.p = paved.New(old.cfg.Server.Name, &live{s: s, slot: &sl.slot}, paved.WithTelemetry(s.o.tel))
	g := old.clone()
	sl.idx = len(g.ops)
	g.ops = append(g.ops, g.server.chain.Wrap(sl.next))
	s.server = sl
	s.publish(g)
	return sl
}

// handlerSlot is one Handler the Set handed out.
type handlerSlot struct {
	idx  int
	next http.Handler
	opts []pavedhttp.HandlerOption
}

// Handler returns next behind the server's admission
// (pavedhttp.NewHandler over ServerPipeline: deadline, per-caller rate
// limit, load shedding), configured by the server section: the caller key
// from server.caller_key.header, the client's deadline header capped by
// server.deadline.max, and, when server.idempotency is on, keyed
// POST/PATCH requests guarded by pavedhttp.NewIdempotencyHandler inside
// admission. opts come after those, so
// they win. A reload rebuilds it; requests in flight finish on the old one.
func (s *Set) Handler(next http.Handler, opts ...pavedhttp.HandlerOption) http.Handler {
	if next == nil {
		panic("policy: Handler needs a next http.Handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.serverLocked()
	h := &handlerSlot{next: next, opts: opts}
	g := s.gen.Load().clone()
	h.idx = len(g.handlers)
	g.handlers = append(g.handlers, s.buildHandler(g, sl.p, h))
	s.handlers = append(s.handlers, h)
	s.publish(g)
	return &handler{s: s, idx: h.idx}
}

func (s *Set) buildHandler(g *generation, p *paved.Pipeline, h *handlerSlot) http.Handler {
	srv := g.cfg.Server
	var opts []pavedhttp.HandlerOption
	if name := srv.CallerKey.Header; name != "" {
		opts = append(opts, pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get(name) }))
	}
	if srv.Deadline.Enabled {
		opts = append(opts, pavedhttp.WithServerDeadlineHeader(srv.Deadline.Header, srv.Deadline.Max))
	}
	next := h.next
	if g.server.guard != nil {
		next = pavedhttp.NewIdempotencyHandler(g.server.guard, next, pavedhttp.WithKeyRequired(srv.Idempotency.Required))
	}
	for i := len(g.server.chaos.http) - 1; i >= 0; i-- {
		next = chaoshttp.NewHandler(g.server.chaos.http[i], next)
	}
	return pavedhttp.NewHandler(p, next, append(opts, h.opts...)...)
}

type handler struct {
	s   *Set
	idx int
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.s.acquire()
	defer h.s.release(g)
	g.handlers[h.idx].ServeHTTP(w, r)
}

// ServerOptions returns the grpc.ServerOptions that admit a server's calls
// through ServerPipeline (pavedgrpc.ServerOptions), with the caller key read
// from the metadata key server.caller_key.metadata of the configuration in
// force, and, when server.idempotency is on, unary calls guarded by its
// key (pavedgrpc.UnaryServerIdempotency) inside admission. The
// server.chaos section's grpc_code and reset faults disturb the admitted
// calls, before the guard (chaosgrpc.UnaryServerInterceptor); a reset needs
// the server to serve on Listener, and is left out otherwise. opts come
// after the Set's, so they win.
func (s *Set) ServerOptions(opts ...pavedgrpc.Option) []grpc.ServerOption {
	key := pavedgrpc.WithKeyFunc(func(ctx context.Context) string {
		return metadataValue(ctx, s.Config().Server.CallerKey.Metadata)
	})
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		g := s.acquire()
		defer s.release(g)
		c, _ := g.server.grpcServer(s.lis.Load())
		u := g.server.unary
		switch {
		case c == nil && u == nil:
			return h(ctx, req)
		case c == nil:
			return u(ctx, req, info, h)
		case u == nil:
			return c(ctx, req, info, h)
		}
		return c(ctx, req, info, func(ctx context.Context, req any) (any, error) { return u(ctx, req, info, h) })
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if _, c := s.gen.Load().server.grpcServer(s.lis.Load()); c != nil {
			return c(srv, ss, info, h)
		}
		return h(srv, ss)
	}
	return append(pavedgrpc.ServerOptions(s.ServerPipeline(), append([]pavedgrpc.Option{key}, opts...)...),
		grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
}

// Listener returns l as a chaosgrpc.Listener, which keeps hold of the
// connections it accepts, so that a server.chaos reset fault can close the
// one carrying a call with an RST. Serve the gRPC server of ServerOptions
// on it, before its first call, when server.chaos may list a reset (a game
// day's file); it costs a map entry per open connection. One Set, one
// Listener: it panics if called twice.
func (s *Set) Listener(l net.Listener) net.Listener {
	lis := chaosgrpc.NewListener(l)
	if !s.lis.CompareAndSwap(nil, lis) {
		panic("policy: Listener called twice on one Set")
	}
	return lis
}

func (g *generation) clone() *generation {
	c := &generation{cfg: g.cfg, server: g.server,
		clients:  make(map[string]*clientParts, len(g.clients)+1),
		ops:      append([]paved.Op(nil), g.ops...),
		handlers: append([]http.Handler(nil), g.handlers...),
	}
	for k, v := range g.clients {
		c.clients[k] = v
	}
	return c
}

// Apply puts cfg in force: every pipeline and handler the Set handed out is
// rebuilt from it and swapped at once. Policies whose settings are the same
// in cfg keep their state. A nil cfg is an error.
func (s *Set) Apply(cfg *Config) error { return s.apply(cfg, nil) }

// apply is Apply; data, when not nil, is the file content cfg was parsed
// from, remembered so that Watch does not reload it again.
func (s *Set) apply(cfg *Config, data []byte) (err error) {
	if cfg == nil {
		return errors.New("policy: Apply needs a Config")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return errors.New("policy: the Set is closed")
	}
	old := s.gen.Load()
	g := &generation{
		cfg:      cfg,
		clients:  make(map[string]*clientParts, len(old.clients)),
		ops:      make([]paved.Op, len(old.ops)),
		handlers: make([]http.Handler, len(old.handlers)),
	}
	srv, err := buildServer(cfg.Server, old.server, s.o)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	g.server = srv
	defer func() {
		if err != nil {
			s.discard(g)
		}
	}()
	for name, c := range s.clients {
		var parts *clientParts
		if parts, err = s.clientParts(g, name, old); err != nil {
			return fmt.Errorf("policy: dependency %s: %w", name, err)
		}
		g.ops[c.idx] = parts.chain.Wrap(c.next)
	}
	for name, c := range s.transports {
		var parts *clientParts
		if parts, err = s.clientParts(g, name, old); err != nil {
			return fmt.Errorf("policy: dependency %s: %w", name, err)
		}
		g.ops[c.idx] = parts.http.Wrap(c.next)
	}
	// g.clients holds every name in use, by Pipeline, HTTPClient or both:
	// each one the new configuration dropped is reported once.
	var unknown []string
	for name := range g.clients {
		_, was := old.cfg.Dependencies[name]
		if _, is := cfg.Dependencies[name]; was && !is {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	if sl := s.server; sl != nil {
		g.ops[sl.idx] = g.server.chain.Wrap(sl.next)
	}
	for _, h := range s.handlers {
		g.handlers[h.idx] = s.buildHandler(g, s.server.p, h)
	}
	s.publish(g)
	s.applied, s.hasApplied = sha256.Sum256(data), data != nil
	for _, name := range unknown {
		s.unknown(name)
	}
	s.chaosChanged(old.cfg, cfg)
	return nil
}

// Reload parses data (Parse) and, when it is valid, puts it in force
// (Apply). When it is not, the configuration in force stays, a
// config_rejected event is reported, and the error lists every problem.
// For configuration that does not come from a file Watch can follow.
func (s *Set) Reload(data []byte) error {
	cfg, err := Parse(data)
	return s.reloaded(cfg, err, data)
}

// reloaded puts cfg, parsed from data, in force, or reports err.
func (s *Set) reloaded(cfg *Config, err error, data []byte) error {
	if err == nil {
		err = s.apply(cfg, data)
	}
	if err != nil {
		s.rejected(err)
		return err
	}
	s.o.tel.Emit(context.Background(), policyName, telemetry.Event{Name: telemetry.EventConfigReloaded, Policy: policyName})
	return nil
}

// rejected reports a configuration not put in force: how many problems it
// had and the first of them (its line, path and rule, never the value
// found, which may be a secret such as a store URL's password).
func (s *Set) rejected(err error) {
	ps := ProblemsOf(err)
	attrs := []attribute.KeyValue{attribute.Int(telemetry.AttrProblems, len(ps))}
	if len(ps) > 0 {
		attrs = append(attrs, attribute.String(telemetry.AttrProblem, ps[0].withoutValue()))
	}
	s.o.tel.Emit(context.Background(), policyName, telemetry.Event{
		Name: telemetry.EventConfigRejected, Policy: policyName, Err: err, Attrs: attrs,
	})
}
