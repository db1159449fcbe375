package ratelimit_test

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/ratelimit"
)

func Example() {
	// At most 2 calls per second to the dependency, 2 at once; refuse
	// rather than wait.
	limit := ratelimit.MustNew(2, 2, ratelimit.WithFailFast())
	p := paved.New("inventory", limit)
	for i := range 3 {
		err := p.Run(context.Background(), func(context.Context) error { return nil })
		d, _ := paved.RetryAfter(err)
		fmt.Println(i, errors.Is(err, ratelimit.ErrLimited), d > 0)
	}
	// Output:
	// 0 false false
	// 1 false false
	// 2 true true
}

func ExamplePerKey() {
	// Each tenant may make 100 calls per second, 20 at once.
	perTenant := ratelimit.MustPerKey(rate.Limit(100), 20, ratelimit.WithName("tenant"))
	p := paved.New("api", perTenant)
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Key: "tenant-42"})
	err := p.Run(ctx, func(ctx context.Context) error {
		st := ratelimit.AppendStatuses(nil, ctx)[0]
		fmt.Println(st.Policy, st.Quota, st.Window, st.Remaining)
		return nil
	})
	fmt.Println(err)
	// Output:
	// tenant 100 1s 19
	// <nil>
}
