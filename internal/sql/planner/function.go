package planner

import (
	"strings"

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
		return nil
	}
	if u := p.b.udafs[id]; u != nil {
		p.b.udafs[name] = u
		return nil
	}
	if aggNames[id] {
		return errAt(cf, "'%s' is a built-in aggregate function: call it by its name", cf.Class)
	}
	return errAt(cf, "unknown function identifier '%s': CREATE FUNCTION cannot load code; the identifier must name a built-in function or one registered from Go (Session.RegisterScalar or RegisterAggregate under that identifier)", cf.Class)
}
