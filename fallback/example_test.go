package fallback_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/fallback"
	"github.com/paved-go/paved/retry"
)

// Recommendations degrade to a fixed list when the service keeps failing.
func Example() {
	popular := []string{"tea", "coffee"}
	p := paved.New("recommendations",
		fallback.MustNew(fallback.Value(popular)),
		retry.MustNew(retry.WithBackoff(time.Millisecond, time.Millisecond)),
	)
	recs, err := paved.Do(context.Background(), p, func(context.Context) ([]string, error) {
		return nil, errors.New("recommender unavailable")
	})
	fmt.Println(recs, err)
	// Output: [tea coffee] <nil>
}
