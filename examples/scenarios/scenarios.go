package main

import (
	"context"
	"net/http"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaoshttp"
	"github.com/paved-go/paved/pavedhttp"
)

// config is what every scenario runs with.
type config struct {
	quick bool
	rate  float64 // calls per second each client makes
	seed  uint64
}

// scaled returns full in a default run and quick with -quick.
func (c config) scaled(full, quick time.Duration) time.Duration {
	if c.quick {
		return quick
	}
	return full
}

// mark is a moment a chart shows: an outage starting.
type mark struct {
	at    time.Duration
	label string
}

// scenario is one demonstration: run(cfg, client) runs it for one client
// ("naive" or "paved") against a dependency of its own.
type scenario struct {
	name, title string
	note        string // what the paved client is, when it is not README's pipeline as is
	marks       []mark
	run         func(cfg config, client string) result
}

// newClient returns the client named which, paved's built on p.
func newClient(which string, p *paved.Pipeline) getter {
	if which == "naive" {
		return newNaive()
	}
	return newPaved(p)
}

func scenarios(cfg config) []*scenario {
	outageStart, outageEnd := cfg.scaled(2*time.Second, time.Second), cfg.scaled(6*time.Second, 2500*time.Millisecond)
	openFor := time.Duration(0) // the breaker's default, 5s
	if cfg.quick {
		openFor = time.Second
	}
	outageNote := ""
	if cfg.quick {
		outageNote = "breaker open period 1s (default 5s) to fit -quick"
	}
	return []*scenario{
		{
			name: "flaky", title: "1. A flaky dependency: 30% of requests answer 503",
			run: func(cfg config, which string) result {
				r := newRun(which, cfg.scaled(6*time.Second, 1500*time.Millisecond))
				flaky := chaos.MustNew(chaoshttp.Status(http.StatusServiceUnavailable), chaos.WithRate(0.3), chaos.WithSeed(cfg.seed))
				return steady(cfg, r, "flaky", flaky, newClient(which, recommended("flaky", 0)), cfg.rate)
			},
		},
		{
			name: "outage", title: "2. A full outage and recovery: every request answers 503 for a while",
			note:  outageNote,
			marks: []mark{{outageStart, "outage starts"}, {outageEnd, "dependency recovers"}},
			run: func(cfg config, which string) result {
				r := newRun(which, cfg.scaled(12*time.Second, 4500*time.Millisecond))
				down := chaos.MustNew(chaoshttp.Status(http.StatusServiceUnavailable), chaos.WithRate(1), chaos.WithEnabled(false))
				srv := serve(counting(r, chaoshttp.NewHandler(down, ok)))
				defer srv.close()
				c := newClient(which, recommended("outage", openFor))
				defer c.close()
				r.drive(context.Background(), cfg.rate, func(ctx context.Context) bool {
					return c.get(ctx, srv.URL) == http.StatusOK
				}, func(t time.Duration) { down.SetEnabled(t >= outageStart && t < outageEnd) })
				res := r.summarize("outage", outageEnd)
				res.stopped = stoppedSending(res, outageStart, outageEnd)
				return res
			},
		},
		{
			name: "slowtail", title: "3. A slow tail: 5% of requests take 1 s",
			note: "hedge (its defaults) in retry's place",
			run: func(cfg config, which string) result {
				r := newRun(which, cfg.scaled(6*time.Second, 1500*time.Millisecond))
				slow := chaos.MustNew(chaos.Latency(time.Second), chaos.WithRate(0.05), chaos.WithSeed(cfg.seed))
				return steady(cfg, r, "slowtail", slow, newClient(which, hedged("slowtail")), cfg.rate)
			},
		},
		{
			name: "tiers", title: "5. Three tiers, the bottom one down: requests reaching the bottom per call",
			note: "every tier runs the same client; paved tiers serve through pavedhttp.NewHandler",
			run:  tiers,
		},
	}
}

// steady runs a client against one dependency disturbed by c, at rate.
func steady(_ config, r *run, name string, c *chaos.Chaos, client getter, rate float64) result {
	srv := serve(counting(r, chaoshttp.NewHandler(c, ok)))
	defer srv.close()
	defer client.close()
	r.drive(context.Background(), rate, func(ctx context.Context) bool {
		return client.get(ctx, srv.URL) == http.StatusOK
	}, nil)
	return r.summarize(name, 0)
}

// tiers runs top -> A -> B -> C, each tier calling the next with the
// client named which and the incoming request's context, C always
// answering 503. The table's attempts per call are C's requests per
// top-level call.
func tiers(cfg config, which string) result {
	r := newRun(which, cfg.scaled(5*time.Second, 1500*time.Millisecond))
	down := chaos.MustNew(chaoshttp.Status(http.StatusServiceUnavailable), chaos.WithRate(1))
	c := serve(counting(r, chaoshttp.NewHandler(down, ok)))
	defer c.close()
	b, bc := tier(which, "tier-b", c.URL)
	defer b.close()
	defer bc.close()
	a, ac := tier(which, "tier-a", b.URL)
	defer a.close()
	defer ac.close()
	top := newClient(which, recommended("top", 0))
	defer top.close()
	// A quarter of the rate: the naive client multiplies it 27 times at C.
	r.drive(context.Background(), cfg.rate/4, func(ctx context.Context) bool {
		return top.get(ctx, a.URL) == http.StatusOK
	}, nil)
	return r.summarize("tiers", 0)
}

// tier serves a tier that calls next with the client named which and
// answers with next's status (502 when none came). A paved tier serves
// through pavedhttp.NewHandler, which tells its caller not to retry once
// its own call to next gave up.
func tier(which, name, next string) (*server, getter) {
	client := newClient(which, recommended(name, 0))
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := client.get(r.Context(), next)
		if status == 0 {
			status = http.StatusBadGateway
		}
		w.WriteHeader(status)
	})
	if which == "paved" {
		h = pavedhttp.NewHandler(paved.New(name+"-server"), h)
	}
	return serve(h), client
}
