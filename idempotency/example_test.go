package idempotency_test

import (
	"context"
	"fmt"

	"github.com/paved-go/paved/idempotency"
)

func Example() {
	g := idempotency.MustNew() // memory store, 24h retention
	charges := 0
	charge := func(context.Context) (*idempotency.Response, error) {
		charges++
		return &idempotency.Response{Code: 201, Body: []byte(fmt.Sprint("charge ", charges))}, nil
	}
	req := idempotency.Request{Scope: "tenant-42", Key: "8e03978e-40d5-43e8-bc93-6894a57f9324", Fingerprint: "POST /charges amount=10"}

	first, _ := g.Do(context.Background(), req, charge)
	retry, _ := g.Do(context.Background(), req, charge) // the client's retry: same key
	fmt.Println(string(first.Response.Body), first.Replayed)
	fmt.Println(string(retry.Response.Body), retry.Replayed, "charges:", charges)
	// Output:
	// charge 1 false
	// charge 1 true charges: 1
}
