package rs1grpc

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"greeterpb"
)

// Every call on these connections is visible and has a deadline: no finding.

func allCallsTimed() error {
	conn, err := grpc.NewClient("svc", grpc.WithInsecure())
	if err != nil {
		return err
	}
	defer conn.Close()
	c := greeterpb.NewGreeterClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.SayHello(ctx, nil)
	return err
}

func handedToHelper(parent context.Context) error {
	conn, err := grpc.NewClient("svc", grpc.WithInsecure())
	if err != nil {
		return err
	}
	defer conn.Close()
	return sayHello(parent, conn)
}

func sayHello(parent context.Context, conn *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(parent, time.Second)
	defer cancel()
	_, err := greeterpb.NewGreeterClient(conn).SayHello(ctx, nil)
	if err != nil {
		return err
	}
	return conn.Invoke(ctx, "/Greeter/SayHello", nil, nil)
}

func serviceConfig() {
	grpc.NewClient("svc", grpc.WithDefaultServiceConfig(`{"methodConfig": [{"name": [{}], "timeout": "2s"}]}`))
}

// And these have a call without one, or a use that cannot be followed.

func oneCallUntimed() error {
	conn, err := grpc.NewClient("svc", grpc.WithInsecure()) // want `RS-1: grpc.NewClient without paved interceptors`
	if err != nil {
		return err
	}
	c := greeterpb.NewGreeterClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = c.SayHello(ctx, nil)
	_, err = c.SayHello(context.Background(), nil)
	return err
}

func deadlineOnlySometimes(timeout time.Duration) error {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	conn, err := grpc.NewClient("svc", grpc.WithInsecure()) // want `RS-1: grpc.NewClient without paved`
	if err != nil {
		return err
	}
	_, err = greeterpb.NewGreeterClient(conn).SayHello(ctx, nil)
	return err
}

type holder struct{ conn *grpc.ClientConn }

func stored() (*holder, error) {
	conn, err := grpc.NewClient("svc", grpc.WithInsecure()) // want `RS-1: grpc.NewClient without paved`
	return &holder{conn: conn}, err
}

func serviceConfigWithoutTimeout() {
	grpc.NewClient("svc", grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"round_robin": {}}]}`)) // want `RS-1: grpc.NewClient without paved`
}
