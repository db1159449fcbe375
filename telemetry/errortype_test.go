package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved/telemetry"
)

// referenceErrorType is ErrorType as its doc states it, written with
// errors.As and %T: ErrorType must agree with it on every shape of error.
func referenceErrorType(err error) string {
	var et interface{ ErrorType() string }
	switch {
	case errors.As(err, &et):
		return et.ErrorType()
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	for {
		name := fmt.Sprintf("%T", err)
		if name != "*fmt.wrapError" && name != "*fmt.wrapErrors" {
			return name
		}
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if es := u.Unwrap(); len(es) > 0 {
				next = es[0]
			}
		}
		if next == nil {
			return name
		}
		err = next
	}
}

type typed string

func (t typed) Error() string     { return "typed " + string(t) }
func (t typed) ErrorType() string { return string(t) }

// asTyped answers errors.As for an ErrorType target with its own value.
type asTyped struct{ answer bool }

func (asTyped) Error() string { return "as" }
func (a asTyped) As(target any) bool {
	if !a.answer {
		return false
	}
	if p, ok := target.(*interface{ ErrorType() string }); ok {
		*p = typed("from-as")
		return true
	}
	return false
}

type wrapper struct{ err error }

func (w wrapper) Error() string { return "wrapper: " + w.err.Error() }
func (w wrapper) Unwrap() error { return w.err }

type multi []error

func (m multi) Error() string   { return "multi" }
func (m multi) Unwrap() []error { return m }

func TestErrorTypeShapes(t *testing.T) {
	for name, err := range map[string]error{
		"nil":                  nil,
		"plain":                io.EOF,
		"typed":                typed("503"),
		"wrapped typed":        fmt.Errorf("get: %w", typed("503")),
		"twice wrapped":        fmt.Errorf("a: %w", fmt.Errorf("b: %w", typed("Unavailable"))),
		"own wrapper":          wrapper{typed("429")},
		"own wrapper of plain": wrapper{io.EOF},
		"joined, typed second": errors.Join(io.EOF, typed("breaker_open")),
		"joined with nil":      multi{nil, typed("x")},
		"two %w":               fmt.Errorf("%w and %w", io.EOF, typed("y")),
		"two %w untyped":       fmt.Errorf("%w and %w", io.EOF, io.ErrUnexpectedEOF),
		"as yields":            asTyped{answer: true},
		"as declines":          asTyped{answer: false},
		"wrapped as":           fmt.Errorf("x: %w", asTyped{answer: true}),
		"canceled":             fmt.Errorf("x: %w", context.Canceled),
		"deadline":             wrapper{context.DeadlineExceeded},
		"wrap of nothing":      fmt.Errorf("no wrap"),
		"empty join":           multi{},
		"typed over canceled":  errors.Join(context.Canceled, typed("shed")),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, referenceErrorType(err), telemetry.ErrorType(err))
		})
	}
}
