package policy

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many YAML nodes a file may expand to, aliases
// followed: a small file of nested aliases ("billion laughs") must not make
// Parse build a huge value.
const maxNodes = 100_000

var durationType = reflect.TypeOf(time.Duration(0))

// decoder decodes a YAML node tree into the file types strictly: an unknown
// key, a duplicate key, a value of the wrong kind or a duration that is not a
// Go duration is a Problem naming its path, and decoding goes on, so that one
// Parse reports every problem of the file.
type decoder struct {
	problems []Problem
	nodes    int
	lines    map[string]int // the line of every path decoded
}

func (d *decoder) add(path string, n *yaml.Node, value, rule string) {
	p := Problem{Path: path, Value: value, Rule: rule}
	if n != nil {
		p.Line = n.Line
	}
	d.problems = append(d.problems, p)
}

// decode decodes n into v, which is settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.nodes++; d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.add(path, n, "", fmt.Sprintf("the file expands to more than %d YAML nodes", maxNodes))
		}
		return
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	if path != "" && d.lines != nil {
		if _, ok := d.lines[path]; !ok {
			d.lines[path] = n.Line
		}
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		d.decode(n.Content[0], v, path)
		return
	}
	if v.Kind() == reflect.Pointer {
		if isNull(n) {
			if v.Type().Elem().Kind() == reflect.Struct {
				// "hedge:" with nothing after it: the section is present,
				// with every field inherited.
				v.Set(reflect.New(v.Type().Elem()))
			}
			return
		}
		e := reflect.New(v.Type().Elem())
		if d.decodeValue(n, e.Elem(), path) {
			v.Set(e)
		}
		return
	}
	d.decodeValue(n, v, path)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// decodeValue decodes n into v (not a pointer) and reports whether it did.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) bool {
	switch {
	case v.Type() == durationType:
		return d.duration(n, v, path)
	case v.Kind() == reflect.Struct:
		return d.mapping(n, v, path)
	case v.Kind() == reflect.Map:
		return d.namedMap(n, v, path)
	case v.Kind() == reflect.Slice:
		return d.list(n, v, path)
	}
	if n.Kind != yaml.ScalarNode {
		d.add(path, n, kindName(n), "must be "+scalarName(v.Kind()))
		return false
	}
	switch v.Kind() {
	case reflect.String:
		if n.Tag != "!!str" {
			d.add(path, n, n.Value, "must be a string")
			return false
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.add(path, n, n.Value, "must be true or false")
			return false
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Tag != "!!int" || err != nil || i != int64(int(i)) {
			d.add(path, n, n.Value, "must be an integer")
			return false
		}
		v.SetInt(i)
	case reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 10, 64)
		if n.Tag != "!!int" || err != nil {
			d.add(path, n, n.Value, "must be an integer 0..18446744073709551615")
			return false
		}
		v.SetUint(u)
	case reflect.Float64:
		var f float64
		if (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil {
			d.add(path, n, n.Value, "must be a number")
			return false
		}
		v.SetFloat(f)
	default:
		panic("policy: no decoder for " + v.Type().String())
	}
	return true
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.ScalarNode {
		d.add(path, n, kindName(n), "must be a Go duration such as 250ms or 2s")
		return false
	}
	t, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(n.Value, 64); nerr == nil && n.Value != "0" {
			d.add(path, n, n.Value, "must be a Go duration with a unit, such as "+n.Value+"s or "+n.Value+"ms")
			return false
		}
		d.add(path, n, n.Value, "must be a Go duration such as 250ms or 2s")
		return false
	}
	v.SetInt(int64(t))
	return true
}

// pairs returns the key and value nodes of mapping n, reporting keys that are
// not plain strings and keys given twice.
func (d *decoder) pairs(n *yaml.Node, path string) (keys []string, vals []*yaml.Node, ok bool) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return nil, nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.add(path, n, kindName(n), "must be a mapping")
		return nil, nil, false
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "!!int") {
			d.add(join(path, "?"), k, kindName(k), "keys must be plain names")
			continue
		}
		if seen[k.Value] {
			d.add(join(path, k.Value), k, "", "given twice")
			continue
		}
		seen[k.Value] = true
		keys, vals = append(keys, k.Value), append(vals, n.Content[i+1])
	}
	return keys, vals, true
}

// mapping decodes a mapping into struct v by its fields' yaml tags.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) bool {
	keys, vals, ok := d.pairs(n, path)
	if !ok {
		return false
	}
	t := v.Type()
	for i, k := range keys {
		f, found := fieldByTag(t, k)
		if !found {
			d.add(join(path, k), vals[i], "", "unknown key (known: "+strings.Join(tagsOf(t), ", ")+")")
			continue
		}
		d.decode(vals[i], v.FieldByIndex(f.Index), join(path, k))
	}
	return true
}

// maxListLen bounds a list in the file (chaos faults, fallback outcomes).
const maxListLen = 100

// list decodes a sequence into slice v, its items' paths "path[i]".
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) bool {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.SequenceNode {
		d.add(path, n, kindName(n), "must be a list")
		return false
	}
	if len(n.Content) > maxListLen {
		d.add(path, n, strconv.Itoa(len(n.Content))+" items", fmt.Sprintf("must have at most %d items", maxListLen))
		return false
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), path+"["+strconv.Itoa(i)+"]")
	}
	v.Set(s)
	return true
}

// namedMap decodes a mapping of names (dependencies) into map v.
func (d *decoder) namedMap(n *yaml.Node, v reflect.Value, path string) bool {
	keys, vals, ok := d.pairs(n, path)
	if !ok {
		return false
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(keys)))
	}
	for i, k := range keys {
		if !validName(k) {
			d.add(join(path, k), vals[i], k, "names must be 1..63 letters, digits, '-', '_' or '.', starting with a letter or digit")
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(vals[i], e, join(path, k))
		if e.Kind() == reflect.Pointer && e.IsNil() {
			e.Set(reflect.New(e.Type().Elem())) // "payments:" alone: all defaults
		}
		v.SetMapIndex(reflect.ValueOf(k), e)
	}
	return true
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '_' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tagsOf(t reflect.Type) []string {
	tags := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			tags = append(tags, tag)
		}
	}
	sort.Strings(tags)
	return tags
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return n.Value
	}
	return "?"
}

func scalarName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Uint64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return "a value"
}

// sortByLine sorts the names of a map section in the order the file gives
// them, so problems come in the file's order.
func sortByLine(names []string, section string, lines map[string]int) {
	sort.Slice(names, func(i, j int) bool {
		li, lj := lines[join(section, names[i])], lines[join(section, names[j])]
		if li != lj {
			return li < lj
		}
		return names[i] < names[j]
	})
}
