package pavedhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

func ExampleWithDeadlineHeader() {
	// The server honours the client's deadline, but never more than 30s.
	work := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, _ := r.Context().Deadline()
		fmt.Fprint(w, time.Until(dl) <= 2*time.Second) // the client's 2s, not the server's 30s
	})
	srv := httptest.NewServer(pavedhttp.NewHandler(paved.New("api"), work,
		pavedhttp.WithServerDeadlineHeader(pavedhttp.EnvoyDeadlineHeader, 30*time.Second)))
	defer srv.Close()

	// The client sends each attempt's remaining time in the same header.
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("api"), base,
		pavedhttp.WithDeadlineHeader(pavedhttp.EnvoyDeadlineHeader))}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer resp.Body.Close()
	var within bool
	_, _ = fmt.Fscan(resp.Body, &within)
	fmt.Println("server deadline within the client's:", within)
	// Output: server deadline within the client's: true
}
