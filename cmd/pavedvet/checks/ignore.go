package checks

import (
	"bytes"
	"go/ast"
	"go/token"
	"reflect"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"
)

const ignorePrefix = "//pavedvet:ignore"

// Ignore parses the //pavedvet:ignore directives of a package for the other
// analyzers, and reports the malformed ones: a directive must name known
// rules and give a reason.
//
//	resp, err := http.Get(u) //pavedvet:ignore RS-1 the CLI's one request, bounded by its -timeout flag
//
//	//pavedvet:ignore RS-12,RS-1 fire-and-forget audit write, must outlive the request
//	go audit(context.Background(), ev)
//
// A directive silences the named rules on its own line, and — when it stands
// alone on its line — on the next line too.
var Ignore = &analysis.Analyzer{
	Name:       "ignore",
	Doc:        "checks //pavedvet:ignore directives: each names known rules (RS-n) and gives a reason",
	URL:        "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#suppressing-a-finding",
	Run:        runIgnore,
	ResultType: reflect.TypeFor[*Ignores](),
}

// Ignores are the valid directives of one package.
type Ignores struct {
	// lines maps file name and line to the rules silenced there.
	lines map[string]map[int][]Rule
}

// Suppressed reports whether a valid directive silences rule at pos.
func (ig *Ignores) Suppressed(fset *token.FileSet, pos token.Pos, rule Rule) bool {
	if ig == nil || !pos.IsValid() {
		return false
	}
	p := fset.Position(pos)
	for _, r := range ig.lines[p.Filename][p.Line] {
		if r == rule {
			return true
		}
	}
	return false
}

var ruleRE = regexp.MustCompile(`^RS-[0-9]+$`)

func runIgnore(pass *analysis.Pass) (any, error) {
	ig := &Ignores{lines: map[string]map[int][]Rule{}}
	for _, f := range pass.Files {
		name := pass.Fset.File(f.Pos()).Name()
		var src []byte // read lazily: only files with directives need it
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if !strings.HasPrefix(c.Text, ignorePrefix) {
					continue
				}
				rest := c.Text[len(ignorePrefix):]
				if i := strings.Index(rest, "//"); i >= 0 {
					rest = rest[:i] // a comment on the directive is not its reason
				}
				if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
					continue // another word, e.g. //pavedvet:ignored
				}
				rules, ok := parseDirective(pass, c, rest)
				if !ok {
					continue
				}
				if src == nil && pass.ReadFile != nil {
					src, _ = pass.ReadFile(name)
				}
				line := pass.Fset.Position(c.Pos()).Line
				lines := ig.lines[name]
				if lines == nil {
					lines = map[int][]Rule{}
					ig.lines[name] = lines
				}
				lines[line] = append(lines[line], rules...)
				if aloneOnLine(pass.Fset, src, c) {
					lines[line+1] = append(lines[line+1], rules...)
				}
			}
		}
	}
	return ig, nil
}

// parseDirective parses "RS-1,RS-12 reason", reporting what is wrong with it.
func parseDirective(pass *analysis.Pass, c *ast.Comment, rest string) ([]Rule, bool) {
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		pass.Reportf(c.Pos(), "pavedvet:ignore names no rule: write //pavedvet:ignore RS-n <reason>")
		return nil, false
	}
	var rules []Rule
	for _, s := range strings.Split(fields[0], ",") {
		r := Rule(strings.TrimSpace(s))
		switch {
		case !ruleRE.MatchString(string(r)):
			pass.Reportf(c.Pos(), "pavedvet:ignore: %q is not a rule: write //pavedvet:ignore RS-n <reason>", s)
			return nil, false
		case !knownRules[r]:
			pass.Reportf(c.Pos(), "pavedvet:ignore: pavedvet does not check %s (it checks RS-1, RS-2, RS-12, RS-14, RS-15)", r)
			return nil, false
		}
		rules = append(rules, r)
	}
	if len(fields) < 2 {
		pass.Reportf(c.Pos(), "pavedvet:ignore %s needs a reason: write //pavedvet:ignore %s <why this is safe>", fields[0], fields[0])
		return nil, false
	}
	return rules, true
}

// aloneOnLine reports whether only blanks precede comment c on its line.
func aloneOnLine(fset *token.FileSet, src []byte, c *ast.Comment) bool {
	tf := fset.File(c.Pos())
	off := tf.Offset(c.Pos())
	if src == nil || off > len(src) {
		return false
	}
	start := tf.Offset(tf.LineStart(tf.Line(c.Pos())))
	return len(bytes.TrimSpace(src[start:off])) == 0
}
