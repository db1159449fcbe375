package redisbreaker_test

import (
	"context"
	"fmt"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/breaker/redisbreaker"
	"github.com/redis/go-redis/v9"
)

func Example() {
	client := redis.NewClient(&redis.Options{Addr: redisAddr()})
	defer client.Close()

	// Every instance of the service builds the same breaker name; Redis being
	// down only means each instance decides on its own.
	b, err := redisbreaker.New(client, "payments",
		redisbreaker.WithKeyPrefix("paved-example:"),
		redisbreaker.WithBreakerOptions(breaker.WithMinCalls(50), breaker.WithFailureRatio(0.25)))
	if err != nil {
		panic(err)
	}
	defer b.Close()

	p := paved.New("payments", b)
	err = p.Run(context.Background(), func(context.Context) error { return nil })
	fmt.Println(err, b.State())
	// Output: <nil> closed
}
