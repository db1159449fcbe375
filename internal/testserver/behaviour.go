package testserver

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
)

// Behaviour is what a server does with one request or call: optionally wait,
// then reply, hang or reset the connection. One Behaviour drives both
// servers: the HTTP server replies with its Status (200 if unset), the gRPC
// server with its Code (OK if unset), so a script written with Status alone
// succeeds on gRPC and vice versa.
//
// A Behaviour is an immutable value; its With methods return copies.
type Behaviour struct {
	action  action
	status  int
	code    codes.Code
	message string
	body    string
	header  []pair
	trailer []pair
	delay   time.Duration
}

type action int

const (
	reply action = iota
	hang
	reset
)

type pair struct{ key, value string }

// OK replies 200 to HTTP and OK to gRPC. It is the default behaviour.
func OK() Behaviour { return Behaviour{} }

// Status replies to HTTP with the given status code.
func Status(code int) Behaviour { return Behaviour{status: code} }

// Code ends a gRPC call with the given code (and a message naming it, unless
// WithMessage sets one).
func Code(c codes.Code) Behaviour { return Behaviour{code: c} }

// Delay replies OK after d on the server's clock. The wait ends early, with
// no reply, if the client goes away or the server closes.
func Delay(d time.Duration) Behaviour { return Behaviour{delay: d} }

// Hang never replies: the handler blocks until the client goes away (cancels
// the request or call, or closes the connection) or the server closes.
func Hang() Behaviour { return Behaviour{action: hang} }

// Reset closes the TCP connection abruptly, with SO_LINGER 0 so the peer gets
// an RST: an HTTP client sees "connection reset by peer" or EOF, a gRPC
// client UNAVAILABLE. Other requests multiplexed on the connection fail too.
func Reset() Behaviour { return Behaviour{action: reset} }

// WithDelay returns b that first waits d, as Delay does.
func (b Behaviour) WithDelay(d time.Duration) Behaviour {
	b.delay = d
	return b
}

// WithHeader returns b that also sends the header (gRPC: header metadata,
// with the key lower-cased), e.g. WithHeader("Retry-After", "2").
func (b Behaviour) WithHeader(key, value string) Behaviour {
	b.header = append(b.header[:len(b.header):len(b.header)], pair{key, value})
	return b
}

// WithTrailer returns b that also sends the trailer (gRPC: trailer metadata,
// e.g. "grpc-retry-pushback-ms"; HTTP: a response trailer).
func (b Behaviour) WithTrailer(key, value string) Behaviour {
	b.trailer = append(b.trailer[:len(b.trailer):len(b.trailer)], pair{key, value})
	return b
}

// WithCode returns b that ends a gRPC call with c, so that one behaviour
// fails both servers: Status(503).WithCode(codes.Unavailable).
func (b Behaviour) WithCode(c codes.Code) Behaviour {
	b.code = c
	return b
}

// WithBody returns b whose HTTP reply carries body.
func (b Behaviour) WithBody(body string) Behaviour {
	b.body = body
	return b
}

// WithMessage returns b whose gRPC status carries msg.
func (b Behaviour) WithMessage(msg string) Behaviour {
	b.message = msg
	return b
}

// String describes b, for test failure messages.
func (b Behaviour) String() string {
	var s strings.Builder
	if b.delay > 0 {
		fmt.Fprintf(&s, "after %v, ", b.delay)
	}
	switch b.action {
	case hang:
		s.WriteString("hang")
	case reset:
		s.WriteString("reset")
	default:
		fmt.Fprintf(&s, "reply HTTP %d / gRPC %v", b.httpStatus(), b.code)
	}
	return s.String()
}

func (b Behaviour) httpStatus() int {
	if b.status == 0 {
		return 200
	}
	return b.status
}
