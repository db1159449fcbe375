package checks

import (
	"go/token"
	"strings"

	"github.com/timakin/bodyclose/passes/bodyclose"
	"golang.org/x/tools/go/analysis"
)

// BodyClose checks STANDARDS.md RS-14, response bodies closed, by running
// github.com/timakin/bodyclose (the analyzer golangci-lint ships) rather than
// a rewrite of it: an *http.Response whose Body is not closed on every path
// holds its connection, so the pool cannot reuse it and the process leaks
// file descriptors and goroutines. Its findings are prefixed RS-14 and obey
// //pavedvet:ignore; test code is skipped like the other analyzers'.
var BodyClose = &analysis.Analyzer{
	Name:     "bodyclose",
	Doc:      "RS-14: every *http.Response body is closed (github.com/timakin/bodyclose)",
	URL:      "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#rs-14-response-bodies",
	Requires: append([]*analysis.Analyzer{Ignore}, bodyclose.Analyzer.Requires...),
	Run:      runBodyClose,
}

func runBodyClose(pass *analysis.Pass) (any, error) {
	rep := newReporter(pass, RS14)
	checked := map[string]bool{}
	for _, f := range checkedFiles(pass) {
		checked[pass.Fset.File(f.Pos()).Name()] = true
	}
	if len(checked) == 0 {
		return nil, nil
	}
	inner := *pass
	inner.Analyzer = bodyclose.Analyzer
	inner.Report = func(d analysis.Diagnostic) {
		if !checked[pass.Fset.File(d.Pos).Name()] || nolinted(pass, d.Pos) {
			return
		}
		rep.report(d.Pos, d.End, d.SuggestedFixes, "%s", d.Message)
	}
	return bodyclose.Analyzer.Run(&inner)
}

// nolinted reports whether a golangci-lint //nolint directive for bodyclose
// (or for every linter) is on pos's line: code that already runs bodyclose
// under golangci-lint has marked its deliberate cases so.
func nolinted(pass *analysis.Pass, pos token.Pos) bool {
	f := fileOf(pass, pos)
	if f == nil {
		return false
	}
	line := pass.Fset.Position(pos).Line
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if pass.Fset.Position(c.Pos()).Line != line || !strings.HasPrefix(c.Text, "//nolint") {
				continue
			}
			rest := strings.TrimPrefix(c.Text, "//nolint")
			if rest == "" || rest[0] == ' ' {
				return true // every linter
			}
			if rest[0] != ':' {
				continue
			}
			names, _, _ := strings.Cut(rest[1:], " ")
			for _, n := range strings.Split(names, ",") {
				if n == "bodyclose" || n == "all" {
					return true
				}
			}
		}
	}
	return false
}
