package paved

import "strings"

// WireName returns the priority's name on the wire, Google's criticality
// names: "CRITICAL_PLUS", "CRITICAL", "SHEDDABLE_PLUS", "SHEDDABLE".
// PriorityUnset is "CRITICAL", the default it stands for. The adapters send
// it in the Paved-Criticality header and paved-criticality metadata, so
// that a server sheds its callers' least important work first and passes
// their criticality on to the calls it makes (STANDARDS.md RS-12).
func (p Priority) WireName() string {
	switch p {
	case PriorityCriticalPlus:
		return "CRITICAL_PLUS"
	case PrioritySheddablePlus:
		return "SHEDDABLE_PLUS"
	case PrioritySheddable:
		return "SHEDDABLE"
	}
	return "CRITICAL"
}

// ParsePriority reads a criticality as WireName writes it, or as String
// does: "CRITICAL_PLUS", "critical", "Sheddable_Plus", ... (case is
// ignored, and so is surrounding white space). ok is false for anything
// else, and p is then PriorityUnset: a server treats an unknown value as no
// value, never as an error.
func ParsePriority(s string) (p Priority, ok bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "CRITICAL"):
		return PriorityCritical, true
	case strings.EqualFold(s, "CRITICAL_PLUS"):
		return PriorityCriticalPlus, true
	case strings.EqualFold(s, "SHEDDABLE_PLUS"):
		return PrioritySheddablePlus, true
	case strings.EqualFold(s, "SHEDDABLE"):
		return PrioritySheddable, true
	}
	return PriorityUnset, false
}
