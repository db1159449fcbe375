package breaker

import (
	"github.com/paved-go/paved/telemetry"
	"github.com/sony/gobreaker/v2"
)

// State is a breaker's state.
type State int

// The states, numbered as the resilience.breaker.state gauge reports them.
const (
	StateClosed   State = telemetry.BreakerClosed
	StateHalfOpen State = telemetry.BreakerHalfOpen
	StateOpen     State = telemetry.BreakerOpen
)

// String returns "closed", "half-open" or "open".
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half-open"
	case StateOpen:
		return "open"
	}
	return "unknown"
}

func fromGobreaker(s gobreaker.State) State {
	switch s {
	case gobreaker.StateHalfOpen:
		return StateHalfOpen
	case gobreaker.StateOpen:
		return StateOpen
	}
	return StateClosed
}

func (s State) event() string {
	switch s {
	case StateHalfOpen:
		return telemetry.EventBreakerHalfOpened
	case StateOpen:
		return telemetry.EventBreakerOpened
	}
	return telemetry.EventBreakerClosed
}
