package checks

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"
	"strings"

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
					checkDial(pass, rep, vals, c, n, fn)
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
		if tpkg, edits := timeRef(file); tpkg != "" && timeUsable(pass, lit.Pos(), strings.TrimSuffix(tpkg, ".")) {
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

func checkDial(pass *analysis.Pass, rep *reporter, vals *values, c inspector.Cursor, call *ast.CallExpr, fn *types.Func) {
	first := 1 // NewClient(target, opts...), Dial(target, opts...)
	if fn.Name() == "DialContext" {
		first = 2
	}
	if len(call.Args) < first {
		return
	}
	opts := call.Args[first:]
	if vals.classifyAll(opts, nil) != notPaved || serviceConfigTimeout(pass, opts) {
		return
	}
	if conn := assignedVar(pass, c, call); conn != nil {
		g := &grpcCalls{pass: pass, ins: c.Inspector()}
		if g.allHaveDeadlines(enclosingFunc(c), conn, 0) {
			return // every call on it is visible and carries a deadline
		}
	}
	rep.report(call.Pos(), call.End(), nil, "grpc.%s without paved interceptors: its calls get no deadline, retry or breaker unless every caller sets them; add pavedgrpc.DialOptions(pipeline)...", fn.Name())
}

// serviceConfigTimeout reports whether the options give a default service
// config (a constant) with a method timeout: then every call has a deadline.
func serviceConfigTimeout(pass *analysis.Pass, opts []ast.Expr) bool {
	for _, o := range opts {
		oc, ok := ast.Unparen(o).(*ast.CallExpr)
		if !ok || !isPkgFunc(callee(pass.TypesInfo, oc), grpcPath, "WithDefaultServiceConfig") || len(oc.Args) != 1 {
			continue
		}
		if v := pass.TypesInfo.Types[oc.Args[0]].Value; v != nil && v.Kind() == constant.String {
			if strings.Contains(strings.ToLower(constant.StringVal(v)), `"timeout"`) {
				return true
			}
		}
	}
	return false
}

// assignedVar returns the variable `v, err := call` or `v := call` assigns.
func assignedVar(pass *analysis.Pass, c inspector.Cursor, call ast.Expr) types.Object {
	switch n := c.Parent().Node().(type) {
	case *ast.AssignStmt:
		if len(n.Rhs) == 1 && n.Rhs[0] == call && len(n.Lhs) > 0 {
			if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name != "_" {
				return pass.TypesInfo.ObjectOf(id)
			}
		}
	case *ast.ValueSpec:
		if len(n.Values) == 1 && n.Values[0] == call && len(n.Names) > 0 && n.Names[0].Name != "_" {
			return pass.TypesInfo.ObjectOf(n.Names[0])
		}
	}
	return nil
}

// grpcCalls follows a client connection through the function that dials it
// (and this package's functions it is handed to) to every call made on it.
type grpcCalls struct {
	pass *analysis.Pass
	ins  *inspector.Inspector
}

// connMethods are the ClientConn methods that make no call.
var connMethods = map[string]bool{
	"Close": true, "Connect": true, "GetState": true, "Target": true, "CanonicalTarget": true,
	"ResetConnectBackoff": true, "WaitForStateChange": true, "GetMethodConfig": true,
}

// allHaveDeadlines reports whether every use of v (a connection, or a
// generated client stub built on one) in body is visible and every call
// through it passes a context with a deadline. Any use it cannot follow —
// stored, returned, handed to another package — makes it false.
func (g *grpcCalls) allHaveDeadlines(body ast.Node, v types.Object, depth int) bool {
	if body == nil || depth > 2 {
		return false
	}
	root, ok := g.ins.Root().FindNode(body)
	if !ok {
		return false
	}
	info := g.pass.TypesInfo
	for c := range root.Preorder((*ast.Ident)(nil)) {
		id := c.Node().(*ast.Ident)
		if info.Uses[id] != v {
			continue
		}
		switch p := c.Parent().Node().(type) {
		case *ast.SelectorExpr: // v.Method(...)
			call, ok := c.Parent().Parent().Node().(*ast.CallExpr)
			if !ok || call.Fun != p {
				return false
			}
			switch name := p.Sel.Name; {
			case connMethods[name] && isNamed(info.TypeOf(id), grpcPath, "ClientConn"):
			case len(call.Args) > 0 && isNamed(info.TypeOf(call.Args[0]), contextPath, "Context"):
				if !g.hasDeadline(body, call.Args[0]) {
					return false
				}
			default:
				return false
			}
		case *ast.CallExpr: // f(v): a stub constructor or this package's function
			if !g.followArg(body, c.Parent(), p, id, depth) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// followArg follows v into the call f(..., v, ...).
func (g *grpcCalls) followArg(body ast.Node, cc inspector.Cursor, call *ast.CallExpr, arg ast.Expr, depth int) bool {
	info := g.pass.TypesInfo
	fn := callee(info, call)
	if fn == nil {
		return false
	}
	idx := slices.Index(call.Args, arg)
	if idx < 0 {
		return false
	}
	if fn.Pkg() != g.pass.Pkg && strings.HasPrefix(fn.Name(), "New") && strings.HasSuffix(fn.Name(), "Client") && len(call.Args) == 1 {
		// A generated stub: follow the stub, or its one method call.
		if sel, ok := cc.Parent().Node().(*ast.SelectorExpr); ok && sel.X == call {
			mc, ok := cc.Parent().Parent().Node().(*ast.CallExpr)
			return ok && mc.Fun == sel && len(mc.Args) > 0 && g.hasDeadline(body, mc.Args[0])
		}
		stub := assignedVar(g.pass, cc, call)
		return stub != nil && g.allHaveDeadlines(body, stub, depth)
	}
	if fn.Pkg() != g.pass.Pkg {
		return false
	}
	decl := g.funcDecl(fn)
	if decl == nil || decl.Body == nil || call.Ellipsis.IsValid() {
		return false
	}
	param := paramAt(info, decl, idx)
	return param != nil && g.allHaveDeadlines(decl.Body, param, depth+1)
}

func (g *grpcCalls) funcDecl(fn *types.Func) *ast.FuncDecl {
	for _, f := range g.pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && g.pass.TypesInfo.Defs[fd.Name] == fn {
				return fd
			}
		}
	}
	return nil
}

func paramAt(info *types.Info, decl *ast.FuncDecl, idx int) types.Object {
	i := 0
	for _, f := range decl.Type.Params.List {
		for _, name := range f.Names {
			if i == idx {
				return info.Defs[name]
			}
			i++
		}
		if len(f.Names) == 0 {
			i++
		}
	}
	return nil
}

// hasDeadline reports whether ctx, in body, visibly carries a deadline, or
// comes from where this function cannot see (a parameter, a field: the
// caller's deadline). context.Background(), TODO() and WithoutCancel carry
// none.
func (g *grpcCalls) hasDeadline(body ast.Node, ctx ast.Expr) bool {
	return g.deadline(body, ctx, map[types.Object]bool{})
}

func (g *grpcCalls) deadline(body ast.Node, ctx ast.Expr, seen map[types.Object]bool) bool {
	info := g.pass.TypesInfo
	switch e := ast.Unparen(ctx).(type) {
	case *ast.CallExpr:
		fn := callee(info, e)
		switch {
		case isPkgFunc(fn, contextPath, "Background", "TODO", "WithoutCancel"):
			return false
		case isPkgFunc(fn, contextPath, "WithTimeout", "WithDeadline", "WithTimeoutCause", "WithDeadlineCause"):
			return true
		}
		for _, a := range e.Args { // WithCancel(parent), metadata.NewOutgoingContext(ctx, md), ...
			if isNamed(info.TypeOf(a), contextPath, "Context") {
				return g.deadline(body, a, seen)
			}
		}
		return true
	case *ast.Ident:
		obj := info.Uses[e]
		if obj == nil || seen[obj] {
			return true
		}
		seen[obj] = true
		found, all := false, true
		ast.Inspect(body, func(n ast.Node) bool {
			var rhs ast.Expr
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && info.ObjectOf(id) == obj {
						if len(n.Rhs) == len(n.Lhs) {
							rhs = n.Rhs[i]
						} else if len(n.Rhs) == 1 {
							rhs = n.Rhs[0] // ctx, cancel := context.WithTimeout(...)
						}
					}
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if info.Defs[name] == obj && i < len(n.Values) {
						rhs = n.Values[i]
					}
				}
			}
			if rhs != nil {
				found = true
				if !g.deadline(body, rhs, seen) {
					all = false
				}
			}
			return true
		})
		return !found || all // not assigned here: a parameter or captured, the caller's
	}
	return true
}
