package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedhttp"
)

// The overloaded server's capacity: workers requests at once, each taking
// work, so workers/work requests a second (100/s); the scenario offers twice
// that.
const (
	workers = 4
	work    = 40 * time.Millisecond
)

// capacityHandler serves each request with work's worth of waiting, at most
// workers at once; the others queue without bound, first come first served,
// as a server with no admission control does.
func capacityHandler(r *run) http.Handler {
	slots := make(chan struct{}, workers)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.arrive()
		select {
		case slots <- struct{}{}:
		case <-req.Context().Done(): // the client gave up while queued
			return
		}
		defer func() { <-slots }()
		time.Sleep(work)
		if req.Context().Err() != nil {
			return // served for nobody: the client is gone
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

// overload offers a server twice its capacity, open loop, half the calls
// CRITICAL and half SHEDDABLE. The naive side is a naive client and a server
// with no admission control; the paved side is paved's client (README's
// pipeline, whose throttle sends less to a server that sheds) and the same
// server behind pavedhttp.NewHandler with a loadshed.Shedder (adaptive
// concurrency limit, CoDel queue, criticality first). A client-side
// adaptive bulkhead was tried too: it refuses without regard to
// criticality, so CRITICAL calls fared no better than SHEDDABLE ones, and it
// is left out.
func overload(cfg config, which string) result {
	r := cfg.newRun(which, 8*time.Second, 3*time.Second)
	var h http.Handler = capacityHandler(r)
	var client getter
	if which == "paved" {
		h = pavedhttp.NewHandler(paved.New("overload-server", loadshed.MustNew()), h)
		client = newPaved(recommended("overload", 0))
	} else {
		client = newNaive()
	}
	srv := serve(h)
	defer srv.close()
	defer client.close()
	var n atomic.Int64
	var crit, critOK atomic.Int64
	var okLat latencies
	r.drive(context.Background(), 2*workers*float64(time.Second/work), func(ctx context.Context) bool {
		critical := n.Add(1)%2 == 0
		if !critical {
			ctx = paved.WithCallInfo(ctx, paved.CallInfo{Priority: paved.PrioritySheddable})
		}
		start := time.Now()
		ok := client.get(ctx, srv.URL) == http.StatusOK
		if ok {
			okLat.add(time.Since(start))
		}
		if critical {
			crit.Add(1)
			if ok {
				critOK.Add(1)
			}
		}
		return ok
	}, nil)
	res := r.summarize("overload", 0)
	if c := crit.Load(); c > 0 {
		res.critical = float64(critOK.Load()) / float64(c)
	}
	res.okP99 = okLat.quantile(0.99)
	return res
}
