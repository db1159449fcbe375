package checks

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// Deadline checks STANDARDS.md RS-1, deadlines on every call:
//   - an http.Client literal with neither a Timeout nor a paved transport
//     (pavedhttp.NewTransport, or anything built from a paved call);
//   - any use of http.DefaultClient, and the package-level http.Get, Head,
//     Post and PostForm, which use it;
//   - a gRPC client (grpc.NewClient, Dial, DialContext) dialled without paved
//     interceptors (pavedgrpc.DialOptions or pavedgrpc's interceptors).
//
// Where a value's origin is not visible (a parameter, a field, a helper of
// the same package), the analyzer stays silent rather than guess.
var Deadline = &analysis.Analyzer{
	Name:     "deadline",
	Doc:      "RS-1: every HTTP and gRPC client call has a deadline: a client Timeout or a paved transport / paved interceptors",
	URL:      "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#rs-1-deadlines",
	Requires: []*analysis.Analyzer{inspect.Analyzer, Ignore},
	Run:      runDeadline,
}

func runDeadline(pass *analysis.Pass) (any, error) {
	rep := newReporter(pass, RS1)
	vals := newValues(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	for _, f := range checkedFiles(pass) {
		cur, _ := ins.Root().FindNode(f)
		for c := range cur.Preorder((*ast.CompositeLit)(nil), (*ast.SelectorExpr)(nil), (*ast.CallExpr)(nil)) {
			switch n := c.Node().(type) {
			case *ast.CompositeLit:
				if isNamed(pass.TypesInfo.TypeOf(n), httpPath, "Client") {
					checkClientLit(pass, rep, vals, f, c, n)
				}
			case *ast.SelectorExpr:
				obj, ok := pass.TypesInfo.Uses[n.Sel].(*types.Var)
				if !ok || obj.Pkg() == nil || obj.Pkg().Path() != httpPath || obj.Name() != "DefaultClient" || obj.IsField() {
					continue
				}
				if as, ok := c.Parent().Node().(*ast.AssignStmt); ok && len(as.Lhs) > 0 {
					if isLHS(as, n) {
						continue // configuring it, not calling through it
					}
				}
				rep.report(n.Pos(), n.End(), nil, "http.DefaultClient has no timeout: a hung server holds the call forever; use a client with a Timeout or a paved transport (pavedhttp.NewTransport)")
			case *ast.CallExpr:
				fn := callee(pass.TypesInfo, n)
				switch {
				case isPkgFunc(fn, httpPath, "Get", "Head", "Post", "PostForm"):
					rep.report(n.Pos(), n.End(), nil, "http.%s uses http.DefaultClient, which has no timeout; use a client with a Timeout or a paved transport, with http.NewRequestWithContext", fn.Name())
				case isPkgFunc(fn, grpcPath, "NewClient", "Dial", "DialContext"):
					checkDial(rep, vals, n, fn)
				}
			}
		}
	}
	return nil, nil
}

func isLHS(as *ast.AssignStmt, e ast.Expr) bool {
	for _, l := range as.Lhs {
		if l == e {
			return true
		}
	}
	return false
}

func checkClientLit(pass *analysis.Pass, rep *reporter, vals *values, file *ast.File, c inspector.Cursor, lit *ast.CompositeLit) {
	var timeout, transport ast.Expr
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return // positional: every field is given
		}
		switch key, _ := kv.Key.(*ast.Ident); {
		case key == nil:
		case key.Name == "Timeout":
			timeout = kv.Value
		case key.Name == "Transport":
			transport = kv.Value
		}
	}
	if timeout != nil {
		tv := pass.TypesInfo.Types[timeout]
		if tv.Value == nil || constant.Sign(tv.Value) > 0 {
			return // a timeout, or one computed at run time
		}
	}
	if transport != nil && vals.classify(transport, nil) != notPaved {
		return
	}
	if laterSet(pass, c, lit) {
		return
	}
	what := "without a Timeout"
	if timeout != nil {
		what = "with Timeout 0 (no timeout)"
	}
	via := "and without a transport"
	if transport != nil {
		via = "and its transport is not paved's"
	}
	var fixes []analysis.SuggestedFix
	if timeout == nil {
		if tpkg, edits := timeRef(file); tpkg != "" {
			text := "Timeout: 10 * " + tpkg + "Second"
			if len(lit.Elts) > 0 {
				text = ", " + text
			}
			pos := lit.Rbrace
			if len(lit.Elts) > 0 {
				pos = lit.Elts[len(lit.Elts)-1].End()
			}
			fixes = []analysis.SuggestedFix{{
				Message:   "Add Timeout: 10 * time.Second (the paved default total timeout)",
				TextEdits: append([]analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte(text)}}, edits...),
			}}
		}
	}
	rep.report(lit.Pos(), lit.End(), fixes, "http.Client %s %s: a hung server holds every call forever; set Timeout or use pavedhttp.NewTransport", what, via)
}

// laterSet reports whether the literal is assigned to a variable whose
// Timeout or Transport is set afterwards (c := &http.Client{}; c.Timeout = d).
func laterSet(pass *analysis.Pass, c inspector.Cursor, lit *ast.CompositeLit) bool {
	var target types.Object
	node := ast.Node(lit)
	for p := c.Parent(); ; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				node = n
				continue
			}
		case *ast.AssignStmt:
			for i, r := range n.Rhs {
				if r == node && i < len(n.Lhs) {
					if id, ok := n.Lhs[i].(*ast.Ident); ok {
						target = pass.TypesInfo.ObjectOf(id)
					}
				}
			}
		case *ast.ValueSpec:
			for i, r := range n.Values {
				if r == node && i < len(n.Names) {
					target = pass.TypesInfo.ObjectOf(n.Names[i])
				}
			}
		}
		break
	}
	if target == nil {
		return false
	}
	fn := enclosingFunc(c)
	if fn == nil {
		return false
	}
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok {
			return !found
		}
		for _, l := range as.Lhs {
			sel, ok := l.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Timeout" && sel.Sel.Name != "Transport") {
				continue
			}
			if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok && pass.TypesInfo.ObjectOf(id) == target {
				found = true
			}
		}
		return !found
	})
	return found
}

// enclosingFunc returns the body of the innermost function around c, or the
// file for package-level code.
func enclosingFunc(c inspector.Cursor) ast.Node {
	for p := c.Parent(); p.Node() != nil; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.FuncDecl:
			return n.Body
		case *ast.FuncLit:
			return n.Body
		case *ast.File:
			return n
		}
	}
	return nil
}

func checkDial(rep *reporter, vals *values, call *ast.CallExpr, fn *types.Func) {
	first := 1 // NewClient(target, opts...), Dial(target, opts...)
	if fn.Name() == "DialContext" {
		first = 2
	}
	if len(call.Args) < first {
		return
	}
	if vals.classifyAll(call.Args[first:], nil) != notPaved {
		return
	}
	rep.report(call.Pos(), call.End(), nil, "grpc.%s without paved interceptors: its calls get no deadline, retry or breaker unless every caller sets them; add pavedgrpc.DialOptions(pipeline)...", fn.Name())
}
