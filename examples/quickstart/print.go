package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/paved-go/paved/telemetry"
)

// eventPrinter is a slog.Handler that prints paved's policy events in one
// short line each, for people rather than log pipelines.
type eventPrinter struct{ out io.Writer }

func (*eventPrinter) Enabled(context.Context, slog.Level) bool { return true }

func (p *eventPrinter) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("  - " + strings.TrimPrefix(r.Message, "resilience "))
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case telemetry.AttrAttempt:
			fmt.Fprintf(&b, " after attempt %s", a.Value)
		case telemetry.AttrDelay:
			fmt.Fprintf(&b, ", waiting %.0fms", a.Value.Float64())
		case telemetry.AttrErrorType:
			fmt.Fprintf(&b, " (%s)", a.Value)
		case "resilience.retry.reason":
			fmt.Fprintf(&b, ": %s", a.Value)
		}
		return true
	})
	_, err := fmt.Fprintln(p.out, b.String())
	return err
}

func (p *eventPrinter) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *eventPrinter) WithGroup(string) slog.Handler      { return p }
