package policy

import (
	"errors"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration: where (Path, and Line in
// the file when known), what was found (Value) and what is allowed (Rule).
// Its Error reads
//
//	dependencies.payments.retry.max_attempts: must be 1..10, got 0
type Problem struct {
	// Path names the field, dotted from the top of the file:
	// "dependencies.payments.timeout.attempt".
	Path string
	// Line is the field's line in the file, from 1; 0 when unknown (a
	// cross-field rule about inherited values, a field left out).
	Line int
	// Value is the value found, as written; empty when the problem is not
	// about a value (an unknown key).
	Value string
	// Rule says what is allowed: "must be 1..10".
	Rule string
}

// Error returns "path: rule, got value".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Path)
	b.WriteString(": ")
	b.WriteString(p.Rule)
	if p.Value != "" {
		b.WriteString(", got ")
		b.WriteString(p.Value)
	}
	return b.String()
}

// withoutValue is the problem as "line N: path: rule", without the value
// found: what a config_rejected event carries.
func (p Problem) withoutValue() string {
	p.Value = ""
	if p.Line > 0 {
		return "line " + strconv.Itoa(p.Line) + ": " + p.Error()
	}
	return p.Error()
}

// Error is what Parse, Load and Reload return for a configuration that is
// not valid: every Problem found, in the order of the file, so one run shows
// everything to fix. errors.As(err, &policyErr) gets it.
type Error struct {
	// Source names where the configuration came from (the file's path);
	// empty for Parse.
	Source   string
	Problems []Problem
}

// Error lists every problem, one a line, each prefixed with the source and
// line when known.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	b.WriteString("invalid paved policy configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		if p.Line > 0 {
			b.WriteString("line ")
			b.WriteString(strconv.Itoa(p.Line))
			b.WriteString(": ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.As finds a Problem too.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// ProblemsOf returns the problems in err (an *Error), or nil.
func ProblemsOf(err error) []Problem {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Problems
	}
	return nil
}
