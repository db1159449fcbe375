// Package checks holds pavedvet's analyzers, one per checkable rule of
// STANDARDS.md. Every diagnostic starts with its rule ("RS-1: ..."), and a
// finding can be silenced where it is deliberate with
//
//	//pavedvet:ignore RS-1 why this call needs no deadline
//
// on the offending line or on the line above it; the reason is required.
//
// The analyzers look only at non-test files: tests talk to loopback servers
// with context.Background and http.Get by design.
package checks

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Rule is a rule number of STANDARDS.md ("RS-1").
type Rule string

// The rules pavedvet checks.
const (
	RS1  Rule = "RS-1"  // deadlines on every call
	RS2  Rule = "RS-2"  // retries bounded, jittered, budgeted
	RS12 Rule = "RS-12" // propagate deadlines and criticality: use the request's context
	RS14 Rule = "RS-14" // response bodies closed
	RS15 Rule = "RS-15" // pipeline composition order
)

var knownRules = map[Rule]bool{RS1: true, RS2: true, RS12: true, RS14: true, RS15: true}

// Analyzers returns every pavedvet analyzer, the directive checker first.
func Analyzers() []*analysis.Analyzer {
	return []*analysis.Analyzer{Ignore, Deadline, RequestContext, RetryLoop, BodyClose, PipelineOrder}
}

// Import paths the analyzers recognise.
const (
	pavedPath     = "github.com/paved-go/paved"
	pavedhttpPath = pavedPath + "/pavedhttp"
	pavedgrpcPath = pavedPath + "/pavedgrpc"
	grpcPath      = "google.golang.org/grpc"
	httpPath      = "net/http"
	contextPath   = "context"
	timePath      = "time"
)

// reporter reports one rule's findings, dropping the ones a valid
// //pavedvet:ignore directive suppresses.
type reporter struct {
	pass    *analysis.Pass
	rule    Rule
	ignores *Ignores
}

func newReporter(pass *analysis.Pass, rule Rule) *reporter {
	return &reporter{pass: pass, rule: rule, ignores: pass.ResultOf[Ignore].(*Ignores)}
}

// report reports a finding on [pos, end) with optional fixes.
func (r *reporter) report(pos, end token.Pos, fixes []analysis.SuggestedFix, format string, args ...any) {
	if r.ignores.Suppressed(r.pass.Fset, pos, r.rule) {
		return
	}
	r.pass.Report(analysis.Diagnostic{
		Pos:            pos,
		End:            end,
		Category:       string(r.rule),
		Message:        string(r.rule) + ": " + fmt.Sprintf(format, args...),
		SuggestedFixes: fixes,
	})
}

// checkTests holds each analyzer's -NAME.tests flag: also check test code.
var checkTests = map[*analysis.Analyzer]*bool{}

func init() {
	for _, a := range []*analysis.Analyzer{Deadline, RequestContext, RetryLoop, BodyClose, PipelineOrder} {
		checkTests[a] = a.Flags.Bool("tests", false, "also check test files and test-support packages")
	}
}

