package policy

import (
	"context"
	"sort"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved/telemetry"
)

// chaosChanged reports each section of the file whose chaos a
// configuration put in force turned on (chaos_enabled, a warning when the
// telemetry has a logger) or off (chaos_disabled), from old (nil: the
// Set's first configuration, against no chaos at all) to cfg. The sections
// are defaults (pipeline "policy"), each dependency (its name: one that
// inherits chaos from defaults is reported too, since its pipeline
// changed) and server (its name).
func (s *Set) chaosChanged(old, cfg *Config) {
	was := func(get func(*Config) bool) bool { return old != nil && get(old) }
	report := func(pipeline, section string, before, after bool) {
		if before == after {
			return
		}
		name := telemetry.EventChaosDisabled
		if after {
			name = telemetry.EventChaosEnabled
		}
		s.o.tel.Emit(context.Background(), pipeline, telemetry.Event{
			Name: name, Policy: policyName,
			Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrConfigSection, section)},
		})
	}
	report(policyName, "defaults", was(func(c *Config) bool { return c.Defaults.Chaos.Enabled }), cfg.Defaults.Chaos.Enabled)
	names := make([]string, 0, len(cfg.Dependencies))
	for n := range cfg.Dependencies {
		names = append(names, n)
	}
	if old != nil {
		for n := range old.Dependencies {
			if _, ok := cfg.Dependencies[n]; !ok {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		d, _ := cfg.Dependency(n)
		before := was(func(c *Config) bool { d, _ := c.Dependency(n); return d.Chaos.Enabled })
		report(n, "dependencies."+n, before, d.Chaos.Enabled)
	}
	report(cfg.Server.Name, "server", was(func(c *Config) bool { return c.Server.Chaos.Enabled }), cfg.Server.Chaos.Enabled)
}
