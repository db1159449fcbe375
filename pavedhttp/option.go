package pavedhttp

import (
	"net/http"
	"strings"

	"github.com/paved-go/paved"
)

// Option configures a Transport (NewTransport).
type Option func(*transportConfig)

type transportConfig struct {
	operation func(*http.Request) string
}

func newTransportConfig(opts []Option) transportConfig {
	var c transportConfig // operation nil: "METHOD host", cached by the Transport
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithOperationFunc names each call's operation (paved.CallInfo.Operation, the
// resilience.operation span attribute) with f. Keep its results few: use a
// route template, never a raw path with IDs in it. Default: the method and
// the host, such as "GET api.example.com". A nil f keeps the default.
func WithOperationFunc(f func(*http.Request) string) Option {
	return func(c *transportConfig) {
		if f != nil {
			c.operation = f
		}
	}
}

func method(r *http.Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// HandlerOption configures a Handler (NewHandler).
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	operation func(*http.Request) string
	key       func(*http.Request) string
	priority  func(*http.Request) paved.Priority
}

func newHandlerConfig(opts []HandlerOption) handlerConfig {
	c := handlerConfig{operation: serverOperation}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithKeyFunc sets each request's caller key (paved.CallInfo.Key), which
// per-key rate limits and idempotency scoping use: a tenant or principal
// taken from an authenticated header. Default: no key. A nil f keeps the default.
func WithKeyFunc(f func(*http.Request) string) HandlerOption {
	return func(c *handlerConfig) { c.key = f }
}

// WithPriorityFunc sets each request's priority (paved.CallInfo.Priority),
// which load shedding uses to drop the least important first. Default:
// paved.PriorityCritical for every request. A nil f keeps the default.
func WithPriorityFunc(f func(*http.Request) paved.Priority) HandlerOption {
	return func(c *handlerConfig) { c.priority = f }
}

// WithServerOperationFunc names each request's operation. Default: the method
// and the ServeMux pattern that matched, when the Handler runs inside a
// ServeMux route, else the method and the URL path. A nil f keeps the default.
func WithServerOperationFunc(f func(*http.Request) string) HandlerOption {
	return func(c *handlerConfig) {
		if f != nil {
			c.operation = f
		}
	}
}

func serverOperation(r *http.Request) string {
	if r.Pattern != "" {
		if strings.Contains(r.Pattern, " ") { // "GET /items/{id}" already names the method
			return r.Pattern
		}
		return method(r) + " " + r.Pattern
	}
	return method(r) + " " + r.URL.Path
}
