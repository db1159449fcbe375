package telemetrytest

import (
	"bytes"
	"log/slog"
	"sync"

	"github.com/paved-go/paved/telemetry"
)

// Text is the text of every log record a Telemetry from NewText writes: what
// a test reads when it cares about a message (a logged stack, an event name)
// rather than an event's attributes. It is safe for concurrent use.
type Text struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// NewText returns a Text and a Telemetry that logs every record, Debug
// included, into it with slog's text handler.
func NewText() (*Text, *telemetry.Telemetry) {
	t := &Text{}
	h := slog.NewTextHandler(t, &slog.HandlerOptions{Level: slog.LevelDebug})
	return t, telemetry.New(telemetry.WithLogger(slog.New(h)))
}

// Write appends p; slog's handler calls it.
func (t *Text) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.Write(p)
}

// String returns everything logged so far.
func (t *Text) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
