package policy

import "github.com/paved-go/paved"

// Middlewares returns the policies of name's pipeline in force, outermost
// first.
func Middlewares(s *Set, name string) []paved.Middleware {
	s.Pipeline(name)
	return s.gen.Load().clients[name].ms
}
