package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"

	"github.com/paved-go/paved/telemetry"
)

// eventPrinter is a slog.Handler that prints paved's policy events in one
// short line each, for people rather than log pipelines.
type eventPrinter struct{ out io.Writer }

func (*eventPrinter) Enabled(context.Context, slog.Level) bool { return true }

func (p *eventPrinter) Handle(_ context.Context, r slog.Record) error {
	a := map[string]string{}
	r.Attrs(func(at slog.Attr) bool {
		a[at.Key] = at.Value.String()
		return true
	})
	var line string
	switch event := strings.TrimPrefix(r.Message, "resilience "); event {
	case telemetry.EventRetry:
		line = fmt.Sprintf("%s: attempt %s in %sms, because of %s", event, a[telemetry.AttrAttempt], ms(a[telemetry.AttrDelay]), a[telemetry.AttrErrorType])
	case telemetry.EventTimeout:
		line = fmt.Sprintf("%s: attempt %s cut after %sms", event, a[telemetry.AttrAttempt], ms(a[telemetry.AttrDelay]))
	case telemetry.EventRetriesExhausted:
		line = fmt.Sprintf("%s after %s attempts (%s), the last answer stands: %s", event, a[telemetry.AttrAttempt], a["resilience.retry.reason"], a[telemetry.AttrErrorType])
	case telemetry.EventUnsafeToRepeat:
		line = fmt.Sprintf("not retried: %s", a[telemetry.AttrUnsafeReason])
	case telemetry.EventBreakerOpened:
		line = "breaker opened"
	case telemetry.EventBreakerRejected:
		line = fmt.Sprintf("breaker refused attempt %s: open for %ss more", a[telemetry.AttrAttempt], seconds(a[telemetry.AttrDelay]))
	case telemetry.EventBulkheadRejected:
		line = fmt.Sprintf("bulkhead full: attempt %s refused", a[telemetry.AttrAttempt])
	default:
		line = event
	}
	_, err := fmt.Fprintln(p.out, "  - "+line)
	return err
}

// seconds turns a millisecond attribute into whole seconds, rounded up.
func seconds(v string) string {
	var f float64
	_, _ = fmt.Sscan(v, &f)
	return fmt.Sprint(int(math.Ceil(f / 1000)))
}

// ms rounds a millisecond attribute for reading; "0" when absent.
func ms(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		return "0"
	}
	return v
}

func (p *eventPrinter) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *eventPrinter) WithGroup(string) slog.Handler      { return p }
