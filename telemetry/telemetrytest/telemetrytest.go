package telemetrytest

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/paved-go/paved/telemetry"
)

// Event is one captured event: its name and its attributes as strings.
type Event struct {
	Name  string
	Attrs map[string]string
}

// Log records events. It is safe for concurrent use.
type Log struct {
	mu     sync.Mutex
	events []Event
}

// New returns a Log and the Telemetry that reports into it; pass the latter to
// paved.WithTelemetry.
func New() (*Log, *telemetry.Telemetry) {
	l := &Log{}
	return l, telemetry.New(telemetry.WithLogger(slog.New(handler{l})))
}

// Events returns the events named name (all events when name is empty).
func (l *Log) Events(name string) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, e := range l.events {
		if name == "" || e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// Count returns how many events named name were recorded.
func (l *Log) Count(name string) int { return len(l.Events(name)) }

type handler struct{ l *Log }

func (handler) Enabled(context.Context, slog.Level) bool { return true }
func (h handler) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h handler) WithGroup(string) slog.Handler          { return h }

func (h handler) Handle(_ context.Context, r slog.Record) error {
	name, ok := strings.CutPrefix(r.Message, "resilience ")
	if !ok {
		return nil
	}
	e := Event{Name: name, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		e.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.l.mu.Lock()
	h.l.events = append(h.l.events, e)
	h.l.mu.Unlock()
	return nil
}
