package rs12

import (
	"context"
	"net/http"
	"time"
)

var client = &http.Client{Timeout: time.Second}

func call(ctx context.Context) error { return ctx.Err() }

func handler(w http.ResponseWriter, r *http.Request) {
	_ = call(context.Background())                                  // want `RS-12: context.Background\(\) in an HTTP handler: the call outlives the caller's deadline`
	ctx, cancel := context.WithTimeout(context.TODO(), time.Second) // want `RS-12: context.TODO\(\) in an HTTP handler`
	defer cancel()
	_ = call(ctx)
	req, _ := http.NewRequest("GET", "http://backend/x", nil) // want `RS-12: http.NewRequest in an HTTP handler builds a request with context.Background\(\)`
	_, _ = client.Do(req)
	_, _ = client.Get("http://backend/y") // want `RS-12: \(\*http.Client\).Get in an HTTP handler sends with context.Background\(\)`
	go func() {
		_ = call(context.Background()) // want `RS-12: context.Background\(\) in work an HTTP handler starts: it loses the request's trace and criticality; use context.WithoutCancel\(r.Context\(\)\)`
	}()
	_ = call(r.Context()) // the request's context: fine
}

func unnamed(w http.ResponseWriter, _ *http.Request) {
	_ = call(context.Background()) // want `RS-12: context.Background\(\) in an HTTP handler: .* use the request's context$`
}

func shadowed(w http.ResponseWriter, r *http.Request) {
	{
		r := 1
		_ = r
		_ = call(context.Background()) // want `use the request's context$`
	}
}

func routes(mux *http.ServeMux) {
	mux.HandleFunc("/a", func(w http.ResponseWriter, req *http.Request) {
		_ = call(context.TODO()) // want `use req.Context\(\)$`
	})
	mux.Handle("/b", http.HandlerFunc(func(w http.ResponseWriter, outer *http.Request) {
		inner := func(w http.ResponseWriter, r2 *http.Request) {
			_ = call(context.Background()) // want `use r2.Context\(\)$`
		}
		_ = inner
		helper := func() error { return call(context.Background()) } // want `use outer.Context\(\)$`
		_ = helper
	}))
}

type api struct{}

func (api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = call(context.Background()) // want `use r.Context\(\)$`
}

// notAHandler has no request: context.Background is its own choice.
func notAHandler() error {
	return call(context.Background())
}

func startup(r *http.Request) error { // a request but no ResponseWriter: not a handler
	return call(context.Background())
}
