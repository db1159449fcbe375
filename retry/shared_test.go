package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
)

func TestSharedBudget(t *testing.T) {
	fail := paved.Transient(errors.New("down"))
	attemptsOf := func(p *paved.Pipeline) int {
		n := 0
		_ = p.Run(context.Background(), func(context.Context) error { n++; return fail })
		return n
	}
	opts := []retry.Option{
		retry.WithMaxAttempts(2), retry.WithBackoff(time.Millisecond, time.Millisecond),
		retry.WithBudget(0, 0), retry.WithBudgetCapacity(1),
	}
	shared := retry.MustNew(append(opts, retry.WithSharedBudget())...)
	assert.Equal(t, 2, attemptsOf(paved.New("a", shared)), "the one token pays a retry")
	assert.Equal(t, 1, attemptsOf(paved.New("b", shared)), "b shares a's spent budget")

	own := retry.MustNew(opts...)
	assert.Equal(t, 2, attemptsOf(paved.New("a", own)))
	assert.Equal(t, 2, attemptsOf(paved.New("b", own)), "without WithSharedBudget each pipeline has its own")

	off := retry.MustNew(append(opts, retry.WithSharedBudget(), retry.WithoutBudget())...)
	assert.Equal(t, 2, attemptsOf(paved.New("a", off)))
	assert.Equal(t, 2, attemptsOf(paved.New("a", off)), "WithoutBudget wins")
}
