package pavedhttp

import (
	"net/http"
	"slices"
	"strings"
)

// varyField is one request field a response's Vary names, with the value
// the recorded request had: RFC 9111 §4.1's "selecting header fields".
type varyField struct {
	name    string // canonical
	present bool   // an absent field matches only an absent one
	value   string // normalised: see fieldValue
}

// varyOf returns the request fields resp's Vary names, in name order, with
// req's values; ok is false when Vary has the member "*", which no later
// request matches (RFC 9111 §4.1), so the response is not worth keeping.
func varyOf(req *http.Request, resp *http.Response) (_ []varyField, ok bool) {
	var names []string
	for _, line := range resp.Header.Values("Vary") {
		for name := range strings.SplitSeq(line, ",") {
			name = strings.Trim(name, " \t")
			switch {
			case name == "":
			case name == "*":
				return nil, false
			default:
				names = append(names, http.CanonicalHeaderKey(name))
			}
		}
	}
	if len(names) == 0 {
		return nil, true
	}
	slices.Sort(names)
	names = slices.Compact(names)
	fields := make([]varyField, len(names))
	for i, name := range names {
		v, present := fieldValue(req.Header, name)
		fields[i] = varyField{name: name, present: present, value: v}
	}
	return fields, true
}

// varyMatches reports whether req presents the fields vary names with the
// values the recorded request had.
func varyMatches(vary []varyField, req *http.Request) bool {
	for _, f := range vary {
		v, present := fieldValue(req.Header, f.name)
		if present != f.present || v != f.value {
			return false
		}
	}
	return true
}

// sameVariant reports whether a and b select the same variant: the same
// fields with the same values. A new copy of it replaces the old.
func sameVariant(a, b []varyField) bool { return slices.Equal(a, b) }

// fieldValue returns the request field name (canonical) as one normalised
// value, and whether the request has it at all. RFC 9111 §4.1 lets two
// requests' fields match when one turns into the other by combining field
// lines (RFC 9110 §5.3) and adding or removing whitespace where the syntax
// allows it; so the lines, under any spelling of the name (a Header filled
// by hand may hold one that is not canonical), are joined into one list
// whose members are trimmed of spaces and tabs, empty members dropped
// (RFC 9110 §5.6.1), and commas inside quoted strings kept. Values are
// otherwise compared as sent, case included: a field whose values are
// case-insensitive may so miss a copy it could have had, never get one it
// should not.
func fieldValue(h http.Header, name string) (string, bool) {
	lines, present := h[name]
	var others []string // other spellings, in a fixed order
	for k := range h {
		if k != name && strings.EqualFold(k, name) {
			others = append(others, k)
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		lines = slices.Clip(lines)
		for _, k := range others {
			lines = append(lines, h[k]...)
		}
		present = true
	}
	if !present {
		return "", false
	}
	var b strings.Builder
	for _, line := range lines {
		for _, m := range listMembers(line) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m)
		}
	}
	return b.String(), true
}

// listMembers splits a field line at the commas outside quoted strings,
// and returns its members trimmed of spaces and tabs, the empty ones left out.
func listMembers(line string) []string {
	var out []string
	add := func(m string) {
		if m = strings.Trim(m, " \t"); m != "" {
			out = append(out, m)
		}
	}
	start, quoted := 0, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quoted && c == '\\':
			i++ // a quoted pair: the next byte is taken as it is
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			add(line[start:i])
			start = i + 1
		}
	}
	add(line[start:])
	return out
}
