package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
)

// CreateFunction binds CREATE [TEMPORARY [SYSTEM]] FUNCTION name AS
// 'identifier' [LANGUAGE JAVA|SCALA]. There is no code upload: the
// identifier must name a function the session already has, a built-in or
// one registered from Go (Session.RegisterScalar / RegisterAggregate,
// which may register it under a Java class name such as
// 'com.github.nexmark.flink.udf.CountChar'); name becomes another name of
// that function.
func (p *Planner) CreateFunction(cf *parser.CreateFunction) error {
	if len(cf.Name.Parts) > 1 {
		return errAt(cf.Name, "qualified function names (catalog.db.function) are not supported yet")
	}
	switch cf.Language {
	case "", "JAVA", "SCALA":
	default:
		return errAt(cf, "CREATE FUNCTION ... LANGUAGE %s is not supported: functions are registered from Go (Session.RegisterScalar, RegisterAggregate) and named by their identifier", cf.Language)
	}
	name := strings.ToUpper(cf.Name.Parts[0].Name)
	id := strings.ToUpper(cf.Class)
	if p.Reg.Overloads(name) != nil || p.b.udafs[name] != nil || aggNames[name] {
		if cf.IfNotExists {
			return nil
		}
		return errAt(cf.Name, "function %s already exists", cf.Name.Parts[0].Name)
	}
	if ovs := p.Reg.Overloads(id); ovs != nil {
		for _, o := range ovs {
			p.Reg.Register(name, *o)
		}
		p.created(name)
		return nil
	}
	if u := p.b.udafs[id]; u != nil {
		p.b.udafs[name] = u
		p.created(name)
		return nil
	}
	if aggNames[id] {
		return errAt(cf, "'%s' is a built-in aggregate function: call it by its name", cf.Class)
	}
	return errAt(cf, "unknown function identifier '%s': CREATE FUNCTION cannot load code; the identifier must name a built-in function or one registered from Go (Session.RegisterScalar or RegisterAggregate under that identifier)", cf.Class)
}

func (p *Planner) created(name string) {
	if p.functions == nil {
		p.functions = map[string]bool{}
	}
	p.functions[name] = true
}

// DropFunction binds DROP [TEMPORARY [SYSTEM]] FUNCTION [IF EXISTS] name:
// it removes a name that CREATE FUNCTION gave (the function it named stays
// under its own names). Built-in functions and those registered from Go
// cannot be dropped.
func (p *Planner) DropFunction(d *parser.Drop) error {
	if len(d.Name.Parts) > 1 {
		return errAt(d.Name, "qualified function names (catalog.db.function) are not supported yet")
	}
	name := strings.ToUpper(d.Name.Parts[0].Name)
	if p.functions[name] {
		delete(p.functions, name)
		p.Reg.Unregister(name)
		delete(p.b.udafs, name)
		return nil
	}
	if p.Reg.Overloads(name) != nil || p.b.udafs[name] != nil || aggNames[name] {
		return errAt(d.Name, "function %s was not created by CREATE FUNCTION: built-in functions and functions registered from Go cannot be dropped", d.Name.Parts[0].Name)
	}
	if d.IfExists {
		return nil
	}
	msg := fmt.Sprintf("function %s does not exist", d.Name.Parts[0].Name)
	var names []string
	for n := range p.functions {
		names = append(names, n)
	}
	if sug := catalog.Closest(name, names); sug != "" {
		msg += fmt.Sprintf("; did you mean %s?", strings.ToLower(sug))
	}
	return errAt(d.Name, "%s (use DROP FUNCTION IF EXISTS to ignore a missing one)", msg)
}

// FunctionSnapshot is what CREATE FUNCTION had created at one time (see
// Planner.SnapshotFunctions).
type FunctionSnapshot struct {
	scalars map[string][]expr.Overload
	udafs   map[string]AggregateFactory
}

// SnapshotFunctions returns the names CREATE FUNCTION has given so far,
// with what each names, for RestoreFunctions.
func (p *Planner) SnapshotFunctions() *FunctionSnapshot {
	s := &FunctionSnapshot{scalars: map[string][]expr.Overload{}, udafs: map[string]AggregateFactory{}}
	for n := range p.functions {
		for _, o := range p.Reg.Overloads(n) {
			s.scalars[n] = append(s.scalars[n], *o)
		}
		if u := p.b.udafs[n]; u != nil {
			s.udafs[n] = u
		}
	}
	return s
}

// RestoreFunctions puts the names CREATE FUNCTION gave back to s: names
// created since are removed, names dropped since come back. Built-in
// functions and those registered from Go are not touched.
func (p *Planner) RestoreFunctions(s *FunctionSnapshot) {
	names := map[string]bool{}
	for n := range p.functions {
		names[n] = true
	}
	for n := range s.scalars {
		names[n] = true
	}
	for n := range s.udafs {
		names[n] = true
	}
	for n := range names {
		p.Reg.Unregister(n)
		delete(p.b.udafs, n)
		delete(p.functions, n)
		ovs, u := s.scalars[n], s.udafs[n]
		if ovs == nil && u == nil {
			continue
		}
		p.Reg.Register(n, ovs...)
		if u != nil {
			p.b.udafs[n] = u
		}
		p.created(n)
	}
}
