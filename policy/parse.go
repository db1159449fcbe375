package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds a configuration file: a policy file is a few hundred
// lines, and a bigger one is a mistake (or an attack through a mounted
// volume).
const maxFileSize = 1 << 20

// Parse reads a configuration from YAML and validates all of it. Unknown
// keys are errors; durations are Go durations ("250ms", "2s", "1m30s");
// every dependency inherits defaults field by field, and what neither sets
// is the built-in default (BuiltinDefaults). An invalid configuration gives
// an *Error listing every problem, each with its path, the value found and
// the range allowed:
//
//	dependencies.payments.retry.max_attempts: must be 1..10, got 0
//
// Empty data is a valid configuration of built-in defaults.
func Parse(data []byte) (*Config, error) {
	cfg, problems := parse(data)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return cfg, nil
}

// Load reads and parses the file at path (see Parse). Problems name the file.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	cfg, problems := parse(data)
	if len(problems) > 0 {
		return nil, &Error{Source: path, Problems: problems}
	}
	return cfg, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: reading %s: %w", path, err)
	}
	return data, nil
}

func parse(data []byte) (cfg *Config, problems []Problem) {
	if len(data) > maxFileSize {
		return nil, []Problem{{Rule: fmt.Sprintf("the file must be at most %d bytes", maxFileSize), Value: fmt.Sprint(len(data))}}
	}
	root, err := parseYAML(data)
	if err != nil {
		return nil, []Problem{{Rule: "must be valid YAML: " + err.Error()}}
	}
	var f fileConfig
	d := decoder{lines: map[string]int{}}
	if root != nil {
		d.decode(root, reflect.ValueOf(&f).Elem(), "")
	}
	// Validation runs even after decoding problems, on the fields that
	// decoded (the rest are inherited), so one run reports everything.
	cfg, problems = build(&f, d.lines)
	if len(d.problems) > 0 {
		return nil, inFileOrder(append(d.problems, problems...))
	}
	return cfg, inFileOrder(problems)
}

// inFileOrder sorts problems by line, keeping the order of those on one
// line; problems of no line (a rule about inherited values) come last.
func inFileOrder(problems []Problem) []Problem {
	slices.SortStableFunc(problems, func(a, b Problem) int {
		switch {
		case a.Line == b.Line:
			return 0
		case a.Line == 0:
			return 1
		case b.Line == 0:
			return -1
		}
		return a.Line - b.Line
	})
	return problems
}

// parseYAML parses one YAML document; a second one is an error, since a
// policy is one file's one document. A panic in the YAML parser on hostile
// input becomes an error.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("the file must hold one YAML document, found a second")
	}
	return &n, nil
}

// build resolves a decoded file into a Config and validates it. lines holds
// the line of every path the file sets.
func build(f *fileConfig, lines map[string]int) (*Config, []Problem) {
	builtin := BuiltinDefaults()
	cfg := &Config{
		Defaults:     resolve(f.Defaults, builtin),
		Dependencies: make(map[string]Dependency, len(f.Dependencies)),
		Server:       resolveServer(f.Server),
	}
	var problems []Problem
	defaultProblems := checkDependency(cfg.Defaults, setIn("defaults", lines))
	seen := make(map[Problem]bool, len(defaultProblems))
	for _, p := range defaultProblems {
		seen[p] = true
		problems = append(problems, locate(p, "defaults", lines))
	}
	names := make([]string, 0, len(f.Dependencies))
	for name := range f.Dependencies {
		names = append(names, name)
	}
	sortByLine(names, "dependencies", lines)
	for _, name := range names {
		fd := f.Dependencies[name]
		if f.Defaults != nil {
			inherit(fd, f.Defaults)
		}
		dep := resolve(fd, builtin)
		cfg.Dependencies[name] = dep
		for _, p := range checkDependency(dep, setIn("dependencies."+name, lines)) {
			if seen[p] {
				continue // inherited unchanged from defaults, reported there
			}
			problems = append(problems, locate(p, "dependencies."+name, lines))
		}
	}
	for _, p := range checkServer(cfg.Server) {
		problems = append(problems, locate(p, "", lines))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return cfg, nil
}

// setIn reports whether the file sets a path of section.
func setIn(section string, lines map[string]int) func(string) bool {
	return func(path string) bool { return lines[join(section, path)] > 0 }
}

// locate prefixes p's path with the section's and finds its line.
func locate(p Problem, section string, lines map[string]int) Problem {
	p.Path = join(section, p.Path)
	p.Line = lines[p.Path]
	return p
}
