package pavedhttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

func Example() {
	// A dependency that fails once, then works.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	// One pipeline per dependency; a retry policy (package retry) would go here.
	p := paved.New("greeter")
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: pavedhttp.NewTransport(p, base)}

	for range 2 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close() // releases the attempt
		fmt.Printf("%d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	// Output:
	// 503 try later
	// 200 hello
}

func ExampleNewHandler() {
	// Serve /items through an admission pipeline (rate limit, load shedding):
	// refused requests get 429 or 503 with Retry-After and a problem+json body.
	items := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "[]") })
	h := pavedhttp.NewHandler(paved.New("items-api"), items,
		pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 []
}
