// Package pavedgrpc is a stub for pavedvet's tests.
package pavedgrpc

import (
	"github.com/paved-go/paved"
	"google.golang.org/grpc"
)

func DialOptions(p *paved.Pipeline) []grpc.DialOption { return nil }

func UnaryClientInterceptor(p *paved.Pipeline) grpc.UnaryClientInterceptor { return nil }
