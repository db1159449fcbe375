package hedge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
)

// The first attempt hangs; the hedge sent after 5ms answers.
func Example() {
	p := paved.New("search", hedge.MustNew(hedge.WithDelay(5*time.Millisecond)))
	v, err := paved.Do(context.Background(), p, func(ctx context.Context) (string, error) {
		if paved.AttemptFrom(ctx).Number() == 1 {
			<-ctx.Done() // a slow replica; canceled once the hedge wins
			return "", ctx.Err()
		}
		return "fast replica", nil
	})
	fmt.Println(v, err)
	// Output: fast replica <nil>
}
