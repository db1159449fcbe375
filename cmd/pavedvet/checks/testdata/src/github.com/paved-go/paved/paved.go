// Package paved is a stub of paved's root package for pavedvet's tests.
package paved

import "context"

type Op func(ctx context.Context) error

type Middleware interface{ Wrap(next Op) Op }

type Pipeline struct{}

func New(name string, ms ...Middleware) *Pipeline { return &Pipeline{} }

func Chain(ms ...Middleware) Middleware { return nil }

// Option configures a Pipeline.
type Option struct{}

func (*Option) Wrap(next Op) Op { return next }

func WithTelemetry(t any) *Option { return &Option{} }
