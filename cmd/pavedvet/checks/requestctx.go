package checks

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// RequestContext checks STANDARDS.md RS-12, propagate deadlines and
// criticality: inside an HTTP handler (a function taking an
// http.ResponseWriter and an *http.Request), a gRPC service method (a method
// of a type embedding the generated Unimplemented...Server) or a gRPC server
// interceptor, an outgoing call must use the request's context, not
// context.Background() or context.TODO(), nor http.NewRequest or the
// http.Client Get/Head/Post/PostForm methods, which use context.Background().
// Such a call outlives the caller's deadline, keeps running after the client
// gave up, and loses the trace and criticality the request carried.
//
// Work started with `go` that must outlive the request should still carry
// its values: the suggestion there is context.WithoutCancel(r.Context()).
var RequestContext = &analysis.Analyzer{
	Name:     "requestctx",
	Doc:      "RS-12: calls made while serving a request use the request's context, not context.Background/TODO",
	URL:      "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#rs-12-the-requests-context",
	Requires: []*analysis.Analyzer{inspect.Analyzer, Ignore},
	Run:      runRequestContext,
}

// handler is what a request-serving function offers: the context expression
// ("r.Context()", "ctx") and the variable it starts from.
type handler struct {
	kind string       // "an HTTP handler", "a gRPC method", "a gRPC interceptor"
	ctx  string       // how to write the request's context; "" if its variable is unnamed
	obj  types.Object // the variable ctx starts from
}

