package policy

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved/telemetry"
)

// What a Set builds when a section that passed validation does not build:
// an opener refused a store URL Parse accepted (an opener without a Check,
// or one whose Check lets through what it then refuses). A Set never
// panics a service for it, and never hands out a client without a
// timeout: the section is built with its stores the process's own
// (memory), else from the built-in defaults, and a config_degraded event
// says why. Apply and Open return the error instead.

// degradedClient builds name's parts in g after d failed to build with
// err, and reports it.
func (s *Set) degradedClient(g *generation, name string, d Dependency, err error) *clientParts {
	s.degraded(name, err)
	p, lerr := buildClient(name, localDependency(d), nil, s.o)
	if lerr != nil {
		if p, lerr = buildClient(name, BuiltinDefaults(), nil, s.o); lerr != nil {
			panic("policy: the built-in defaults did not build: " + lerr.Error()) // a bug in paved: TestBuiltinDefaultsBuild
		}
	}
	g.clients[name] = p
	return p
}

// degradedServer builds the server after srv failed to build with err,
// and reports it.
func degradedServer(srv Server, err error, o *options) *serverParts {
	emitDegraded(o, srv.Name, err)
	p, lerr := buildServer(localServer(srv), nil, o)
	if lerr != nil {
		b := builtinServer()
		b.Name = srv.Name
		if p, lerr = buildServer(b, nil, o); lerr != nil {
			panic("policy: the built-in server did not build: " + lerr.Error()) // a bug in paved: TestBuiltinDefaultsBuild
		}
	}
	return p
}

// localDependency is d with its fleet-wide stores the process's own: a
// local breaker, and a local limit at rate / replicas, as a fleet-wide
// limit decides while Redis cannot.
func localDependency(d Dependency) Dependency {
	d.Breaker.Store = "memory"
	d.Limit = localLimit(d.Limit)
	return d
}

func localServer(s Server) Server {
	s.Limit = localLimit(s.Limit)
	s.Idempotency.Store = "memory"
	return s
}

func localLimit(l RateLimit) RateLimit {
	if l.Store != "memory" && l.Replicas > 1 {
		l.Rate /= float64(l.Replicas)
	}
	l.Store = "memory"
	return l
}

func (s *Set) degraded(name string, err error) { emitDegraded(s.o, name, err) }

func emitDegraded(o *options, name string, err error) {
	o.tel.Emit(context.Background(), name, telemetry.Event{
		Name: telemetry.EventConfigDegraded, Policy: policyName, Err: err,
		Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrDependency, name)},
	})
}
