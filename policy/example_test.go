package policy_test

import (
	"context"
	"fmt"

	"github.com/paved-go/paved/policy"
)

func Example() {
	cfg, err := policy.Parse([]byte(`
defaults:
  timeout: { total: 10s, attempt: 2s }
  retry:   { max_attempts: 3 }
dependencies:
  payments:
    timeout: { attempt: 500ms }
    retry:   { max_attempts: 2 }
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set := policy.New(cfg)
	client := set.HTTPClient("payments") // total 10s, 2 attempts of at most 500ms
	_ = client

	attempts := 0
	_ = set.Pipeline("payments").Run(context.Background(), func(context.Context) error {
		attempts++
		return nil
	})
	pay, _ := set.Config().Dependency("payments")
	fmt.Println(attempts, pay.Timeout.Total, pay.Timeout.Attempt, pay.Retry.MaxAttempts)

	_, err = policy.Parse([]byte("dependencies: {payments: {retry: {max_attempts: 0}}}"))
	fmt.Println(err)
	// Output:
	// 1 10s 500ms 2
	// invalid paved policy configuration:
	//   line 1: dependencies.payments.retry.max_attempts: must be 1..10, got 0
}