func runRequestContext(pass *analysis.Pass) (any, error) {
	rep := newReporter(pass, RS12)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	for _, f := range checkedFiles(pass) {
		root, _ := ins.Root().FindNode(f)
		for c := range root.Preorder((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
			h, body := handlerOf(pass, c.Node())
			if h == nil || body == nil {
				continue
			}
			bc, _ := c.FindNode(body)
			bc.Inspect([]ast.Node{(*ast.FuncLit)(nil), (*ast.CallExpr)(nil)}, func(c inspector.Cursor) bool {
				switch n := c.Node().(type) {
				case *ast.FuncLit:
					inner, _ := handlerOf(pass, n)
					return inner == nil // an inner handler is checked on its own
				case *ast.CallExpr:
					checkRequestCall(pass, rep, h, c, n)
				}
				return true
			})
		}
	}
	return nil, nil
}

func checkRequestCall(pass *analysis.Pass, rep *reporter, h *handler, c inspector.Cursor, call *ast.CallExpr) {
	fn := callee(pass.TypesInfo, call)
	detached := inGoStmt(c)
	want := h.ctx
	if want != "" && !resolves(pass, call.Pos(), h) {
		want = "" // shadowed here: no safe rewrite
	}
	if want != "" && detached {
		ctxName := importName(fileOf(pass, call.Pos()), contextPath)
		if ctxName == "" || ctxName == "." || ctxName == "_" {
			want = ""
		} else {
			want = ctxName + ".WithoutCancel(" + want + ")"
		}
	}
	use := "the request's context"
	if want != "" {
		use = want
	}
	switch {
	case isPkgFunc(fn, contextPath, "Background", "TODO"):
		var fixes []analysis.SuggestedFix
		if want != "" {
			fixes = []analysis.SuggestedFix{{
				Message:   "Use " + want,
				TextEdits: []analysis.TextEdit{{Pos: call.Pos(), End: call.End(), NewText: []byte(want)}},
			}}
		}
		if detached {
			rep.report(call.Pos(), call.End(), fixes, "context.%s() in work %s starts: it loses the request's trace and criticality; use %s (values kept, cancellation dropped)", fn.Name(), h.kind, use)
			return
		}
		rep.report(call.Pos(), call.End(), fixes, "context.%s() in %s: the call outlives the caller's deadline and loses its cancellation and criticality; use %s", fn.Name(), h.kind, use)
	case isPkgFunc(fn, httpPath, "NewRequest"):
		var fixes []analysis.SuggestedFix
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && want != "" && len(call.Args) > 0 {
			fixes = []analysis.SuggestedFix{{
				Message: "Use http.NewRequestWithContext(" + want + ", ...)",
				TextEdits: []analysis.TextEdit{
					{Pos: sel.Sel.Pos(), End: sel.Sel.End(), NewText: []byte("NewRequestWithContext")},
					{Pos: call.Args[0].Pos(), End: call.Args[0].Pos(), NewText: []byte(want + ", ")},
				},
			}}
		}
		rep.report(call.Pos(), call.End(), fixes, "http.NewRequest in %s builds a request with context.Background(): it outlives the caller's deadline; use http.NewRequestWithContext(%s, ...)", h.kind, use)
	case isMethod(fn, httpPath, "Client", "Get", "Head", "Post", "PostForm"):
		rep.report(call.Pos(), call.End(), nil, "(*http.Client).%s in %s sends with context.Background(): it outlives the caller's deadline; build the request with http.NewRequestWithContext(%s, ...) and call Do", fn.Name(), h.kind, use)
	}
}

// inGoStmt reports whether the call runs in a goroutine the handler starts.
func inGoStmt(c inspector.Cursor) bool {
	for p := c.Parent(); p.Node() != nil; p = p.Parent() {
		switch p.Node().(type) {
		case *ast.GoStmt:
			return true
		case *ast.FuncDecl:
			return false
		}
	}
	return false
}

// resolves reports whether h's variable is the one its name means at pos.
func resolves(pass *analysis.Pass, pos token.Pos, h *handler) bool {
	name := h.obj.Name()
	scope := pass.Pkg.Scope().Innermost(pos)
	if scope == nil {
		return false
	}
	_, obj := scope.LookupParent(name, pos)
	return obj == h.obj
}

// handlerOf returns what n (a FuncDecl or FuncLit) serves, or nil.
func handlerOf(pass *analysis.Pass, n ast.Node) (*handler, *ast.BlockStmt) {
	var ftype *ast.FuncType
	var body *ast.BlockStmt
	var decl *ast.FuncDecl
	switch n := n.(type) {
	case *ast.FuncDecl:
		ftype, body, decl = n.Type, n.Body, n
	case *ast.FuncLit:
		ftype, body = n.Type, n.Body
	default:
		return nil, nil
	}
	type param struct {
		obj types.Object
		typ types.Type
	}
	var params []param
	for _, f := range ftype.Params.List {
		t := pass.TypesInfo.TypeOf(f.Type)
		if len(f.Names) == 0 {
			params = append(params, param{nil, t})
		}
		for _, name := range f.Names {
			params = append(params, param{pass.TypesInfo.Defs[name], t})
		}
	}
	named := func(p param, suffix string) (string, types.Object) {
		if p.obj == nil || p.obj.Name() == "_" {
			return "", nil
		}
		return p.obj.Name() + suffix, p.obj
	}
	// HTTP: func(http.ResponseWriter, *http.Request)
	hasWriter := false
	for _, p := range params {
		if isNamed(p.typ, httpPath, "ResponseWriter") {
			hasWriter = true
		}
	}
	for _, p := range params {
		if hasWriter && isPtrTo(p.typ, httpPath, "Request") {
			ctx, obj := named(p, ".Context()")
			return &handler{kind: "an HTTP handler", ctx: ctx, obj: obj}, body
		}
	}
	// gRPC server interceptors.
	for _, p := range params {
		if isPtrTo(p.typ, grpcPath, "UnaryServerInfo") && len(params) > 0 && isNamed(params[0].typ, contextPath, "Context") {
			ctx, obj := named(params[0], "")
			return &handler{kind: "a gRPC interceptor", ctx: ctx, obj: obj}, body
		}
		if isPtrTo(p.typ, grpcPath, "StreamServerInfo") {
			for _, q := range params {
				if isNamed(q.typ, grpcPath, "ServerStream") {
					ctx, obj := named(q, ".Context()")
					return &handler{kind: "a gRPC interceptor", ctx: ctx, obj: obj}, body
				}
			}
		}
	}
	// gRPC service methods: methods of a type embedding Unimplemented<Svc>Server.
	if decl == nil || decl.Recv == nil || len(decl.Recv.List) == 0 || !decl.Name.IsExported() || !embedsUnimplemented(pass.TypesInfo.TypeOf(decl.Recv.List[0].Type)) {
		return nil, nil
	}
	if len(params) > 0 && isNamed(params[0].typ, contextPath, "Context") {
		ctx, obj := named(params[0], "")
		return &handler{kind: "a gRPC method", ctx: ctx, obj: obj}, body
	}
	for _, p := range params {
		if isServerStream(p.typ) {
			ctx, obj := named(p, ".Context()")
			return &handler{kind: "a gRPC method", ctx: ctx, obj: obj}, body
		}
	}
	return nil, nil
}

func isPtrTo(t types.Type, path, name string) bool {
	p, ok := t.(*types.Pointer)
	return ok && isNamed(p.Elem(), path, name)
}

// embedsUnimplemented reports whether t (or *t) is a struct embedding a type
// named Unimplemented...Server, as protoc-gen-go-grpc servers must.
func embedsUnimplemented(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := range st.NumFields() {
		f := st.Field(i)
		if !f.Embedded() {
			continue
		}
		ft := f.Type()
		if p, ok := ft.(*types.Pointer); ok {
			ft = p.Elem()
		}
		if n, ok := types.Unalias(ft).(*types.Named); ok {
			name := n.Obj().Name()
			if strings.HasPrefix(name, "Unimplemented") && strings.HasSuffix(name, "Server") {
				return true
			}
		}
	}
	return false
}

// isServerStream reports whether t has grpc.ServerStream's methods.
func isServerStream(t types.Type) bool {
	ms := types.NewMethodSet(t)
	for _, m := range []string{"Context", "SendMsg", "RecvMsg", "SetHeader"} {
		if ms.Lookup(nil, m) == nil {
			return false
		}
	}
	return true
}
