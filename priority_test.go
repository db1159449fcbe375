package paved_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved"
)

func TestPriorityWireNameRoundTrips(t *testing.T) {
	for _, p := range []paved.Priority{
		paved.PriorityCriticalPlus, paved.PriorityCritical,
		paved.PrioritySheddablePlus, paved.PrioritySheddable,
	} {
		got, ok := paved.ParsePriority(p.WireName())
		assert.True(t, ok, p.WireName())
		assert.Equal(t, p, got)
		got, ok = paved.ParsePriority(p.String())
		assert.True(t, ok, p.String())
		assert.Equal(t, p, got)
	}
	assert.Equal(t, "CRITICAL", paved.PriorityUnset.WireName())
}

func TestParsePriority(t *testing.T) {
	tests := []struct {
		in   string
		want paved.Priority
		ok   bool
	}{
		{"CRITICAL_PLUS", paved.PriorityCriticalPlus, true},
		{" sheddable ", paved.PrioritySheddable, true},
		{"Sheddable_Plus", paved.PrioritySheddablePlus, true},
		{"critical", paved.PriorityCritical, true},
		{"", paved.PriorityUnset, false},
		{"URGENT", paved.PriorityUnset, false},
		{"CRITICAL PLUS", paved.PriorityUnset, false},
		{"1", paved.PriorityUnset, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := paved.ParsePriority(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