// testSupport reports whether the package is test code that is not in a
// _test.go file: a file of it other than a _test.go imports "testing", or an
// element of its path says so (test, tests, testing, testdata, e2e,
// testutil..., ...test such as httptest or grpctest). The _test.go files'
// imports do not count: go vet analyses a package that has in-package tests
// with them, and that package is not test support.
func testSupport(pass *analysis.Pass) bool {
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"testing"` {
				return true
			}
		}
	}
	for _, el := range strings.Split(pass.Pkg.Path(), "/") {
		switch {
		case el == "testing", el == "testdata", el == "e2e", el == "tests",
			strings.HasPrefix(el, "test"), strings.HasSuffix(el, "test"):
			return true
		}
	}
	return false
}

// checkedFiles returns the files the analyzers look at: not generated, and
// (unless -tests) neither _test.go files nor test-support packages, because
// tests talk to loopback servers with context.Background and http.Get by
// design.
func checkedFiles(pass *analysis.Pass) []*ast.File {
	tests := checkTests[pass.Analyzer] != nil && *checkTests[pass.Analyzer]
	if !tests && testSupport(pass) {
		return nil
	}
	var files []*ast.File
	for _, f := range pass.Files {
		if ast.IsGenerated(f) || (!tests && strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go")) {
			continue
		}
		files = append(files, f)
	}
	return files
}

// callee returns the function or method a call statically calls, or nil.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	case *ast.IndexExpr: // generic instantiation f[T](...)
		return callee(info, &ast.CallExpr{Fun: fun.X})
	case *ast.IndexListExpr:
		return callee(info, &ast.CallExpr{Fun: fun.X})
	default:
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}

// isPkgFunc reports whether fn is the package-level function path.name (one of names).
func isPkgFunc(fn *types.Func, path string, names ...string) bool {
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != path {
		return false
	}
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
		return false
	}
	for _, n := range names {
		if fn.Name() == n {
			return true
		}
	}
	return false
}

// isMethod reports whether fn is a method named name on the type path.typeName
// (or a pointer to it).
func isMethod(fn *types.Func, path, typeName string, names ...string) bool {
	if fn == nil {
		return false
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil || !isNamed(sig.Recv().Type(), path, typeName) {
		return false
	}
	for _, n := range names {
		if fn.Name() == n {
			return true
		}
	}
	return false
}

// isNamed reports whether t (or *t) is the named type path.name.
func isNamed(t types.Type, path, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	obj := n.Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == path && obj.Name() == name
}

// inPaved reports whether the package path is paved's or one of its packages.
func inPaved(path string) bool {
	return path == pavedPath || strings.HasPrefix(path, pavedPath+"/")
}

// importName returns the name under which file imports path ("" if it does
// not, "." or "_" as written).
func importName(file *ast.File, path string) string {
	for _, imp := range file.Imports {
		if strings.Trim(imp.Path.Value, `"`) != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

// fileOf returns the file of pass that contains pos.
func fileOf(pass *analysis.Pass, pos token.Pos) *ast.File {
	for _, f := range pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}

// timeRef returns how file can name package time, and the edits that import
// it when the file does not yet.
func timeRef(file *ast.File) (string, []analysis.TextEdit) {
	switch name := importName(file, timePath); name {
	case "", "_":
	case ".":
		return "", nil
	default:
		return name + ".", nil
	}
	return "time.", addImport(file, timePath)
}

// timeUsable reports whether name, at pos, is the time package or would be
// once a fix adds its import: no local or package-level declaration hides
// it, so a fix that writes name.Second compiles.
func timeUsable(pass *analysis.Pass, pos token.Pos, name string) bool {
	scope := pass.Pkg.Scope().Innermost(pos)
	if scope == nil {
		return false
	}
	_, obj := scope.LookupParent(name, pos)
	switch o := obj.(type) {
	case nil:
		return true // undeclared: the import the fix adds declares it
	case *types.PkgName:
		return o.Imported().Path() == timePath
	}
	return false
}

// addImport returns the edit that adds path to file's imports.
func addImport(file *ast.File, path string) []analysis.TextEdit {
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		if gd.Lparen.IsValid() {
			return []analysis.TextEdit{{Pos: gd.Lparen + 1, End: gd.Lparen + 1, NewText: []byte("\n\t" + `"` + path + `"`)}}
		}
		// import "x" becomes import ("x"; "path").
		spec := gd.Specs[0]
		return []analysis.TextEdit{
			{Pos: spec.Pos(), End: spec.Pos(), NewText: []byte("(\n\t")},
			{Pos: spec.End(), End: spec.End(), NewText: []byte("\n\t\"" + path + "\"\n)")},
		}
	}
	return []analysis.TextEdit{{Pos: file.Name.End(), End: file.Name.End(), NewText: []byte("\n\nimport \"" + path + "\"")}}
}
